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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""\\.|\$\{|%\{|<<-?[A-Za-z][A-Za-z0-9._-]*\r?\n|["{}\[\]()\n]|\#|//|/\*""")
_TOP_LEVEL_START = re.compile(
    r"(?:resource|data|module|variable|output|locals|provider|terraform|moved|import|check"
    r"|removed|ephemeral)(?:[ \t]+\"[^\"\n]*\")*[ \t]*\{"
)
_TRIVIA_LINE = re.compile(r"[ \t\r]*(?:(?:#|//).*)?")


@dataclass(frozen=True, slots=True)
class Chunk:
    start_line: int
    text: str

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)


def split_blocks(text: str) -> list[Chunk]:
    """Cut ``text`` into consecutive whole-line chunks, one per top-level item."""
    chunks: list[Chunk] = []
    stack: list[str] = []  # open '"' strings, 'i' interpolations, '{' '[' '(' brackets
    chunk_start = 0  # offset of the current chunk
    chunk_line = 0
    line = 0
    line_start = 0
    has_content = False
    pos = 0
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
            elif token == "\n":
                stack.pop()  # strings end at the line end; let the newline count below
                pos -= 1
            continue
        if token == "\n":
            if not stack:
                if not has_content and not _TRIVIA_LINE.fullmatch(text, line_start, pos - 1):
                    has_content = True
                if has_content:
                    chunks.append(Chunk(chunk_line, text[chunk_start:pos]))
                    chunk_start, chunk_line, has_content = pos, line + 1, False
            elif _TOP_LEVEL_START.match(text, pos):
                # An unclosed block: the next top-level block starts a new chunk, with the
                # blank and comment lines above it, as if the block had been closed.
                stack.clear()
                cut, cut_line = _trivia_before(text, chunk_start, pos, line + 1)
                chunks.append(Chunk(chunk_line, text[chunk_start:cut]))
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
        chunks.append(Chunk(chunk_line, text[chunk_start:]))
    return chunks


def _trivia_before(text: str, floor: int, pos: int, line: int) -> tuple[int, int]:
    """The start (offset, line) of the blank and comment lines right above line start
    ``pos``, staying below the chunk's first line at ``floor``."""
    while pos > floor:
        start = text.rfind("\n", floor, pos - 1) + 1
        if start <= floor or not _TRIVIA_LINE.fullmatch(text, start, pos - 1):
            break
        pos, line = start, line - 1
    return pos, line
