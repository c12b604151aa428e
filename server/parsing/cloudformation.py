"""CloudFormation and SAM templates in YAML (short-form intrinsics included) and JSON.

YAML goes through ``yaml.compose`` (libyaml's C parser when present): it gives nodes
with marks and never constructs Python objects, so short-form tags such as ``!Ref``
need no constructors and alias expansion is shared, not copied. JSON goes through
``json_nodes``. A YAML or JSON file counts as CloudFormation only when its content says
so; any other YAML or JSON file is ignored quietly (``parse_cloudformation`` returns None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
    Suppression,
    Syntax,
    Template,
    Variable,
)
from iacperf.rules.records import field, record, replace
from iacperf.server.parsing.cfn_chunks import JsonLayout, YamlLayout, split_json, split_yaml
from iacperf.server.parsing.json_nodes import JsonSyntaxError, parse_json
from iacperf.server.parsing.suppression_comments import _inside_scalars, yaml_suppressions
from iacperf.server.parsing.suppression_metadata import cloudformation_suppressions

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Cheap textual test before any parse: most YAML in a repository is not CloudFormation.
_LOOKS_LIKE_CFN = re.compile(
    r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?(?:AWS|Alexa)::"
)
_SHORT_TAGS = {"!Ref": "Ref", "!Condition": "Condition"}
_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
_CACHE_LIMIT = 5_000
#: How many values a YAML document may hold once its aliases are expanded. Rules and the
#: resolver walk values as trees, so an alias bomb ("billion laughs": a few hundred bytes
#: that expand to 10^9 values) would take them hours; real templates stay far below.
MAX_EXPANDED_VALUES = 1_000_000


def looks_like_cloudformation(text: str) -> bool:
    return _LOOKS_LIKE_CFN.search(text) is not None


@record(frozen=False)
class CloudFormationParse:
    """A parsed file plus the chunk cache the next parse of the same file starts from."""

    template: Template | None
    #: Chunk text -> what it parsed to, ranges relative to the chunk's first line.
    cache: dict[str, ParsedChunk] = field(default_factory=dict, repr=False)
    #: How many resource chunks were parsed in this parse (the rest came from cache).
    parsed_chunks: int = 0
    chunk_count: int = 0
    #: False when the whole document was parsed at once (a fallback, or nothing to cut).
    chunked: bool = False
    #: The "rest" document's text and root, reused while the text stays the same.
    rest: tuple[str, Node | None] | None = field(default=None, repr=False)
    #: JSON: how the text was cut, so the next keystroke re-scans one member only.
    json_layout: JsonLayout | None = field(default=None, repr=False)


@record
class ParsedChunk:
    """One resource chunk: its entry or why it does not parse; ranges relative to it."""

    entry: Entry | None
    error: ParseError | None = None


def parse_cloudformation(
    path: str, text: str, syntax: Syntax, previous: CloudFormationParse | None = None
) -> CloudFormationParse:
    """The template (None when not CloudFormation) and what the next parse starts from.

    Without ``previous`` (a file read once) the whole document is parsed, every range
    absolute, unless it has a syntax error that one resource chunk holds. With it (an
    open document being edited) resources are parsed chunk by
    chunk, unchanged chunks taken from ``previous``, each resource's ranges relative to
    its ``line_offset``."""
    if not looks_like_cloudformation(text):
        return CloudFormationParse(None)
    if previous is None:
        whole = parse_whole(path, text, syntax)
        if whole is not None and whole.errors:
            # A syntax error inside one resource costs that resource only, as it does
            # while the document is edited.
            pieces = _parse_chunked(path, text, syntax, CloudFormationParse(None))
            if pieces is not None and pieces.template is not None:
                return pieces
        return CloudFormationParse(whole)
    chunked = _parse_chunked(path, text, syntax, previous)
    if chunked is not None:
        return chunked
    return CloudFormationParse(parse_whole(path, text, syntax))


def _parse_chunked(
    path: str, text: str, syntax: Syntax, previous: CloudFormationParse
) -> CloudFormationParse | None:
    """The template from its resource chunks, or None when the whole document must be
    parsed at once: cutting is not safe, or the pieces disagree with the whole."""
    layout: YamlLayout | JsonLayout | None
    layout = split_yaml(text) if syntax is Syntax.YAML else split_json(text, previous.json_layout)
    if layout is None or not layout.chunks:
        return None
    old_cache = previous.cache
    cache: dict[str, ParsedChunk] = {}
    parsed = 0
    for chunk in layout.chunks:
        if chunk.text not in cache:
            hit = old_cache.get(chunk.text)
            if hit is None:
                hit = _parse_chunk(chunk.text, syntax)
                parsed += 1
            cache[chunk.text] = hit
    rest = previous.rest
    if rest is None or rest[0] != layout.rest:
        rest_root, error = read_document(layout.rest, syntax)
        if error is not None:
            return None  # the whole-document behaviour: one error for the file
        rest = (layout.rest, rest_root)
    if not isinstance(rest[1], MappingNode):
        return None
    placed: list[tuple[Entry, int]] = []
    errors: list[ParseError] = []
    names: set[str] = set()
    for chunk in layout.chunks:
        hit = cache[chunk.text]
        if hit.entry is None:
            if read_document(text, syntax)[1] is None:
                return None  # it fails alone only: something we did not foresee
            assert hit.error is not None
            errors.append(ParseError(hit.error.message, hit.error.range.shifted(chunk.start_line)))
            continue
        if hit.entry.key in names:
            return None  # duplicate logical ids: the whole parse decides
        names.add(hit.entry.key)
        placed.append((hit.entry, chunk.start_line))
    if isinstance(layout, YamlLayout):
        root = _with_resources(rest[1], placed, layout.indent)
    else:
        root = _with_json_resources(rest[1], placed)
    _keep_recent(cache, old_cache)
    result = CloudFormationParse(None, cache, parsed, len(layout.chunks), True, rest)
    if isinstance(layout, JsonLayout):
        result.json_layout = layout
    if root is None or not _is_template(root):
        # With broken chunks the whole parse decides, as it does for a fresh parse: a
        # template holding the syntax error (was: no template, so no PERF000 at all).
        return None if errors else result
    newline = "\r\n" if "\r\n" in text else "\n"
    # The resources of unchanged chunks stay the very same objects, so the language
    # server's rule memo can reuse their findings.
    before = previous.template.resources if previous.template is not None else ()
    reuse = {(id(r.node), r.line_offset): r for r in before}
    template = _template(path, syntax, root, newline, placed, tuple(errors), reuse)
    if "iacperf" in text:
        found = _chunked_suppressions(text, template, rest[1])
        template = replace(template, suppressions=found)
    result.template = template
    return result


def _parse_chunk(text: str, syntax: Syntax) -> ParsedChunk:
    root, error = read_document(text, syntax)
    if error is not None:
        return ParsedChunk(None, error)
    if isinstance(root, MappingNode) and len(root.entries) == 1:
        return ParsedChunk(root.entries[0])
    kind = "YAML" if syntax is Syntax.YAML else "JSON"
    return ParsedChunk(
        None, _error(f"{kind} syntax error: expected a resource entry", _first(text))
    )


def _first(text: str) -> Position:
    """The start of the first line that is neither blank nor a comment."""
    for index, line in enumerate(text.split("\n")):
        content = line.lstrip(" ")
        if content.strip() and not content.startswith("#"):
            return Position(index, len(line) - len(content))
    return Position(0, 0)


def _with_resources(
    rest: MappingNode, placed: Sequence[tuple[Entry, int]], indent: int
) -> MappingNode | None:
    """``rest`` with its (emptied) ``Resources`` entry holding the parsed resources. Their
    ranges stay relative to their resource's line offset: use ``Template.resources``."""
    for index, entry in enumerate(rest.entries):
        if entry.key != "Resources":
            continue
        if not placed:
            return rest
        first, first_offset = placed[0]
        last, last_offset = placed[-1]
        span = SourceRange(
            first.range.start.shifted(first_offset), last.range.end.shifted(last_offset)
        )
        section = MappingNode(span, tuple(e for e, _ in placed), indent=indent)
        filled = replace(entry, value=section, range=SourceRange(entry.range.start, span.end))
        entries = rest.entries[:index] + (filled,) + rest.entries[index + 1 :]
        return replace(rest, entries=entries)
    return None


def _with_json_resources(
    rest: MappingNode, placed: Sequence[tuple[Entry, int]]
) -> MappingNode | None:
    """``rest`` with its blanked ``Resources`` object holding the parsed resources: the
    object's own range and braces are the rest's, which kept the file's positions."""
    for index, entry in enumerate(rest.entries):
        if entry.key != "Resources":
            continue
        if not isinstance(entry.value, MappingNode) or entry.value.entries:
            return None
        indent = placed[0][0].key_range.start.character if placed else None
        section = replace(entry.value, entries=tuple(e for e, _ in placed), indent=indent)
        entries = (
            rest.entries[:index] + (replace(entry, value=section),) + rest.entries[index + 1 :]
        )
        return replace(rest, entries=entries)
    return None


def _keep_recent(cache: dict[str, ParsedChunk], old: dict[str, ParsedChunk]) -> None:
    """Keep recently seen chunks too: undo and retyping hit the cache."""
    for key, value in old.items():
        if len(cache) >= _CACHE_LIMIT:
            break
        cache.setdefault(key, value)


def _chunked_suppressions(
    text: str, template: Template, rest: MappingNode
) -> tuple[Suppression, ...]:
    """What ``parse_whole`` finds, from pieces whose ranges are relative to their chunk."""
    found: list[Suppression] = []
    yaml_syntax = template.syntax is Syntax.YAML
    for resource in template.resources:
        for item in cloudformation_suppressions(_NO_ROOT, (resource,), yaml_syntax):
            found.append(_shifted(item, resource.line_offset))
    assert template.root is not None
    found.extend(cloudformation_suppressions(template.root, (), yaml_syntax))
    comments = list(yaml_suppressions(text, None)) if yaml_syntax else []
    if comments:
        kept = []
        for comment in comments:
            node, offset = _owner(template.resources, rest, comment.range.start.line)
            point = comment.range.start.shifted(-offset)
            if point not in _inside_scalars(node, [point]):
                kept.append(comment)
        found[:0] = kept
    return tuple(found)


_NO_ROOT = MappingNode(SourceRange(Position(0, 0), Position(0, 0)), ())


def _owner(resources: Sequence[Resource], rest: Node, line: int) -> tuple[Node, int]:
    """The tree holding ``line`` and that tree's line offset."""
    for resource in resources:
        offset = resource.line_offset
        if resource.range.start.line + offset <= line <= resource.range.end.line + offset:
            return resource.node, offset
    return rest, 0


def _shifted(item: Suppression, lines: int) -> Suppression:
    if not lines:
        return item
    return replace(
        item,
        line=item.line + lines,
        range=item.range.shifted(lines),
        target=item.target + lines,
        removal=item.removal.shifted(lines) if item.removal is not None else None,
        codes_range=item.codes_range.shifted(lines) if item.codes_range is not None else None,
    )


def parse_whole(path: str, text: str, syntax: Syntax) -> Template | None:
    """The template, a template holding only a syntax error, or None when not CloudFormation."""
    if not looks_like_cloudformation(text):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    root, error = read_document(text, syntax)
    if error is not None:
        return _broken(path, syntax, error, text)
    if not isinstance(root, MappingNode) or not _is_template(root):
        return None
    template = _template(path, syntax, root, newline)
    if "iacperf" not in text:
        return template
    found = cloudformation_suppressions(root, template.resources, syntax is Syntax.YAML)
    if syntax is Syntax.YAML:
        found = yaml_suppressions(text, root) + found
    return replace(template, suppressions=found) if found else template


def read_document(text: str, syntax: Syntax) -> tuple[Node | None, ParseError | None]:
    """The document's root node (None for an empty or multi-document YAML stream), or
    why it does not parse."""
    try:
        if syntax is Syntax.JSON:
            return parse_json(text, _intrinsic), None
        return _compose_yaml(text), None
    except JsonSyntaxError as error:
        return None, _error(f"JSON syntax error: {error}", error.position)
    except AliasBombError as error:
        return None, _error(f"YAML error: {error}", error.position)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line, mark.column) if mark is not None else Position(0, 0)
        reason = error.problem or error.context or "invalid YAML"
        return None, _error(f"YAML syntax error: {reason}", _inside(text, position))
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return None, _error(f"YAML error: {error}", Position(0, 0))


def _inside(text: str, at: Position) -> Position:
    """``at`` moved into the text: libyaml marks the end of a stream that has no final
    newline on the line below it."""
    lines = text.split("\n")
    if at.line < len(lines) and at.character <= len(lines[at.line]):
        return at
    line = min(at.line, len(lines) - 1)
    return Position(
        line, min(at.character, len(lines[line])) if at.line == line else len(lines[line])
    )


def _error(message: str, at: Position) -> ParseError:
    return ParseError(message, SourceRange(at, at))


def _broken(path: str, syntax: Syntax, error: ParseError, text: str) -> Template:
    # Comments count in YAML that does not parse, so "ignore-file PERF000" works.
    found = yaml_suppressions(text, None) if syntax is Syntax.YAML else ()
    newline = "\r\n" if "\r\n" in text else "\n"
    return Template(
        path, Format.CLOUDFORMATION, syntax, errors=(error,), newline=newline, suppressions=found
    )


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


def _template(
    path: str,
    syntax: Syntax,
    root: MappingNode,
    newline: str,
    placed: Sequence[tuple[Entry, int]] | None = None,
    errors: tuple[ParseError, ...] = (),
    reuse: Mapping[tuple[int, int], Resource] | None = None,
) -> Template:
    """``placed``: the resource entries with their line offsets, when parsed apart from
    ``root``; by default the entries of ``root``'s ``Resources`` at offset 0. ``reuse``:
    resources built before, by (id of their entry's value, line offset)."""
    if placed is None:
        section = root.get("Resources")
        placed = []
        if section is not None and isinstance(section.value, MappingNode):
            placed = [(entry, 0) for entry in section.value.entries]
    resources: list[Resource] = []
    variables: list[Variable] = []
    indent_unit = 0
    for entry, offset in placed:
        if not isinstance(entry.value, MappingNode):
            continue
        kind_entry = entry.value.get("Type")
        if kind_entry is None or not isinstance(kind_entry.value, ScalarNode):
            continue
        if not indent_unit and entry.value.indent:
            indent_unit = entry.value.indent - entry.key_range.start.character
        kind = str(kind_entry.value.value)
        old = reuse.get((id(entry.value), offset)) if reuse else None
        if (
            old is not None
            and old.node is entry.value
            and old.name == entry.key
            and (old.path, old.syntax, old.newline) == (path, syntax, newline)
        ):
            resources.append(old)
        else:
            resources.append(_resource(path, syntax, entry, kind, newline, offset))
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
        errors=errors,
        root=root,
        newline=newline,
        indent_unit=unit,
    )


def _with_unit(resource: Resource, unit: int) -> Resource:
    if resource.indent_unit == unit:
        return resource
    return replace(resource, indent_unit=unit)


def _resource(
    path: str, syntax: Syntax, entry: Entry, kind: str, newline: str, offset: int
) -> Resource:
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
        line_offset=offset,
        newline=newline,
    )


# ---------------------------------------------------------------------------
# YAML


#: Line breaks to YAML 1.1 (libyaml) that are none to the model, which counts "\n" only.
_YAML_ONLY_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


#: A node's tags and anchors, with the blanks after each (``!Ref``, ``&name !!str``).
_PROPERTIES = re.compile(r"(?:[!&][^ \t]*[ \t]*)*")


def _without_yaml_only_breaks(text: str) -> str:
    # Searching for the characters first: the pattern has no literal prefix, and
    # substituting with it took 1 ms per 100 kB of text holding none of them.
    lone_return = text.count("\r") != text.count("\r\n")
    if lone_return or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return _YAML_ONLY_BREAKS.sub(" ", text)
    return text


def _compose_yaml(text: str) -> Node | None:
    if "\r" in text or not text.isascii():
        # A space in their place keeps every position where the model puts it (libyaml
        # counted lines at them: ranges and errors landed lines off, even past the end).
        text = _without_yaml_only_breaks(text)
    # compose builds no objects. A template is one document: a stream of several (a
    # Kubernetes manifest that embeds a template, say) is not CloudFormation.
    documents = [
        document
        for document in yaml.compose_all(text, Loader=_LOADER)  # noqa: S506
        if not (isinstance(document, yaml.ScalarNode) and document.tag.endswith(":null"))
    ]
    if len(documents) != 1:
        return None
    converter = _AnchoredConverter(text) if "&" in text else _YamlConverter(text)
    root = converter.convert(documents[0])
    if converter.aliased:  # only aliases make a document bigger than its text
        _check_expansion(documents[0])
    return root


class AliasBombError(ValueError):
    """A document whose aliases expand to more than ``MAX_EXPANDED_VALUES`` values."""

    def __init__(self, size: int, position: Position) -> None:
        super().__init__(
            f"aliases expand to more than {MAX_EXPANDED_VALUES:,} values ({size:,} or more);"
            " not analysed"
        )
        self.position = position


def _check_expansion(root: yaml.Node) -> None:
    """Raise ``AliasBombError`` when ``root`` holds more than ``MAX_EXPANDED_VALUES``
    values with its aliases expanded: at the first node, children first, that does."""
    _Expansion().size_of(root)


class _Expansion:
    """Expanded sizes by node. A class, not a closure that calls itself: that is a
    reference cycle, and the CLI runs without the cyclic garbage collector."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}

    def size_of(self, node: yaml.Node) -> int:
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, yaml.MappingNode):
            size += sum(1 + self.size_of(value) for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size += sum(self.size_of(item) for item in node.value)
        self.sizes[id(node)] = size
        if size > MAX_EXPANDED_VALUES:
            mark = node.start_mark
            raise AliasBombError(size, Position(mark.line, mark.column))
        return size


class _YamlConverter:
    """Turns libyaml's nodes into the model. A template has no alias without an anchor
    (``&``), so each node is met once: ``_AnchoredConverter`` remembers the rest's."""

    #: A node was met twice: an alias (libyaml gives it its anchor's node object).
    aliased = False

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")

    def convert(self, node: yaml.Node) -> Node:
        tag = node.tag or ""
        if tag.startswith("!") and tag != "!":
            function = _SHORT_TAGS.get(tag, "Fn::" + tag[1:])
            argument = self._plain(node)
            tag_start = Position(node.start_mark.line, node.start_mark.column)
            return IntrinsicNode(SourceRange(tag_start, argument.range.end), function, argument)
        return self._plain(node)

    def _plain(self, node: yaml.Node) -> Node:
        if isinstance(node, yaml.ScalarNode):
            # In one step for the common case (no tag, anchor or block style): a template
            # is mostly scalars.
            style = node.style
            start, end = node.start_mark, node.end_mark
            line, column = start.line, start.column
            lines = self.lines
            if (
                style in ("|", ">")
                or line >= len(lines)
                or lines[line][column : column + 1] in ("!", "&")
            ):
                return ScalarNode(self._scalar_range(node), _scalar_value(node), _quote(node))
            where = SourceRange(Position(line, column), Position(end.line, end.column))
            tag = node.tag or ""
            if style or not tag.startswith(_TAG) or tag == _STR_TAG:
                return ScalarNode(where, str(node.value), style if style in ("'", '"') else "")
            return ScalarNode(where, _scalar_value(node), "")
        if isinstance(node, yaml.MappingNode):
            entries = []
            convert = self.convert
            for key_node, value_node in node.value:
                value = convert(value_node)
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
            convert = self.convert
            items = tuple([convert(item) for item in node.value])
            end = items[-1].range.end if items else None
            return SequenceNode(self._container_range(node, end), items, flow=bool(node.flow_style))
        raise TypeError(f"not a YAML node: {node!r}")

    def _range(self, node: yaml.Node) -> SourceRange:
        start, end = node.start_mark, node.end_mark
        line, column = start.line, start.column
        lines = self.lines
        # Most nodes have no tag or anchor: one character tells (_start's own test, inlined).
        if line < len(lines) and lines[line][column : column + 1] not in ("!", "&"):
            return SourceRange(Position(line, column), Position(end.line, end.column))
        return SourceRange(self._start(node), Position(end.line, end.column))

    def _start(self, node: yaml.Node) -> Position:
        """Where a node's content starts: yaml's start mark includes its tag (``!Ref``) and
        anchor (``&a``). A tagged empty value starts (and ends) where the tag ends."""
        line, column = node.start_mark.line, node.start_mark.column
        lines = self.lines
        # Most nodes have neither: one character tells (a "\r" there is no "!" either).
        if line >= len(lines) or lines[line][column : column + 1] not in ("!", "&"):
            return Position(line, column)
        text = self._line(line)
        while True:
            properties = _PROPERTIES.match(text, column)
            assert properties is not None  # it matches the empty string too
            column = properties.end()
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


class _AnchoredConverter(_YamlConverter):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.memo: dict[int, Node] = {}

    def convert(self, node: yaml.Node) -> Node:
        # Aliases share one node object: convert once, so parsing alias bombs stays linear.
        key = id(node)
        done = self.memo.get(key)
        if done is None:
            done = super().convert(node)
            self.memo[key] = done
        else:
            self.aliased = True
        return done


def _intrinsic(mapping: MappingNode) -> Node:
    """``{"Ref": X}`` / ``{"Fn::If": [...]}`` long forms become intrinsic nodes."""
    if len(mapping.entries) == 1:
        entry = mapping.entries[0]
        if entry.key == "Ref" or entry.key.startswith("Fn::"):
            return IntrinsicNode(mapping.range, entry.key, entry.value)
    return mapping


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
