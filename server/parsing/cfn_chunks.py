"""Splits a CloudFormation YAML template into resource chunks without parsing it.

Each entry of the top-level ``Resources`` mapping is one chunk of whole lines: it starts
at its logical id (blank and comment lines before it belong to it) and runs until the
next line at the section's child indentation or less. A chunk is valid YAML alone, and
since chunks are whole lines its columns are the file's: parsing it needs only a line
shift to land in the file. Everything else is the "rest": the text with the resource
lines emptied, so the rest keeps absolute line numbers.

``split_yaml`` returns None whenever cutting is not known to give the whole parse's
answer (anchors and aliases, flow ``Resources: {``, tabs in indentation, several
documents, unusual line breaks, no or several ``Resources`` keys); the caller then
parses the whole document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iacperf.server.parsing.hcl_blocks import Chunk

_RESOURCES = re.compile(r"""^(?:Resources|"Resources"|'Resources')[ \t]*:(?P<rest>[^\n]*)$""", re.M)
# Aliases need their anchor in the same chunk, a directive or a document marker makes
# several documents, a tab in indentation changes what a line's indentation is.
_UNSAFE = re.compile(r"^(?:---|\.\.\.|%)|^ *\t|(?:^|[ \t\[{,])[&*][\w-]", re.M)
# YAML 1.1 line breaks that str.split("\n") would not count.
_ODD_BREAKS = re.compile("[\x85\u2028\u2029]|\r(?!\n)")


@dataclass(frozen=True, slots=True)
class YamlLayout:
    """``rest`` has the same lines as the text, the resource chunks' lines emptied."""

    rest: str
    chunks: tuple[Chunk, ...]
    indent: int  # the column of the logical ids; 0 when the section is empty


def split_yaml(text: str) -> YamlLayout | None:
    """The template's resource chunks and rest, or None when cutting is not safe."""
    if _ODD_BREAKS.search(text) is not None:
        return None
    unsafe = _UNSAFE.search(text)
    if unsafe is not None and unsafe.group() == "---" and _only_trivia(text[: unsafe.start()]):
        unsafe = _UNSAFE.search(text, unsafe.end())  # the usual "---" opening the document
    if unsafe is not None:
        return None
    found = list(_RESOURCES.finditer(text))
    if len(found) != 1:
        return None
    after = found[0].group("rest").strip()
    if after and not after.startswith("#"):
        return None  # flow style or a value on the key's line
    lines = text.split("\n")
    first = text.count("\n", 0, found[0].start()) + 1  # the line below ``Resources:``
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    spans, indent, end = _entries(lines, first)
    if spans is None:
        return None
    chunks = tuple(Chunk(a, text[starts[a] : starts[b]]) for a, b in spans)
    if not chunks:
        return YamlLayout(text, (), 0)
    section_start, section_end = starts[spans[0][0]], starts[end]
    blank = "\n" * text.count("\n", section_start, section_end)
    return YamlLayout(text[:section_start] + blank + text[section_end:], chunks, indent)


def _only_trivia(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def _entries(lines: list[str], first: int) -> tuple[list[tuple[int, int]] | None, int, int]:
    """(line spans of the section's entries, their column, the line after the section)."""
    spans: list[tuple[int, int]] = []
    indent = -1
    start = first  # where the current entry's chunk starts
    trivia: int | None = None  # first blank/comment line after the last content line
    opened = False
    for index in range(first, len(lines)):
        line = lines[index]
        content = line.lstrip(" ")
        if not content.strip() or content.startswith("#"):
            if trivia is None:
                trivia = index
            continue
        column = len(line) - len(content)
        if indent < 0:
            if column == 0:
                return [], 0, first  # an empty section: the next key follows
            if content.startswith("-"):
                return None, 0, 0  # a list, not a mapping
            indent = column
        if column < indent:
            return spans + ([(start, trivia or index)] if opened else []), indent, trivia or index
        if column == indent:
            if opened:
                boundary = trivia if trivia is not None else index
                spans.append((start, boundary))
                start = boundary
            opened = True
        trivia = None
    end = trivia if trivia is not None else len(lines)
    if opened:
        spans.append((start, end))
    return spans, max(indent, 0), end
