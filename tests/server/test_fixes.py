"""Applying edits the way LSP clients do."""

from __future__ import annotations

from iacperf.rules.edits import Edit
from iacperf.rules.model import SourceRange
from iacperf.server.fixes import apply_edits


def _at(line: int, character: int, text: str) -> Edit:
    return Edit(SourceRange.of(line, character, line, character), text)


def test_insertions_at_one_point_keep_their_order() -> None:
    assert apply_edits("ab\n", [_at(0, 1, "1"), _at(0, 1, "2"), _at(0, 1, "3")]) == "a123b\n"


def test_replacements_and_insertions_back_to_front() -> None:
    edits = [
        Edit(SourceRange.of(0, 0, 0, 1), "X"),
        _at(1, 0, "new\n"),
        Edit(SourceRange.of(1, 2, 1, 3), "Z"),
    ]
    assert apply_edits("abc\ndef\n", edits) == "Xbc\nnew\ndeZ\n"


def test_columns_are_code_points() -> None:
    text = 'name = "Zürich ☃ 😀" # x\n'
    start = text.index("😀")
    assert apply_edits(text, [Edit(SourceRange.of(0, start, 0, start + 1), "!")]) == (
        'name = "Zürich ☃ !" # x\n'
    )


def test_insertion_after_a_last_line_without_newline() -> None:
    assert apply_edits("a: 1", [_at(1, 0, "b: 2\n")]) == "a: 1\nb: 2\n"
