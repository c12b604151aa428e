"""Reading values in rules: literal or unknown, never guessed.

A rule that cannot know a value (a reference, a function, an intrinsic) stays silent;
these helpers return None for "unknown" so that case is hard to forget.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    IntrinsicNode,
    Node,
    ScalarNode,
    SequenceNode,
)

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_READS: ContextVar[list[Node] | None] = ContextVar("unknown_reads", default=None)


@contextmanager
def unknown_reads() -> Iterator[list[Node]]:
    """Collects the unknown values (references, functions, intrinsics) these helpers are
    asked to read while it is open: what kept a rule from deciding (``report_unknown``)."""
    found: list[Node] = []
    token = _READS.set(found)
    try:
        yield found
    finally:
        _READS.reset(token)


def _unknown(node: Node | None) -> None:
    if isinstance(node, (ExpressionNode, IntrinsicNode)):
        reads = _READS.get()
        if reads is not None:
            reads.append(node)


def node_of(value: Entry | Node | None) -> Node | None:
    return value.value if isinstance(value, Entry) else value


def text(value: Entry | Node | None) -> str | None:
    """The literal string (numbers and booleans as written), or None when unknown."""
    node = node_of(value)
    if not isinstance(node, ScalarNode) or node.value is None:
        _unknown(node)
        return None
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value)


def number(value: Entry | Node | None) -> float | None:
    node = node_of(value)
    if not isinstance(node, ScalarNode) or isinstance(node.value, bool):
        _unknown(node)
        return None
    try:
        return float(node.value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def boolean(value: Entry | Node | None) -> bool | None:
    """True/False for a literal boolean (also "true"/"false" strings), else None."""
    node = node_of(value)
    if not isinstance(node, ScalarNode):
        _unknown(node)
        return None
    if isinstance(node.value, bool):
        return node.value
    if isinstance(node.value, str):
        lowered = node.value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def strings(value: Entry | Node | None) -> list[str] | None:
    """A literal list of strings, or None when the list or any item is unknown."""
    node = node_of(value)
    if not isinstance(node, SequenceNode):
        _unknown(node)
        return None
    items = [text(item) for item in node.items]
    if any(item is None for item in items):
        return None
    return [item for item in items if item is not None]
