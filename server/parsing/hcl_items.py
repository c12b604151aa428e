"""Parses a big Terraform block item by item, so a keystroke re-parses one attribute.

python-hcl2 needs 70-150 ms for the largest blocks of real code (a 357-line ``module``
call). A big block is cut into the items of its body - attributes and nested blocks,
each with the blank and comment lines above it - by the scanner that cuts files into
blocks (``hcl_blocks``): inside the braces an item is exactly what a top-level item is
in a file. Each item is parsed alone and cached by its text; the block's header is
parsed with an empty body. The assembled block equals python-hcl2's parse of the whole
block (``tests/parsing/test_items.py`` checks this on every big block of the corpus).

Anything unusual - a comment or code after a brace, ``/* */`` comments around the
header, an item that does not parse - returns None, and the caller parses the block
whole, so errors read exactly as before.
"""

from __future__ import annotations

import re

from iacperf.rules.model import (
    Entry,
    MappingNode,
    Position,
    SourceRange,
    shift_entry,
)
from iacperf.rules.records import field, record, replace
from iacperf.server.parsing.hcl_blocks import BIG_LINES, leading_trivia, split_body
from iacperf.server.parsing.hcl_values import ValueCache, parse_big_attribute

_CACHE_LIMIT = 5_000  # items; each keystroke in a big block adds one

_LABEL = r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w-]*'
_HEADER = re.compile(rf"[ \t]*[A-Za-z_][\w-]*(?:[ \t]+(?:{_LABEL}))*[ \t]*\{{[ \t]*\r?\n")
_CLOSE = re.compile(r"[ \t]*\}[ \t]*(?:\r?\n)?")


@record(frozen=False)
class ItemCache:
    """Items parsed before (relative to their own first line), and placed in a block."""

    parsed: dict[str, tuple[Entry, ...] | None] = field(default_factory=dict)
    placed: dict[tuple[str, int], tuple[Entry, ...]] = field(default_factory=dict)
    values: ValueCache = field(default_factory=ValueCache)

    def trim(self) -> None:
        if max(len(self.parsed), len(self.placed), len(self.values)) > _CACHE_LIMIT:
            self.parsed.clear()
            self.placed.clear()
            self.values.clear()


def parse_big_block(text: str, cache: ItemCache) -> Entry | None:
    """The block ``text`` holds (one top-level item, as ``split_blocks`` cuts them), or
    None when it must be parsed whole."""
    cache.trim()
    header_start, header_line = leading_trivia(text)
    header = _HEADER.match(text, header_start)
    if header is None:
        return None
    close_start = text.rfind("\n", 0, len(text.rstrip("\r\n"))) + 1
    if close_start <= header.end() - 1 or _CLOSE.fullmatch(text, close_start) is None:
        return None
    shell = _parse(text[header_start : header.end()] + "}\n", cache)
    if shell is None or len(shell) != 1 or not shell[0].is_block:
        return None
    body_line = header_line + 1
    entries: list[Entry] = []
    for item, settled in split_body(text[header.end() : close_start]):
        parsed = _parse(item.text, cache)
        if parsed is None or (not settled and parsed):
            return None
        entries.extend(_placed(item.text, parsed, body_line + item.start_line, cache))
    close_line = body_line + text.count("\n", header.end(), close_start)
    brace = text.index("}", close_start) - close_start
    return _block(shell[0], tuple(entries), header_line, close_line, brace)


def _parse(text: str, cache: ItemCache) -> tuple[Entry, ...] | None:
    if text in cache.parsed:
        return cache.parsed[text]
    entries: tuple[Entry, ...] | None = None
    if text.count("\n") >= BIG_LINES:
        # A big nested block (``dynamic``) item by item too, a big value element-wise.
        big = parse_big_block(text, cache) or parse_big_attribute(text, cache.values)
        entries = (big,) if big is not None else None
    if entries is None:
        from iacperf.server.parsing.terraform import parse_chunk

        parsed = parse_chunk(text)
        entries = parsed.blocks if parsed.error is None else None
    cache.parsed[text] = entries
    return entries


def _placed(
    text: str, entries: tuple[Entry, ...], line: int, cache: ItemCache
) -> tuple[Entry, ...]:
    key = (text, line)
    placed = cache.placed.get(key)
    if placed is None:
        placed = tuple(shift_entry(entry, line) for entry in entries)
        cache.placed[key] = placed
    return placed


def _block(
    shell: Entry, entries: tuple[Entry, ...], header_line: int, close_line: int, brace: int
) -> Entry:
    """``shell`` (the header with an empty body, parsed at line 0) with ``entries``."""
    assert isinstance(shell.value, MappingNode) and shell.value.open_range is not None
    opening = shell.value.open_range.shifted(header_line)
    closing = SourceRange(Position(close_line, brace), Position(close_line, brace + 1))
    body = MappingNode(
        range=SourceRange(opening.end, closing.start),
        entries=entries,
        indent=entries[0].range.start.character if entries else None,
        open_range=opening,
        close_range=closing,
    )
    return replace(
        shell,
        key_range=shell.key_range.shifted(header_line),
        value=body,
        range=SourceRange(shell.range.start.shifted(header_line), closing.end),
    )
