"""The parsed model every rule reads: resources, their values, and exact source ranges.

Ranges are 0-based line and character (code points), end-exclusive. Ranges inside a
resource are relative to the resource's ``line_offset`` (the first line of its top-level
block), so a Terraform block that did not change between two keystrokes keeps the very
same objects; ``Resource.absolute`` turns a relative range into a file position. For
CloudFormation ``line_offset`` is 0 unless the template was parsed resource by resource
(an open document being edited, or a syntax error held by one resource).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from enum import Enum

from iacperf.rules.records import record, replace


class Format(str, Enum):
    """What a file describes."""

    TERRAFORM = "terraform"
    CLOUDFORMATION = "cloudformation"


class Syntax(str, Enum):
    """How a file is written; decides how edits are rendered."""

    HCL = "hcl"
    JSON = "json"
    YAML = "yaml"


@record(order=True)
class Position:
    line: int
    character: int

    def shifted(self, lines: int) -> Position:
        return Position(self.line + lines, self.character) if lines else self


@record
class SourceRange:
    start: Position
    end: Position

    @staticmethod
    def of(line: int, character: int, end_line: int, end_character: int) -> SourceRange:
        return SourceRange(Position(line, character), Position(end_line, end_character))

    def shifted(self, lines: int) -> SourceRange:
        if not lines:
            return self
        return SourceRange(self.start.shifted(lines), self.end.shifted(lines))

    def contains(self, position: Position) -> bool:
        return self.start <= position <= self.end


Scalar = str | int | float | bool | None


@record
class Node:
    """A value in the source. Subclasses say what kind; ``range`` covers its exact text."""

    range: SourceRange

    @property
    def known(self) -> bool:
        """True when the value is fully literal (no references, functions or intrinsics)."""
        return True


@record
class ScalarNode(Node):
    value: Scalar
    #: How the value is written: "" (plain), '"' or "'" (quoted); keeps style on replace.
    quote: str = ""


@record
class ExpressionNode(Node):
    """A value that cannot be known without evaluation (reference, function, template)."""

    text: str
    #: Referenced names such as ``var.size`` or ``local.x`` (Terraform) or ``Ref`` targets.
    references: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return False


@record
class IntrinsicNode(Node):
    """A CloudFormation intrinsic function (``!Ref X``, ``{"Fn::If": [...]}``)."""

    function: str
    argument: Node

    @property
    def known(self) -> bool:
        return False


@record
class SequenceNode(Node):
    items: tuple[Node, ...]
    flow: bool = True  # written inline ([a, b]) rather than one item per line (YAML "- a")

    @property
    def known(self) -> bool:
        return all(item.known for item in self.items)


@record
class Entry:
    """One ``key = value`` / ``Key: value`` / nested block inside a mapping."""

    key: str
    key_range: SourceRange
    value: Node
    range: SourceRange  # from the key to the end of the value
    is_block: bool = False  # a Terraform nested block (``root_block_device { ... }``)
    labels: tuple[str, ...] = ()  # Terraform block labels (``dynamic "setting"``)


@record
class MappingNode(Node):
    entries: tuple[Entry, ...]
    flow: bool = False  # written inline ({a: b}) rather than one entry per line
    #: Column where entries start; None for an empty mapping.
    indent: int | None = None
    #: Where the opening brace is, when the mapping has braces (HCL blocks/objects, JSON).
    open_range: SourceRange | None = None
    close_range: SourceRange | None = None

    @property
    def known(self) -> bool:
        return all(entry.value.known for entry in self.entries)

    def get(self, key: str) -> Entry | None:
        """The last entry named ``key`` (later duplicates win, as in CloudFormation)."""
        found = None
        for entry in self.entries:
            if entry.key == key:
                found = entry
        return found

    def all(self, key: str) -> Iterator[Entry]:
        """Every entry named ``key`` (Terraform repeats nested blocks)."""
        return (entry for entry in self.entries if entry.key == key)


@record
class Match:
    """A value found at a path, with the entry that holds it and the mapping around it."""

    entry: Entry
    parent: MappingNode

    @property
    def value(self) -> Node:
        return self.entry.value


@record
class Resolved:
    """A value the engine resolved before the rules ran: ``var.size`` read as its default,
    ``!Ref Size`` as the parameter's default. The resource holds the value in place of the
    reference; this says where the value came from."""

    use: SourceRange  # the reference, relative to the resource (where findings land)
    description: str  # 'default of variable "size"', 'terraform.tfvars' ...
    path: str  # the file that sets the value
    range: SourceRange  # the value there, absolute
    #: The use stands for exactly that value (``var.x``, not ``"logs-${var.x}"``): a fix
    #: that replaces the use can replace the value where it is set instead.
    exact: bool = True


@record
class Resource:
    """A Terraform ``resource`` block or a CloudFormation resource."""

    format: Format
    syntax: Syntax
    kind: str  # aws_ebs_volume / AWS::EC2::Volume
    name: str  # Terraform label / CloudFormation logical id
    path: str  # file path as given
    range: SourceRange  # the whole block / resource entry
    header_range: SourceRange  # Terraform labels line / CloudFormation logical id key
    #: Terraform block body; CloudFormation ``Properties`` (an empty mapping when absent).
    body: MappingNode
    #: CloudFormation: the whole resource mapping (Type, Properties, Condition, Metadata).
    node: MappingNode
    line_offset: int = 0
    indent_unit: int = 2
    newline: str = "\n"
    #: Values the engine resolved in ``body`` (variables, locals, parameters, mappings).
    resolved: tuple[Resolved, ...] = ()
    #: CloudFormation: the resource once per value the ``AllowedValues`` of a parameter
    #: without a ``Default`` permit (it references such a parameter). The engine reports
    #: only what a rule finds for every one of them.
    variants: tuple[Resource, ...] = ()

    @property
    def address(self) -> str:
        if self.format is Format.TERRAFORM:
            return f"{self.kind}.{self.name}"
        return self.name

    def absolute(self, source_range: SourceRange) -> SourceRange:
        return source_range.shifted(self.line_offset)

    def get(self, key: str) -> Entry | None:
        return self.body.get(key)

    def find(self, path: str) -> Iterator[Match]:
        """Entries at a dotted path below the body; ``[]`` steps into every list item.

        Terraform repeated blocks and lists are walked transparently, so
        ``root_block_device.volume_type`` and ``BlockDeviceMappings[].Ebs.VolumeType`` both
        yield one match per volume.
        """
        return find_path(self.body, path)


def find_path(mapping: MappingNode, path: str) -> Iterator[Match]:
    steps = [step.removesuffix("[]") for step in path.split(".")]
    yield from _walk(mapping, steps)


def _walk(mapping: MappingNode, steps: list[str]) -> Iterator[Match]:
    head, rest = steps[0], steps[1:]
    for entry in mapping.entries:
        if entry.key != head:
            content = _dynamic_content(entry, head)
            if content is None:
                continue
            entry = content  # Terraform ``dynamic "head" { content { ... } }``
        if not rest:
            yield Match(entry, mapping)
            continue
        for child in _mappings_in(entry.value):
            yield from _walk(child, rest)


def _dynamic_content(entry: Entry, name: str) -> Entry | None:
    if entry.is_block and entry.key == "dynamic" and entry.labels == (name,):
        assert isinstance(entry.value, MappingNode)
        return entry.value.get("content")
    return None


def _mappings_in(node: Node) -> Iterator[MappingNode]:
    if isinstance(node, MappingNode):
        yield node
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _mappings_in(item)


@record
class Variable:
    """A Terraform ``variable`` or a CloudFormation ``Parameter``."""

    name: str
    range: SourceRange
    default: Entry | None
    line_offset: int = 0


@record
class TopBlock:
    """A top-level Terraform item (``resource``, ``locals``, a tfvars assignment)."""

    entry: Entry
    line_offset: int


@record
class ParseError:
    """Why (part of) a file could not be read; ``range`` is absolute."""

    message: str
    range: SourceRange


@record
class Suppression:
    """An ``iacperf:ignore`` comment, or its CloudFormation ``Metadata`` / Terraform JSON
    ``"//"`` equivalent. Every range is absolute; which findings it covers is decided by
    the engine (``iacperf.server.suppressions``)."""

    #: Rule codes or names as written; empty in ``ignore-file`` (every rule) or when missing.
    codes: tuple[str, ...]
    line: int  # 0-based line of the comment or the Metadata item
    range: SourceRange  # the comment from its marker, or the Metadata item
    until: datetime.date | None = None  # last day it applies
    reason: str = ""
    file_level: bool = False
    #: The line a comment speaks about: its own line when it trails code, else the first
    #: line below it that is not a comment.
    target: int = 0
    #: Set when the suppression is not a comment: the address of the resource holding it.
    resource: str = ""
    #: What to delete to remove it (the comment's line, or the item with its separator).
    removal: SourceRange | None = None
    #: Where the codes are written, to drop some of them.
    codes_range: SourceRange | None = None
    #: Why it cannot be read as written (a bad date, no rule named ...).
    problems: tuple[str, ...] = ()


@record
class Template:
    """One parsed file."""

    path: str
    format: Format
    syntax: Syntax
    resources: tuple[Resource, ...] = ()
    variables: tuple[Variable, ...] = ()
    #: Terraform only: every top-level item, for value resolution (locals, modules, tfvars).
    blocks: tuple[TopBlock, ...] = ()
    errors: tuple[ParseError, ...] = ()
    #: CloudFormation only: the whole document (Globals, Conditions, Mappings ...).
    root: MappingNode | None = None
    newline: str = "\n"
    indent_unit: int = 2
    suppressions: tuple[Suppression, ...] = ()


def shift_entry(entry: Entry, lines: int) -> Entry:
    """``entry`` with every range ``lines`` further down."""
    if not lines:
        return entry
    return replace(
        entry,
        key_range=entry.key_range.shifted(lines),
        value=shift_node(entry.value, lines),
        range=entry.range.shifted(lines),
    )


def shift_node(node: Node, lines: int) -> Node:
    moved = node.range.shifted(lines)
    if isinstance(node, MappingNode):
        return replace(
            node,
            range=moved,
            entries=tuple(shift_entry(entry, lines) for entry in node.entries),
            open_range=node.open_range.shifted(lines) if node.open_range else None,
            close_range=node.close_range.shifted(lines) if node.close_range else None,
        )
    if isinstance(node, SequenceNode):
        return replace(node, range=moved, items=tuple(shift_node(i, lines) for i in node.items))
    if isinstance(node, IntrinsicNode):
        return replace(node, range=moved, argument=shift_node(node.argument, lines))
    return replace(node, range=moved)
