"""CloudFormation and SAM templates in YAML (short-form intrinsics included) and JSON.

YAML goes through ``yaml.compose`` (libyaml's C parser when present): it gives nodes
with marks and never constructs Python objects, so short-form tags such as ``!Ref``
need no constructors and alias expansion is shared, not copied. JSON goes through
``json_nodes``. A YAML or JSON file counts as CloudFormation only when its content says
so; any other YAML or JSON file is ignored quietly (``parse_cloudformation`` returns None).
"""

from __future__ import annotations

import re
from dataclasses import replace

import yaml

from iacperf.rules.model import (
    Entry,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    ParseError,
    Position,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Syntax,
    Template,
    Variable,
)
from iacperf.server.parsing.json_nodes import JsonSyntaxError, parse_json

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Cheap textual test before any parse: most YAML in a repository is not CloudFormation.
_LOOKS_LIKE_CFN = re.compile(
    r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?(?:AWS|Alexa)::"
)
_SHORT_TAGS = {"!Ref": "Ref", "!Condition": "Condition"}
_TAG = "tag:yaml.org,2002:"


def looks_like_cloudformation(text: str) -> bool:
    return _LOOKS_LIKE_CFN.search(text) is not None


def parse_cloudformation(path: str, text: str, syntax: Syntax) -> Template | None:
    """The template, a template holding only a syntax error, or None when not CloudFormation."""
    if not looks_like_cloudformation(text):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = _json_intrinsics(parse_json(text)) if syntax is Syntax.JSON else _compose_yaml(text)
    except JsonSyntaxError as error:
        return _broken(path, syntax, f"JSON syntax error: {error}", error.position, newline)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line, mark.column) if mark is not None else Position(0, 0)
        reason = error.problem or error.context or "invalid YAML"
        return _broken(path, syntax, f"YAML syntax error: {reason}", position, newline)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return _broken(path, syntax, f"YAML error: {error}", Position(0, 0), newline)
    if not isinstance(root, MappingNode) or not _is_template(root):
        return None
    return _template(path, syntax, root, newline)


def _broken(path: str, syntax: Syntax, message: str, at: Position, newline: str) -> Template:
    error = ParseError(message, SourceRange(at, at))
    return Template(path, Format.CLOUDFORMATION, syntax, errors=(error,), newline=newline)


def _is_template(root: MappingNode) -> bool:
    if root.get("AWSTemplateFormatVersion") is not None:
        return True
    resources = root.get("Resources")
    if resources is None or not isinstance(resources.value, MappingNode):
        return False
    for entry in resources.value.entries:
        if isinstance(entry.value, MappingNode):
            kind = entry.value.get("Type")
            if (
                kind is not None
                and isinstance(kind.value, ScalarNode)
                and str(kind.value.value).startswith(("AWS::", "Alexa::"))
            ):
                return True
    return False


def _template(path: str, syntax: Syntax, root: MappingNode, newline: str) -> Template:
    resources: list[Resource] = []
    variables: list[Variable] = []
    indent_unit = 0
    section = root.get("Resources")
    if section is not None and isinstance(section.value, MappingNode):
        for entry in section.value.entries:
            if not isinstance(entry.value, MappingNode):
                continue
            kind_entry = entry.value.get("Type")
            if kind_entry is None or not isinstance(kind_entry.value, ScalarNode):
                continue
            if not indent_unit and entry.value.indent:
                indent_unit = entry.value.indent - entry.key_range.start.character
            resources.append(_resource(path, syntax, entry, str(kind_entry.value.value), newline))
    parameters = root.get("Parameters")
    if parameters is not None and isinstance(parameters.value, MappingNode):
        for entry in parameters.value.entries:
            default = entry.value.get("Default") if isinstance(entry.value, MappingNode) else None
            variables.append(Variable(entry.key, entry.range, default))
    unit = indent_unit if 0 < indent_unit <= 8 else 2
    return Template(
        path=path,
        format=Format.CLOUDFORMATION,
        syntax=syntax,
        resources=tuple(_with_unit(r, unit) for r in resources),
        variables=tuple(variables),
        root=root,
        newline=newline,
        indent_unit=unit,
    )


def _with_unit(resource: Resource, unit: int) -> Resource:
    if resource.indent_unit == unit:
        return resource
    return replace(resource, indent_unit=unit)


def _resource(path: str, syntax: Syntax, entry: Entry, kind: str, newline: str) -> Resource:
    assert isinstance(entry.value, MappingNode)
    properties = entry.value.get("Properties")
    if properties is not None and isinstance(properties.value, MappingNode):
        body = properties.value
    else:
        at = entry.value.range.end
        body = MappingNode(SourceRange(at, at), ())
    return Resource(
        format=Format.CLOUDFORMATION,
        syntax=syntax,
        kind=kind,
        name=entry.key,
        path=path,
        range=entry.range,
        header_range=entry.key_range,
        body=body,
        node=entry.value,
        newline=newline,
    )


# ---------------------------------------------------------------------------
# YAML


def _compose_yaml(text: str) -> Node | None:
    # compose builds no objects. A template is one document: a stream of several (a
    # Kubernetes manifest that embeds a template, say) is not CloudFormation.
    documents = [
        document
        for document in yaml.compose_all(text, Loader=_LOADER)  # noqa: S506
        if not (isinstance(document, yaml.ScalarNode) and document.tag.endswith(":null"))
    ]
    if len(documents) != 1:
        return None
    return _YamlConverter(text).convert(documents[0])


class _YamlConverter:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.memo: dict[int, Node] = {}

    def convert(self, node: yaml.Node) -> Node:
        # Aliases share one node object: convert once, so alias bombs stay linear.
        key = id(node)
        done = self.memo.get(key)
        if done is None:
            done = self._convert(node)
            self.memo[key] = done
        return done

    def _convert(self, node: yaml.Node) -> Node:
        tag = node.tag or ""
        if tag.startswith("!") and tag != "!":
            function = _SHORT_TAGS.get(tag, "Fn::" + tag[1:])
            argument = self._plain(node)
            tag_start = Position(node.start_mark.line, node.start_mark.column)
            return IntrinsicNode(SourceRange(tag_start, argument.range.end), function, argument)
        return self._plain(node)

    def _plain(self, node: yaml.Node) -> Node:
        if isinstance(node, yaml.MappingNode):
            entries = []
            for key_node, value_node in node.value:
                value = self.convert(value_node)
                key_range = self._range(key_node)
                entries.append(
                    Entry(
                        str(key_node.value),
                        key_range,
                        value,
                        SourceRange(key_range.start, value.range.end),
                    )
                )
            flow = bool(node.flow_style)
            mapping = MappingNode(
                range=self._container_range(node, entries[-1].range.end if entries else None),
                entries=tuple(entries),
                flow=flow,
                indent=entries[0].range.start.character if entries else None,
                open_range=self._brace(self._start(node)) if flow else None,
                close_range=self._brace_before(node.end_mark) if flow else None,
            )
            return _intrinsic(mapping)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.convert(item) for item in node.value)
            end = items[-1].range.end if items else None
            return SequenceNode(self._container_range(node, end), items, flow=bool(node.flow_style))
        assert isinstance(node, yaml.ScalarNode)
        return ScalarNode(self._scalar_range(node), _scalar_value(node), _quote(node))

    def _range(self, node: yaml.Node) -> SourceRange:
        end = node.end_mark
        return SourceRange(self._start(node), Position(end.line, end.column))

    def _start(self, node: yaml.Node) -> Position:
        """Where a node's content starts: yaml's start mark includes its tag (``!Ref``) and
        anchor (``&a``). A tagged empty value starts (and ends) where the tag ends."""
        line, column = node.start_mark.line, node.start_mark.column
        text = self._line(line)
        if not text.startswith(("!", "&"), column):
            return Position(line, column)
        while True:
            while text.startswith(("!", "&"), column):
                while column < len(text) and text[column] not in " \t":
                    column += 1
                while column < len(text) and text[column] in " \t":
                    column += 1
            if (column < len(text) and text[column] != "#") or line + 1 >= len(self.lines):
                break
            line += 1  # the value is on a following line
            text = self._line(line)
            column = len(text) - len(text.lstrip(" \t"))
        end = Position(node.end_mark.line, node.end_mark.column)
        return min(Position(line, column), end)

    def _container_range(
        self, node: yaml.MappingNode | yaml.SequenceNode, last_end: Position | None
    ) -> SourceRange:
        full = self._range(node)
        if node.flow_style or last_end is None:
            return full
        # Block collections end where the next token starts; end them on their last value.
        return SourceRange(full.start, last_end)

    def _scalar_range(self, node: yaml.ScalarNode) -> SourceRange:
        full = self._range(node)
        if node.style not in ("|", ">"):
            return full
        end = full.end
        # Block scalars end at the start of the following line; end on the last text line.
        line = end.line if end.character else end.line - 1
        while line > full.start.line and not self._line(line).strip():
            line -= 1
        return SourceRange(full.start, Position(line, len(self._line(line))))

    def _line(self, index: int) -> str:
        return self.lines[index].removesuffix("\r") if index < len(self.lines) else ""

    def _brace(self, at: Position) -> SourceRange:
        return SourceRange(at, Position(at.line, at.character + 1))

    def _brace_before(self, mark: yaml.Mark) -> SourceRange:
        return SourceRange(Position(mark.line, mark.column - 1), Position(mark.line, mark.column))


def _intrinsic(mapping: MappingNode) -> Node:
    """``{"Ref": X}`` / ``{"Fn::If": [...]}`` long forms become intrinsic nodes."""
    if len(mapping.entries) == 1:
        entry = mapping.entries[0]
        if entry.key == "Ref" or entry.key.startswith("Fn::"):
            return IntrinsicNode(mapping.range, entry.key, entry.value)
    return mapping


def _json_intrinsics(node: Node) -> Node:
    """Apply the long-form intrinsic reading to a whole JSON document."""
    if isinstance(node, MappingNode):
        entries = tuple(
            replace(entry, value=_json_intrinsics(entry.value)) for entry in node.entries
        )
        return _intrinsic(replace(node, entries=entries))
    if isinstance(node, SequenceNode):
        return replace(node, items=tuple(_json_intrinsics(item) for item in node.items))
    return node


def _quote(node: yaml.ScalarNode) -> str:
    return node.style if node.style in ("'", '"') else ""


def _scalar_value(node: yaml.ScalarNode) -> str | int | float | bool | None:
    text = str(node.value)
    tag = node.tag or ""
    if not tag.startswith(_TAG) or node.style:
        return text
    kind = tag[len(_TAG) :]
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "y")
    if kind == "null":
        return None
    if kind == "int":
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if kind == "float":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text
