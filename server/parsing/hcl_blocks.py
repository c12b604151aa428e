"""Splits Terraform text into top-level blocks without parsing it.

A small scanner that knows strings, interpolations, heredocs and comments finds where
each top-level item (``resource "a" "b" { ... }``, ``x = 1`` in a tfvars file) ends.
Every chunk covers whole lines, so a chunk's parse needs only a line shift to land in
the file. Leading blank and comment lines (``#``, ``//``, ``/* */``) belong to the item
that follows them.

A block that is never closed (half-typed) would swallow the rest of the file; a line
that starts a new top-level block at column 0 ends it instead, so only the broken block
loses its findings. The next block keeps its leading comments, so its text, the cache
key, is the same as before the break.

On a keystroke ``relayout`` re-scans only from the last settled chunk before the edit
until the scan settles on a boundary the previous scan had settled on too: the scanner
is back at top level there with nothing carried over, so the rest is the old chunks,
shifted by the lines the edit added or removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.records import record

#: Blocks and values with fewer lines are parsed in one piece: one Lark parse is cheaper
#: than the pieces (``hcl_items``, ``hcl_values``). Bigger ones go item by item, so a
#: keystroke re-parses one item (generated 20,000-line file, parse per edit p50/p95:
#: 3.5/7.0 ms at 40 lines, 2.4-3.0/4.2-5.0 ms at 12; every corpus block and attribute of
#: 12+ lines parses to the same entries as in one piece).
BIG_LINES = 12

_TOKEN = re.compile(r"""\\.|\$\{|%\{|<<-?[A-Za-z][A-Za-z0-9._-]*\r?\n|["{}\[\]()\n]|\#|//|/\*""")
_TOP_LEVEL_START = re.compile(
    r"(?:resource|data|module|variable|output|locals|provider|terraform|moved|import|check"
    r"|removed|ephemeral)(?:[ \t]+\"[^\"\n]*\")*[ \t]*\{"
)
_TRIVIA_LINE = re.compile(r"[ \t\r]*(?:(?:#|//).*)?")


@record
class Chunk:
    start_line: int
    text: str

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)


@record
class Layout:
    """A text cut into chunks; ``settled[i]`` when chunk ``i`` ends at top level with
    nothing open, a point the scan reaches whatever came before it."""

    text: str
    chunks: tuple[Chunk, ...]
    settled: tuple[bool, ...]


def split_blocks(text: str) -> list[Chunk]:
    """Cut ``text`` into consecutive whole-line chunks, one per top-level item."""
    return [chunk for chunk, _ in _scan(text, 0, 0)]


def layout(text: str) -> Layout:
    scanned = list(_scan(text, 0, 0))
    return Layout(text, tuple(c for c, _ in scanned), tuple(s for _, s in scanned))


def relayout(previous: Layout, text: str) -> Layout:
    """``layout(text)``, re-scanning only around what changed since ``previous``."""
    old, chunks, settled = previous.text, previous.chunks, previous.settled
    if text == old:
        return previous
    # Unchanged chunks at the start, up to the last one that ends settled.
    keep = start = offset = 0
    for index, chunk in enumerate(chunks):
        if not text.startswith(chunk.text, offset):
            break
        offset += len(chunk.text)
        if settled[index]:
            keep, start = index + 1, offset
    # Unchanged chunks at the end, clear of the kept start.
    room = min(len(text), len(old)) - start
    tail = 0
    first_tail = len(chunks)
    for index in range(len(chunks) - 1, keep - 1, -1):
        size = len(chunks[index].text)
        if tail + size > room or not text.endswith(chunks[index].text, 0, len(text) - tail):
            break
        tail += size
        first_tail = index
    changed_end = len(text) - tail
    delta = len(text) - len(old)
    # Where a new scan may stop: old settled boundaries inside the unchanged end, as new
    # offsets, mapped to the index of the old chunk that follows them.
    resume: dict[int, int] = {}
    end = len(old)
    for index in range(len(chunks) - 1, max(first_tail, 1) - 1, -1):
        end -= len(chunks[index].text)
        if settled[index - 1]:
            resume[end + delta] = index
    line = chunks[keep - 1].start_line + chunks[keep - 1].text.count("\n") if keep else 0
    new_chunks = list(chunks[:keep])
    new_settled = list(settled[:keep])
    position = start
    for chunk, done in _scan(text, start, line):
        new_chunks.append(chunk)
        new_settled.append(done)
        position += len(chunk.text)
        follow = resume.get(position) if done and position >= changed_end else None
        if follow is not None:
            shift = chunk.start_line + chunk.text.count("\n") - chunks[follow].start_line
            rest = chunks[follow:]
            new_chunks.extend(
                rest if not shift else (Chunk(c.start_line + shift, c.text) for c in rest)
            )
            new_settled.extend(settled[follow:])
            break
    return Layout(text, tuple(new_chunks), tuple(new_settled))


def _scan(text: str, start: int, start_line: int) -> Iterator[tuple[Chunk, bool]]:
    """Chunks from ``start`` (a settled point at line ``start_line``), each with whether
    it ends settled."""
    stack: list[str] = []  # open '"' strings, 'i' interpolations, '{' '[' '(' brackets
    chunk_start = start  # offset of the current chunk
    chunk_line = start_line
    line = start_line
    line_start = start
    has_content = False
    pos = start
    n = len(text)
    while pos < n:
        match = _TOKEN.search(text, pos)
        if match is None:
            break
        token = match.group()
        pos = match.end()
        top = stack[-1] if stack else ""
        if top == '"':
            if token == '"':
                stack.pop()
            elif token in ("${", "%{"):
                stack.append("i")
            elif token.endswith("\n"):  # a newline, or "<<EOF\n" that ends in one
                stack.pop()  # strings end at the line end; let the newline count below
                pos -= 1
            continue
        if token == "\n":
            if not stack:
                if not has_content and not _TRIVIA_LINE.fullmatch(text, line_start, pos - 1):
                    has_content = True
                if has_content:
                    yield Chunk(chunk_line, text[chunk_start:pos]), True
                    chunk_start, chunk_line, has_content = pos, line + 1, False
            elif _TOP_LEVEL_START.match(text, pos):
                # An unclosed block: the next top-level block starts a new chunk, with the
                # blank and comment lines above it, as if the block had been closed.
                stack.clear()
                cut, cut_line = _trivia_before(text, chunk_start, pos, line + 1)
                yield Chunk(chunk_line, text[chunk_start:cut]), False
                chunk_start, chunk_line, has_content = cut, cut_line, False
            line += 1
            line_start = pos
        elif token == '"':
            stack.append('"')
            has_content = True
        elif token in ("{", "[", "(", "${", "%{"):
            stack.append(token[-1])
            has_content = True
        elif token in ("}", "]", ")"):
            if stack:
                stack.pop()
            has_content = True
        elif token in ("#", "//"):
            end = text.find("\n", pos)
            pos = n if end < 0 else end
        elif token == "/*":
            if text[line_start : match.start()].strip(" \t\r"):
                has_content = True  # code before the comment on its line
            end = text.find("*/", pos)
            end = n if end < 0 else end + 2
            line += text.count("\n", pos, end)
            # Like "#" comments, a comment alone on its lines leads into the next item.
            line_start = pos = end
        elif token.startswith("<<"):
            has_content = True
            marker = token.lstrip("<-").rstrip("\r\n")
            line += 1
            line_start = pos
            # Terraform lets blanks surround the closing marker on its line.
            closing = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*\r?$", re.MULTILINE)
            found = closing.search(text, pos)
            end = n if found is None else found.end()
            line += text.count("\n", pos, end)
            last_nl = text.rfind("\n", pos, end)
            if last_nl >= 0:
                line_start = last_nl + 1
            pos = end
        # escapes outside strings carry no meaning here
    if chunk_start < n:
        yield Chunk(chunk_line, text[chunk_start:]), False


def _trivia_before(text: str, floor: int, pos: int, line: int) -> tuple[int, int]:
    """The start (offset, line) of the blank and comment lines right above line start
    ``pos``, staying below the chunk's first line at ``floor``."""
    while pos > floor:
        start = text.rfind("\n", floor, pos - 1) + 1
        if start <= floor or not _TRIVIA_LINE.fullmatch(text, start, pos - 1):
            break
        pos, line = start, line - 1
    return pos, line


def split_body(text: str) -> Iterator[tuple[Chunk, bool]]:
    """The items of a block body (the lines between its braces), each with whether it
    ends settled: inside the braces the items are cut exactly as top-level items are."""
    return _scan(text, 0, 0)


_TRIVIA_LINE_NL = re.compile(r"[ \t]*(?:(?:#|//)[^\n]*)?\r?\n")


def leading_trivia(text: str) -> tuple[int, int]:
    """Offset and line of the first line of ``text`` that is not blank or a ``#``/``//``
    comment."""
    offset = line = 0
    while (match := _TRIVIA_LINE_NL.match(text, offset)) is not None:
        offset, line = match.end(), line + 1
    return offset, line
