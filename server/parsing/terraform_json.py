"""Terraform JSON syntax (``.tf.json``, ``.tfvars.json``)."""

from __future__ import annotations

from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Node,
    ParseError,
    Resource,
    SequenceNode,
    SourceRange,
    Syntax,
    Template,
    TopBlock,
    Variable,
)
from iacperf.server.parsing.json_nodes import JsonSyntaxError, parse_json


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
    )


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
