"""Random edits as an editor sends them: typing, deleting, pasting, undo.

An edit is ``(start, end, text)`` in string offsets of the current text; ``session``
turns it into the LSP change a client would send.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

#: What people type, plus what breaks parsers: quotes, brackets, heredocs, YAML tags and
#: anchors, tabs, every kind of line end, non-ASCII and non-BMP characters.
TYPED = [
    *"abcxyz019_-. ",
    *"{}[]()\"'=:,#!&*<>$/\\|%@`",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "  ",
    "é",
    "😀",
    "\u2028",
    "\x0c",
    "${",
    "<<EOF\n",
    "EOF\n",
    "!Ref ",
    "- ",
    "gp2",
    '"gp2"',
    "m4.large",
    "# iacperf:ignore PERF019\n",
]


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    kind: str


def random_edit(
    rng: random.Random, text: str, pastes: Sequence[str], history: Sequence[str]
) -> Edit:
    """One edit of ``text``: mostly small, sometimes a paste of another file's lines or
    an undo back to an earlier text of the same session."""
    roll = rng.random()
    at = rng.randrange(len(text) + 1)
    if roll < 0.45:
        return Edit(at, at, rng.choice(TYPED), "type")
    if roll < 0.7 and text:
        return Edit(at, min(len(text), at + rng.randrange(1, 24)), "", "delete")
    if roll < 0.8 and text:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        return Edit(start, len(text) if end < 0 else end + 1, "", "delete line")
    if roll < 0.92 and pastes:
        return Edit(at, at, _piece_of(rng, rng.choice(pastes)), "paste")
    if history:
        return undo(text, rng.choice(history[-8:]))
    return Edit(at, at, rng.choice(TYPED), "type")


def _piece_of(rng: random.Random, source: str) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    first = rng.randrange(len(lines))
    return "".join(lines[first : first + rng.randrange(1, 30)])


def undo(text: str, earlier: str) -> Edit:
    """The one ranged change that turns ``text`` back into ``earlier`` (as undo does)."""
    head = 0
    shortest = min(len(text), len(earlier))
    while head < shortest and text[head] == earlier[head]:
        head += 1
    tail = 0
    while tail < shortest - head and text[len(text) - 1 - tail] == earlier[len(earlier) - 1 - tail]:
        tail += 1
    return Edit(head, len(text) - tail, earlier[head : len(earlier) - tail], "undo")


def apply(text: str, edit: Edit) -> str:
    return text[: edit.start] + edit.text + text[edit.end :]
