"""Terraform JSON syntax (``.tf.json``, ``.tfvars.json``).

Terraform reads JSON strings as templates: ``"${var.size}"`` is an expression, not text,
so such strings become ``ExpressionNode``s (unknown values) as they are in ``.tf`` files.
"""

from __future__ import annotations

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    MappingNode,
    Node,
    ParseError,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Syntax,
    Template,
    TopBlock,
    Variable,
)
from iacperf.rules.records import replace
from iacperf.server.parsing.hcl_templates import interpolates, template_references
from iacperf.server.parsing.json_nodes import JsonSyntaxError, parse_json
from iacperf.server.parsing.suppression_metadata import terraform_json_suppressions


def parse_terraform_json(path: str, text: str) -> Template:
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = parse_json(text)
    except JsonSyntaxError as error:
        at = SourceRange(error.position, error.position)
        return Template(
            path,
            Format.TERRAFORM,
            Syntax.JSON,
            errors=(ParseError(f"JSON syntax error: {error}", at),),
            newline=newline,
        )
    if not isinstance(root, MappingNode):
        return Template(path, Format.TERRAFORM, Syntax.JSON, newline=newline)
    root = _templates(root, text.split("\n"))
    assert isinstance(root, MappingNode)
    resources: list[Resource] = []
    variables: list[Variable] = []
    for section in root.entries:
        if section.key == "resource":
            for kind_entry in _objects(section.value):
                for name_entry in _objects(kind_entry.value):
                    for body in _bodies(name_entry.value):
                        resources.append(
                            Resource(
                                format=Format.TERRAFORM,
                                syntax=Syntax.JSON,
                                kind=kind_entry.key,
                                name=name_entry.key,
                                path=path,
                                range=name_entry.range,
                                header_range=name_entry.key_range,
                                body=body,
                                node=body,
                                newline=newline,
                            )
                        )
        elif section.key == "variable":
            for entry in _objects(section.value):
                for body in _bodies(entry.value):
                    variables.append(Variable(entry.key, entry.range, body.get("default")))
    return Template(
        path=path,
        format=Format.TERRAFORM,
        syntax=Syntax.JSON,
        resources=tuple(resources),
        variables=tuple(variables),
        blocks=tuple(TopBlock(entry, 0) for entry in root.entries),
        root=root,
        newline=newline,
        suppressions=terraform_json_suppressions(root, resources)
        if "iacperf:ignore" in text
        else (),
    )


def _templates(node: Node, lines: list[str]) -> Node:
    """Strings that interpolate become expressions (JSON strings never span lines)."""
    if isinstance(node, ScalarNode):
        if not isinstance(node.value, str) or not interpolates(node.value):
            return node
        start, end = node.range.start, node.range.end
        source = lines[start.line][start.character : end.character]
        return ExpressionNode(node.range, source, tuple(template_references(node.value)))
    if isinstance(node, MappingNode):
        entries = tuple(replace(e, value=_templates(e.value, lines)) for e in node.entries)
        return replace(node, entries=entries)
    if isinstance(node, SequenceNode):
        return replace(node, items=tuple(_templates(item, lines) for item in node.items))
    return node


def _objects(node: Node) -> list[Entry]:
    """Entries of an object, or of every object in a list of objects (both are allowed)."""
    entries: list[Entry] = []
    for body in _bodies(node):
        entries.extend(body.entries)
    return entries


def _bodies(node: Node) -> list[MappingNode]:
    if isinstance(node, MappingNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [item for item in node.items if isinstance(item, MappingNode)]
    return []
