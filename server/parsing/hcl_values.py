"""Parses a big multi-line attribute value element by element.

Some attributes are hundreds of lines long - a ``variable``'s ``type = map(object({``
with every field of a node group, a big ``default = [ ... ]`` - and one attribute is
the smallest piece ``hcl_items`` re-parses. When the value's first line ends with the
``{`` or ``[`` that opens it and its last line only closes brackets, the lines between
are the elements of that object or tuple, cut like block items (``hcl_blocks``). Each
element is parsed inside a one-element wrapper (``_ = {`` / ``_ = [``) and cached by its
text; the attribute with an empty object or tuple (its first and last line) gives the
rest. The result equals python-hcl2's parse of the whole attribute
(``tests/parsing/test_items.py``).
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    MappingNode,
    Node,
    Position,
    SequenceNode,
    SourceRange,
    shift_entry,
    shift_node,
)
from iacperf.rules.records import field, record, replace
from iacperf.server.parsing import hcl_lark
from iacperf.server.parsing.hcl_blocks import BIG_LINES, leading_trivia, split_body
from iacperf.server.parsing.hcl_convert import Converter, first_token, last_token
from iacperf.server.parsing.hcl_templates import is_reference_root

# The first line: a name, "=", code without comments, and the opening bracket at its end.
_FIRST = re.compile(r"[ \t]*[A-Za-z_][\w-]*[ \t]*=[^\n#/]*[{\[][ \t]*\r?\n")
_LAST = re.compile(r"[ \t]*[\]})]+[ \t]*(?:\r?\n)?")
_WRAP = {"{": ("_ = {\n", "}\n"), "[": ("_ = [\n", "]\n")}


@record
class _Element:
    """One element, parsed in its wrapper (ranges relative to the element's first line)."""

    entries: tuple[Entry, ...]  # object elements
    items: tuple[Node, ...]  # tuple items
    references: tuple[str, ...]
    empty: bool = False  # blank and comment lines only
    #: Only ``references`` are known (a big element parsed element-wise itself).
    references_only: bool = False


@record(frozen=False)
class ValueCache:
    elements: dict[tuple[str, str], _Element | None] = field(default_factory=dict)
    placed: dict[tuple[str, str, int], _Element] = field(default_factory=dict)

    def place(self, text: str, opener: str, element: _Element, lines: int) -> _Element:
        """``element`` moved ``lines`` down, once per place."""
        key = (opener, text, lines)
        placed = self.placed.get(key)
        if placed is None:
            placed = replace(
                element,
                entries=tuple(shift_entry(e, lines) for e in element.entries),
                items=tuple(shift_node(i, lines) for i in element.items),
            )
            self.placed[key] = placed
        return placed

    def clear(self) -> None:
        self.elements.clear()
        self.placed.clear()

    def __len__(self) -> int:
        return len(self.elements) + len(self.placed)


def parse_big_attribute(text: str, cache: ValueCache) -> Entry | None:
    """The attribute ``text`` holds (one item of a block body), or None when it is not
    of that shape and must be parsed whole."""
    start, first_line = leading_trivia(text)
    first = _FIRST.match(text, start)
    if first is None:
        return None
    last_start = text.rfind("\n", 0, len(text.rstrip("\r\n"))) + 1
    if last_start < first.end() or _LAST.fullmatch(text, last_start) is None:
        return None
    opener = text[: first.end()].rstrip(" \t\r\n")[-1]
    shell = _Shell.parse(text[start : first.end()] + text[last_start:], opener)
    if shell is None:
        return None
    entries: list[Entry] = []
    items: list[Node] = []
    references: list[str] = []
    inner_line = first_line + 1
    nodes = shell.hole is shell.value_tree  # an object or tuple value: its elements count
    for chunk, settled in split_body(text[first.end() : last_start]):
        element = _element(chunk.text, opener, cache, nodes)
        if element is None or (not settled and not element.empty):
            return None
        references.extend(element.references)
        if nodes:
            # The wrapper's first line is "_ = {": the element starts on its line 1.
            placed = cache.place(chunk.text, opener, element, inner_line + chunk.start_line - 1)
            entries.extend(placed.entries)
            items.extend(placed.items)
    last_line = first_line + text.count("\n", start, last_start)
    return shell.attribute(text, first_line, last_line, entries, items, references)


def _element(text: str, opener: str, cache: ValueCache, nodes: bool) -> _Element | None:
    """One element; when ``nodes`` is False only its references are needed, and a big
    element of an object (``launch_template = optional(object({``, 50 lines) is itself
    parsed element-wise."""
    key = (opener, text)
    if key in cache.elements:
        element = cache.elements[key]
        # A references-only element serves only callers that need no nodes.
        if element is None or not (nodes and element.references_only):
            return element
    if not nodes and opener == "{" and text.count("\n") >= BIG_LINES:
        # As an attribute: an object element "key = value" with a plain name as key has
        # the references of its value.
        big = parse_big_attribute(text, cache)
        if big is not None and isinstance(big.value, ExpressionNode):
            element = _Element((), (), big.value.references, references_only=True)
            cache.elements[key] = element
            return element
    before, after = _WRAP[opener]
    element = None
    wrapped = hcl_lark.prepare(before + text + after)
    try:
        tree = hcl_lark.parse_tree(wrapped)
    except Exception:  # noqa: BLE001 - any parser failure: parse the attribute whole
        tree = None
    if tree is not None:
        converter = Converter(wrapped)
        attribute = _attribute(tree)
        value = _unwrap(attribute.children[-1]) if attribute is not None else None
        node = converter.expression(value) if value is not None else None
        # Anything but a plain object or tuple (a "for" expression) is no list of elements.
        if isinstance(node, MappingNode) and opener == "{" and isinstance(value, Tree):
            refs = tuple(converter.references(value))
            element = _Element(node.entries, (), refs, empty=not node.entries)
        elif isinstance(node, SequenceNode) and opener == "[" and isinstance(value, Tree):
            refs = tuple(converter.references(value))
            element = _Element((), node.items, refs, empty=not node.items)
    cache.elements[key] = element
    return element


@record(slots=False)
class _Shell:
    """The attribute with an empty object or tuple where the elements go."""

    entry: Entry
    value_tree: Tree[Any]
    hole: Tree[Any]
    converter: Converter
    before: tuple[str, ...]  # references of the first line, then of the last one
    after: tuple[str, ...]

    @staticmethod
    def parse(text: str, opener: str) -> _Shell | None:
        source = hcl_lark.prepare(text)
        try:
            tree = hcl_lark.parse_tree(source)
        except Exception:  # noqa: BLE001
            return None
        attribute = _attribute(tree)
        if attribute is None:
            return None
        value = _unwrap(attribute.children[-1])
        hole = _hole(value, opener)
        if hole is None or not isinstance(value, Tree):
            return None
        converter = Converter(source)
        entry = converter.attribute(attribute)
        if hole is not value and not isinstance(entry.value, ExpressionNode):
            return None  # e.g. an object inside a tuple: its other parts would be lost
        before: list[str] = []
        after: list[str] = []
        for line, name in _positioned_references(converter, value):
            (before if line == 1 else after).append(name)
        return _Shell(entry, value, hole, converter, tuple(before), tuple(after))

    def attribute(
        self,
        text: str,
        first_line: int,
        last_line: int,
        entries: list[Entry],
        items: list[Node],
        references: list[str],
    ) -> Entry:
        value = self.entry.value
        moved = _Mover(first_line, last_line)
        node: Node
        if self.hole is self.value_tree and isinstance(value, MappingNode):
            node = replace(
                value,
                range=moved.range(value.range),
                entries=tuple(entries),
                indent=entries[0].range.start.character if entries else None,
                open_range=moved.range(value.open_range) if value.open_range else None,
                close_range=moved.range(value.close_range) if value.close_range else None,
            )
        elif self.hole is self.value_tree and isinstance(value, SequenceNode):
            node = replace(value, range=moved.range(value.range), items=tuple(items))
        elif isinstance(value, ExpressionNode):
            source_range = moved.range(value.range)
            node = ExpressionNode(
                source_range,
                _slice(hcl_lark.prepare(text), source_range),  # as the converter sees it
                (*self.before, *references, *self.after),
            )
        else:
            raise AssertionError(f"no element-wise value of {type(value).__name__}")
        return replace(
            self.entry,
            key_range=moved.range(self.entry.key_range),
            value=node,
            range=SourceRange(moved.position(self.entry.range.start), node.range.end),
        )


@record(slots=False)
class _Mover:
    """Shell positions (line 0: the first line, line 1: the last) to item positions."""

    first_line: int
    last_line: int

    def position(self, position: Position) -> Position:
        line = self.first_line if position.line == 0 else self.last_line
        return Position(line, position.character)

    def range(self, source_range: SourceRange) -> SourceRange:
        return SourceRange(self.position(source_range.start), self.position(source_range.end))


def _attribute(tree: Tree[Any]) -> Tree[Any] | None:
    found = [
        c
        for c in tree.children[0].children
        if isinstance(c, Tree) and c.data != "new_line_or_comment"
    ]
    if len(found) != 1 or found[0].data != "attribute":
        return None
    return found[0]


def _unwrap(tree: Tree[Any] | Token) -> Tree[Any] | Token:
    """As ``Converter.expression`` does: single-child ``expr_term`` wrappers away."""
    while isinstance(tree, Tree) and tree.data == "expr_term" and len(tree.children) == 1:
        inner = tree.children[0]
        if not isinstance(inner, Tree):
            break
        tree = inner
    return tree


def _hole(value: Tree[Any] | Token, opener: str) -> Tree[Any] | None:
    """The empty object or tuple opened on the first line and closed on the last."""
    if not isinstance(value, Tree):
        return None
    kind = "object" if opener == "{" else "tuple"
    for sub in value.iter_subtrees():
        if sub.data != kind:
            continue
        first, last = first_token(sub), last_token(sub)
        if first is None or last is None:
            continue
        if first.line == 1 and last.end_line == 2:
            content = [
                c for c in sub.children if isinstance(c, Tree) and c.data != "new_line_or_comment"
            ]
            if not content:
                return sub
    return None


def _positioned_references(converter: Converter, value: Tree[Any] | Token) -> list[tuple[int, str]]:
    """``Converter.references``, each with the 1-based line where it starts."""
    found: list[tuple[int, str]] = []
    if not isinstance(value, Tree):
        return found
    for sub in value.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
        if sub.data != "get_attr_expr_term":
            continue
        chain = converter._chain(sub)
        if chain and is_reference_root(chain[0]):
            found.append((_first_line(sub), ".".join(chain)))
    if value.data == "identifier":
        found.append((_first_line(value), converter.name(value)))
    return found


def _first_line(tree: Tree[Any]) -> int:
    first = first_token(tree)
    assert first is not None and first.line is not None
    return first.line


def _slice(text: str, source_range: SourceRange) -> str:
    lines = text.splitlines(keepends=True)
    start, end = source_range.start, source_range.end
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    middle = "".join(lines[start.line + 1 : end.line])
    return lines[start.line][start.character :] + middle + lines[end.line][: end.character]
