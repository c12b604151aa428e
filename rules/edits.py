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

from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Node,
    Position,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Syntax,
)
from iacperf.rules.records import record


@record
class Edit:
    range: SourceRange
    new_text: str

    def shifted(self, lines: int) -> Edit:
        return Edit(self.range.shifted(lines), self.new_text) if lines else self


class Block(dict[str, object]):
    """A Terraform nested block to insert (``tracing_config { mode = "Active" }``).

    In YAML and JSON it renders as an ordinary mapping.
    """


class Raw(str):
    """Text inserted as written: a Terraform expression (``aws_vpc.main.id``) or a YAML
    short-form intrinsic (``!Ref Vpc``), which quoting would turn into a plain string."""


Value = object  # str | int | float | bool | list | dict | Block | Raw


@record
class NewResource:
    """A top-level item to add: a Terraform block, or a CloudFormation resource whose
    ``kind`` is its ``Type`` and ``body`` its ``Properties``."""

    kind: str
    name: str
    body: Mapping[str, Value]
    block: str = "resource"  # Terraform block type ("data" for a data source)


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
            # A nested block is set apart from what precedes it by a blank line.
            apart = isinstance(value, Block) or _outgrows(key, last) if last else False
            gap = nl if apart else ""
            return Edit(_point(Position(close.line, 0)), f"{gap}{pad}{entry_text}{nl}")
        closing_pad = " " * max(indent - unit, 0)
        return Edit(_point(close), f"{nl}{pad}{entry_text}{nl}{closing_pad}")
    # YAML block mapping: a new line after the last entry.
    anchor = last.range.end if last else mapping.range.end
    return Edit(_point(Position(anchor.line + 1, 0)), f"{pad}{entry_text}{nl}")


def insert_entries(
    resource: Resource, mapping: MappingNode, indent: int, entries: Sequence[tuple[str, Value]]
) -> Edit:
    """Add several entries, in order, as the last ones of ``mapping``: one edit, so that no
    client reorders insertions at the same point. In HCL their ``=`` line up together."""
    edits = [insert_entry(resource, mapping, indent, key, value) for key, value in entries]
    last = mapping.entries[-1] if mapping.entries else None
    simple = all(not isinstance(value, Block) for _, value in entries)
    if resource.syntax is not Syntax.HCL or not simple or last is None or len(edits) < 2:
        return Edit(edits[0].range, "".join(edit.new_text for edit in edits))
    nl = resource.newline
    if not edits[0].new_text.endswith(nl) or edits[0].range.start.character != 0:
        return Edit(edits[0].range, "".join(edit.new_text for edit in edits))
    # Whole lines before the closing brace: one group of attributes, aligned as fmt does.
    longest = max(len(key) for key, _ in entries)
    width, gap = longest + 1, ""
    if not last.is_block and last.range.start.line == last.range.end.line:
        above = last.value.range.start.character - 2 - last.key_range.start.character
        if above > longest:
            width = above
        else:
            gap = nl
    pad = " " * (mapping.indent if mapping.indent is not None else indent)
    lines = [
        f"{pad}{key.ljust(width)}= {render_inline(Syntax.HCL, value)}{nl}" for key, value in entries
    ]
    return Edit(edits[0].range, gap + "".join(lines))


def _outgrows(key: str, last: Entry) -> bool:
    """True when ``key`` is too long for the ``=`` column of the attributes above it.

    ``terraform fmt`` would then realign every line of that group; a blank line before the
    new attribute starts a group of its own instead, so the edit touches no other line.
    """
    if last.is_block or last.range.start.line != last.range.end.line:
        return False
    equals_column = last.value.range.start.character - 2
    return equals_column - last.key_range.start.character <= len(key)


def _aligned(entry_text: str, key: str, last: Entry) -> str:
    """Line ``=`` up with the attribute above, as ``terraform fmt`` does, when it fits."""
    if last.is_block or last.range.start.line != last.range.end.line:
        return entry_text
    equals_column = last.value.range.start.character - 2  # "key<pad>= value"
    width = equals_column - last.key_range.start.character
    if width <= len(key):
        return entry_text
    return key.ljust(width) + entry_text[len(key) + 1 :]


def insert_resources_after(resource: Resource, *new: NewResource) -> Edit:
    """Add top-level items right after ``resource``, in the file's syntax and indentation.

    Terraform native syntax and CloudFormation YAML/JSON (Terraform JSON is not supported).
    """
    syntax, nl, unit = resource.syntax, resource.newline, resource.indent_unit
    column = resource.range.start.character
    if syntax is Syntax.JSON:
        if resource.format is Format.TERRAFORM:
            raise ValueError("inserting resources into Terraform JSON is not supported")
        pad = " " * column
        members = []
        for item in new:
            document = {"Type": item.kind, "Properties": dict(item.body)}
            rendered = _json_lines(document, column, unit, nl)
            members.append(f",{nl}{pad}{json.dumps(item.name)}: {rendered}")
        return Edit(_point(resource.range.end), "".join(members))
    if syntax is Syntax.HCL:
        text = "".join(nl + _hcl_block(item, unit, nl) + nl for item in new)
    else:
        pad = " " * column
        text = "".join(
            pad
            + render_entry(
                syntax, item.name, {"Type": item.kind, "Properties": item.body}, column, unit, nl
            )
            + nl
            for item in new
        )
    return Edit(_point(Position(resource.range.end.line + 1, 0)), text)


def _json_lines(value: Value, indent: int, unit: int, nl: str, column: int = 0) -> str:
    """JSON over several lines, keeping short values such as ``{"Ref": "Vpc"}`` on one
    (``column`` is where the value starts: a list stays on one line when it fits)."""
    inline = render_inline(Syntax.JSON, value)
    if _json_short(value) and (
        not isinstance(value, (list, tuple)) or column + len(inline) <= _WIDTH
    ):
        return inline
    inner = " " * (indent + unit)
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            key = f"{inner}{json.dumps(str(k))}: "
            items.append(key + _json_lines(v, indent + unit, unit, nl, len(key)))
        return "{" + nl + f",{nl}".join(items) + nl + " " * indent + "}"
    assert isinstance(value, (list, tuple))
    items = [inner + _json_lines(v, indent + unit, unit, nl, len(inner)) for v in value]
    return "[" + nl + f",{nl}".join(items) + nl + " " * indent + "]"


def _json_short(value: Value) -> bool:
    """Scalars, intrinsics of scalars (``{"Fn::GetAtt": ["A", "B"]}``) and lists of them."""
    if isinstance(value, Mapping):
        return len(value) <= 1 and all(_json_scalars(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_json_short(v) for v in value)
    return True


def _json_scalars(value: Value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(not isinstance(v, (Mapping, list, tuple)) for v in value)
    return not isinstance(value, Mapping)


def _hcl_block(item: NewResource, unit: int, nl: str) -> str:
    header = f"{item.block} {json.dumps(item.kind)} {json.dumps(item.name)} {{"
    if not item.body:
        return header + "}"
    pad = " " * unit
    lines = []
    for key, value in item.body.items():
        entry = render_entry(Syntax.HCL, key, value, unit, unit, nl)
        if isinstance(value, (list, tuple)) and len(value) > 1 and len(pad + entry) > _WIDTH:
            items = "".join(f"{pad}{pad}{render_inline(Syntax.HCL, v)},{nl}" for v in value)
            entry = f"{key} = [{nl}{items}{pad}]"
        lines.append(entry)
    return header + nl + nl.join(pad + line for line in _fmt_aligned(lines)) + nl + "}"


_WIDTH = 100  # wrap a list that would make a longer line


def _fmt_aligned(entries: list[str]) -> list[str]:
    """Line up ``=`` in each run of one-line attributes, as ``terraform fmt`` does."""
    aligned: list[str] = []
    run: list[str] = []
    for entry in [*entries, ""]:
        one_line = "\n" not in entry and " = " in entry and not entry.endswith("{")
        if one_line:
            run.append(entry)
            continue
        width = max((e.index(" = ") for e in run), default=0)
        aligned.extend(e[: e.index(" = ")].ljust(width) + e[e.index(" = ") :] for e in run)
        run = []
        if entry:
            aligned.append(entry)
    return aligned


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
    if resource.syntax is Syntax.YAML and len(mapping.entries) > 1 and mapping.entries[0] is entry:
        # The first key of a list item shares its line with the "- ": keep that prefix.
        return Edit(SourceRange(entry.range.start, mapping.entries[1].range.start), "")
    start = Position(entry.range.start.line, 0)
    end = Position(entry.range.end.line + 1, 0)
    return Edit(SourceRange(start, end), "")


def remove_entries(
    resource: Resource,
    mapping: MappingNode,
    entries: Sequence[Entry],
    replacement: tuple[str, Value] | None = None,
) -> list[Edit]:
    """Delete ``entries`` of ``mapping``; with ``replacement`` the first becomes that entry
    in its place instead. In HCL the ``=`` of the attributes left in the same group are
    re-padded as ``terraform fmt`` does, so the block stays formatted."""
    doomed = list(entries)
    replaced = doomed.pop(0) if replacement is not None and doomed else None
    edits = [remove_entry(resource, mapping, entry) for entry in doomed]
    renamed = {id(replaced): replacement} if replaced is not None and replacement else {}
    gone = {id(entry) for entry in doomed}
    if resource.syntax is Syntax.HCL:
        for group in _attribute_groups(mapping):
            if not any(id(entry) in gone or id(entry) in renamed for entry in group):
                continue
            kept = [entry for entry in group if id(entry) not in gone]
            if not kept:
                continue
            keys = [renamed[id(entry)][0] if id(entry) in renamed else entry.key for entry in kept]
            width = max(len(key) for key in keys) + 1
            for entry, key in zip(kept, keys, strict=True):
                if id(entry) in renamed:
                    rendered = render_inline(Syntax.HCL, renamed.pop(id(entry))[1])
                    edits.append(Edit(entry.range, f"{key.ljust(width)}= {rendered}"))
                elif _equals_width(entry) != width:
                    between = SourceRange(entry.key_range.end, entry.value.range.start)
                    edits.append(Edit(between, " " * (width - len(key)) + "= "))
    if replaced is not None and id(replaced) in renamed:
        key, value = renamed[id(replaced)]
        edits.append(replace_entry(resource, replaced, key, value))
    return edits


def _attribute_groups(mapping: MappingNode) -> list[list[Entry]]:
    """Runs of one-line attributes on consecutive lines: what ``terraform fmt`` aligns."""
    groups: list[list[Entry]] = []
    previous: Entry | None = None
    for entry in mapping.entries:
        if entry.is_block or entry.range.start.line != entry.range.end.line:
            previous = None
            continue
        if previous is not None and entry.range.start.line == previous.range.end.line + 1:
            groups[-1].append(entry)
        else:
            groups.append([entry])
        previous = entry
    return groups


def _equals_width(entry: Entry) -> int:
    """Columns from the key's start to its ``=`` (``key<pad>= value``)."""
    return entry.value.range.start.character - 2 - entry.key_range.start.character


def replace_entry(resource: Resource, entry: Entry, key: str, value: Value) -> Edit:
    """Put ``key = value`` where ``entry`` is, keeping its place (and ``=`` column in HCL)."""
    indent = entry.key_range.start.character
    new_text = render_entry(
        resource.syntax, key, value, indent, resource.indent_unit, resource.newline
    )
    if resource.syntax is Syntax.HCL and not isinstance(value, Block):
        new_text = _aligned(new_text, key, entry)
    return Edit(entry.range, new_text)


def remove_item(resource: Resource, sequence: SequenceNode, item: Node) -> Edit:
    """Delete one item of a list: its line in a YAML block list, else with its separator."""
    if resource.syntax is Syntax.YAML and not sequence.flow:
        start = Position(item.range.start.line, 0)
        return Edit(SourceRange(start, Position(item.range.end.line + 1, 0)), "")
    index = sequence.items.index(item)
    if index > 0:
        return Edit(SourceRange(sequence.items[index - 1].range.end, item.range.end), "")
    if len(sequence.items) > 1:
        return Edit(SourceRange(item.range.start, sequence.items[1].range.start), "")
    return Edit(item.range, "")


def insert_item(resource: Resource, sequence: SequenceNode, value: Value) -> Edit:
    """Add ``value`` as the last item of a list, in the list's own layout: a new ``- item``
    in a YAML block list; else after the last item, on a line of its own when the items
    are on lines of their own. An empty list is replaced by ``[value]``."""
    if not sequence.items:
        return replace_value(resource, sequence, [value])
    syntax, nl, unit = resource.syntax, resource.newline, resource.indent_unit
    last = sequence.items[-1]
    column = last.range.start.character
    if syntax is Syntax.YAML and not sequence.flow:
        dash = sequence.range.start.character  # a block list starts at its first "-"
        if isinstance(value, Mapping) and value:
            lines = [render_entry(syntax, str(k), v, column, unit, nl) for k, v in value.items()]
            rendered = (nl + " " * column).join(lines)
        else:
            rendered = render_inline(syntax, value)
        gap = " " * max(column - dash - 1, 1)
        line = f"{' ' * dash}-{gap}{rendered}{nl}"
        return Edit(_point(Position(last.range.end.line + 1, 0)), line)
    before = sequence.items[-2].range.end.line if len(sequence.items) > 1 else None
    if last.range.start.line == (sequence.range.start.line if before is None else before):
        return Edit(_point(last.range.end), f", {render_inline(syntax, value)}")
    one_line = last.range.start.line == last.range.end.line
    if syntax is Syntax.JSON and not one_line:
        rendered = _json_lines(value, column, unit, nl)
    else:
        rendered = render_inline(syntax, value)
    return Edit(_point(last.range.end), f",{nl}{' ' * column}{rendered}")


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
            entries = [
                render_entry(syntax, k, v, indent + unit, unit, nl) for k, v in value.items()
            ]
            # Several attributes line up their "=" as terraform fmt does.
            lines = [inner + entry for entry in _fmt_aligned(entries)]
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
    if isinstance(value, Raw):
        return str(value)
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
