"""Moving parsed nodes down the file: a piece parsed alone lands at its line."""

from __future__ import annotations

from dataclasses import replace

from iacperf.rules.model import Entry, IntrinsicNode, MappingNode, Node, SequenceNode


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
