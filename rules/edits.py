"""Text edits that rules ask for, rendered in the file's own syntax and indentation.

Rules never write HCL, YAML or JSON by hand: they call ``replace_value``,
``insert_value`` or ``remove_entry`` and get ``Edit`` objects whose ranges are relative
to the resource (like every range in the model). Edits are minimal: they touch only the
value or the lines they add or remove, never reformat the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Node,
    Position,
    Resource,
    ScalarNode,
    SourceRange,
    Syntax,
)


@dataclass(frozen=True, slots=True)
class Edit:
    range: SourceRange
    new_text: str

    def shifted(self, lines: int) -> Edit:
        return Edit(self.range.shifted(lines), self.new_text) if lines else self


class Block(dict[str, object]):
    """A Terraform nested block to insert (``tracing_config { mode = "Active" }``).

    In YAML and JSON it renders as an ordinary mapping.
    """


Value = object  # str | int | float | bool | list | dict | Block


def replace_value(resource: Resource, node: Node, value: Value) -> Edit:
    """Replace a value in place, keeping its quoting style where it has one."""
    quote = node.quote if isinstance(node, ScalarNode) else ""
    if isinstance(value, str) and resource.syntax is Syntax.YAML and quote:
        return Edit(node.range, f"{quote}{value}{quote}")
    return Edit(node.range, render_inline(resource.syntax, value))


def insert_value(resource: Resource, path: Sequence[str], value: Value) -> Edit:
    """Insert ``value`` at ``path`` below the resource body, creating missing parents.

    ``path`` names mappings from the body down, the last element being the new key. The
    deepest mapping that already exists receives the new entry; missing intermediate
    mappings are rendered around the value.
    """
    mapping, indent = resource.body, _body_indent(resource)
    keys = list(path)
    while len(keys) > 1:
        entry = mapping.get(keys[0])
        if entry is None or not isinstance(entry.value, MappingNode):
            break
        indent = _child_indent(entry, entry.value, indent, resource.indent_unit)
        mapping = entry.value
        keys.pop(0)
    nested: Value = value
    for key in reversed(keys[1:]):
        nested = Block({key: nested}) if isinstance(value, Block) else {key: nested}
    return insert_entry(resource, mapping, indent, keys[0], nested)


def insert_in_resource(resource: Resource, key: str, value: Value) -> Edit:
    """Insert an entry next to ``Properties`` in a CloudFormation resource (or a body key)."""
    indent = resource.node.indent
    if indent is None:
        indent = resource.header_range.start.character + resource.indent_unit
    return insert_entry(resource, resource.node, indent, key, value)


def insert_entry(
    resource: Resource, mapping: MappingNode, indent: int, key: str, value: Value
) -> Edit:
    """Add ``key: value`` as the last entry of ``mapping`` whose entries sit at ``indent``."""
    syntax, nl, unit = resource.syntax, resource.newline, resource.indent_unit
    if mapping.indent is not None:
        indent = mapping.indent
    if (
        mapping is resource.body
        and resource.format is Format.CLOUDFORMATION
        and resource.node.get("Properties") is None
    ):
        # No Properties yet: create the mapping next to Type.
        return insert_in_resource(resource, "Properties", {key: value})
    pad = " " * indent
    last = mapping.entries[-1] if mapping.entries else None
    entry_text = render_entry(syntax, key, value, indent, unit, nl)
    if syntax is Syntax.HCL and last is not None and not isinstance(value, Block):
        entry_text = _aligned(entry_text, key, last)
    if syntax is Syntax.JSON:
        if last is not None:
            return Edit(_point(last.range.end), f",{nl}{pad}{entry_text}")
        assert mapping.open_range is not None
        closing_pad = " " * max(indent - unit, 0)
        return Edit(_point(mapping.open_range.end), f"{nl}{pad}{entry_text}{nl}{closing_pad}")
    if mapping.flow and syntax is Syntax.YAML:
        separator = ", " if last is not None else ""
        assert mapping.close_range is not None
        return Edit(_point(mapping.close_range.start), f"{separator}{entry_text}")
    if syntax is Syntax.HCL and mapping.close_range is not None:
        close = mapping.close_range.start
        last_line = last.range.end.line if last else (mapping.open_range or mapping.range).end.line
        if close.line > last_line:
            return Edit(_point(Position(close.line, 0)), f"{pad}{entry_text}{nl}")
        closing_pad = " " * max(indent - unit, 0)
        return Edit(_point(close), f"{nl}{pad}{entry_text}{nl}{closing_pad}")
    # YAML block mapping: a new line after the last entry.
    anchor = last.range.end if last else mapping.range.end
    return Edit(_point(Position(anchor.line + 1, 0)), f"{pad}{entry_text}{nl}")


def _aligned(entry_text: str, key: str, last: Entry) -> str:
    """Line ``=`` up with the attribute above, as ``terraform fmt`` does, when it fits."""
    if last.is_block or last.range.start.line != last.range.end.line:
        return entry_text
    equals_column = last.value.range.start.character - 2  # "key<pad>= value"
    width = equals_column - last.key_range.start.character
    if width <= len(key):
        return entry_text
    return key.ljust(width) + entry_text[len(key) + 1 :]


def remove_entry(resource: Resource, mapping: MappingNode, entry: Entry) -> Edit:
    """Delete an entry with its line(s); in JSON also the comma that separates it."""
    if resource.syntax is Syntax.JSON or mapping.flow:
        index = mapping.entries.index(entry)
        if index > 0:
            start = mapping.entries[index - 1].range.end
            return Edit(SourceRange(start, entry.range.end), "")
        if len(mapping.entries) > 1:
            return Edit(SourceRange(entry.range.start, mapping.entries[1].range.start), "")
        return Edit(entry.range, "")
    start = Position(entry.range.start.line, 0)
    end = Position(entry.range.end.line + 1, 0)
    return Edit(SourceRange(start, end), "")


def _point(position: Position) -> SourceRange:
    return SourceRange(position, position)


def _body_indent(resource: Resource) -> int:
    if resource.body.indent is not None:
        return resource.body.indent
    if resource.syntax is Syntax.HCL:
        return resource.header_range.start.character + resource.indent_unit
    node_indent = resource.node.indent
    base = node_indent if node_indent is not None else resource.header_range.start.character
    return base + resource.indent_unit


def _child_indent(entry: Entry, child: MappingNode, indent: int, unit: int) -> int:
    if child.indent is not None:
        return child.indent
    return entry.key_range.start.character + unit


# ---------------------------------------------------------------------------
# Rendering


_YAML_PLAIN = re.compile(r"^[A-Za-z0-9_./-][A-Za-z0-9_ ./:-]*$")
_YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def render_entry(syntax: Syntax, key: str, value: Value, indent: int, unit: int, nl: str) -> str:
    """One entry; continuation lines are indented below ``indent``."""
    if syntax is Syntax.HCL:
        if isinstance(value, Block):
            inner = " " * (indent + unit)
            lines = [
                inner + render_entry(syntax, k, v, indent + unit, unit, nl)
                for k, v in value.items()
            ]
            return f"{key} {{{nl}" + nl.join(lines) + f"{nl}{' ' * indent}}}"
        return f"{key} = {render_inline(syntax, value)}"
    if syntax is Syntax.JSON:
        return f"{json.dumps(key)}: {render_inline(syntax, value)}"
    if isinstance(value, Mapping) and value:
        inner = " " * (indent + unit)
        lines = [
            inner + render_entry(syntax, str(k), v, indent + unit, unit, nl)
            for k, v in value.items()
        ]
        return f"{key}:{nl}" + nl.join(lines)
    return f"{key}: {render_inline(syntax, value)}"


def render_inline(syntax: Syntax, value: Value) -> str:
    """A value on one line in the given syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        if syntax is Syntax.YAML:
            return value if _yaml_plain(value) else "'" + value.replace("'", "''") + "'"
        if syntax is Syntax.HCL:
            escaped = json.dumps(value)
            return escaped.replace("${", "$${").replace("%{", "%%{")
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_inline(syntax, item) for item in value) + "]"
    if isinstance(value, Mapping):
        if syntax is Syntax.HCL:
            parts = [f"{k} = {render_inline(syntax, v)}" for k, v in value.items()]
            return "{ " + ", ".join(parts) + " }" if parts else "{}"
        sep = ": "
        parts = [
            f"{render_inline(syntax, str(k))}{sep}{render_inline(syntax, v)}"
            for k, v in value.items()
        ]
        return "{" + ", ".join(parts) + "}"
    if value is None:
        return "null"
    raise TypeError(f"cannot render {type(value).__name__}")


def _yaml_plain(text: str) -> bool:
    if not text or text.lower() in _YAML_RESERVED or text.endswith(":"):
        return False
    if ": " in text or " #" in text:
        return False
    try:
        float(text)
    except ValueError:
        return bool(_YAML_PLAIN.match(text))
    return False
