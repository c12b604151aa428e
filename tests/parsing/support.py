"""Helpers for exact-range tests: build ranges, read the text a range covers, parse."""

from __future__ import annotations

from iacperf.rules.model import Resource, SourceRange, Template
from iacperf.server.parsing import parse_text


def R(line: int, character: int, end_line: int, end_character: int) -> SourceRange:  # noqa: N802
    """A 0-based range, end exclusive."""
    return SourceRange.of(line, character, end_line, end_character)


def text_at(text: str, source_range: SourceRange) -> str:
    """The text a range covers; characters are code points, lines end at "\\n"."""
    lines = text.split("\n")
    start, end = source_range.start, source_range.end
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    parts = [lines[start.line][start.character :]]
    parts.extend(lines[start.line + 1 : end.line])
    parts.append(lines[end.line][: end.character])
    return "\n".join(parts)


def parse(path: str, text: str) -> Template:
    """A template that parsed without errors."""
    template, _ = parse_text(path, text)
    assert template is not None, f"{path} was not recognised"
    assert not template.errors, template.errors
    return template


def resource(template: Template, name: str) -> Resource:
    found = [r for r in template.resources if r.name == name]
    assert len(found) == 1, [r.name for r in template.resources]
    return found[0]
