"""Applying edits to text: for ``--fix``, fix-all and the tests' ``.fixed`` fixtures."""

from __future__ import annotations

from collections.abc import Iterable

from iacperf.rules.api import Applicability
from iacperf.rules.edits import Edit
from iacperf.rules.model import Position
from iacperf.server.engine import Finding


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (absolute ranges, code-point columns) to ``text``."""
    line_starts = [0]
    index = text.find("\n")
    while index >= 0:
        line_starts.append(index + 1)
        index = text.find("\n", index + 1)

    def offset(position: Position) -> int:
        if position.line >= len(line_starts):
            return len(text)
        start = line_starts[position.line]
        end = (
            line_starts[position.line + 1] - 1
            if position.line + 1 < len(line_starts)
            else len(text)
        )
        return min(start + position.character, end)

    # Back to front, so earlier offsets stay valid. Insertions at one point keep their
    # order in the list, as LSP clients apply them: the later one is applied first.
    numbered = sorted(
        enumerate(edits), key=lambda pair: (pair[1].range.start, pair[1].range.end, pair[0])
    )
    result = text
    for _, edit in reversed(numbered):
        start, end = offset(edit.range.start), offset(edit.range.end)
        new_text = edit.new_text
        if edit.range.start.line >= len(line_starts) and result and not result.endswith("\n"):
            new_text = "\n" + new_text  # inserting after a last line without a newline
        result = result[:start] + new_text + result[end:]
    return result


def fixable(findings: Iterable[Finding], up_to: Applicability) -> list[Finding]:
    """Findings whose fix is at least as sure as ``up_to`` (display-only never applies)."""
    return [
        f
        for f in findings
        if f.fix is not None
        and f.fix.edits
        and f.fix.applicability is not Applicability.DISPLAY_ONLY
        and f.fix.applicability.rank >= up_to.rank
    ]


def compatible_fixes(findings: Iterable[Finding], up_to: Applicability) -> list[Finding]:
    """Fixable findings whose edits do not overlap an earlier one's (one pass of fix-all)."""
    chosen: list[Finding] = []
    taken: list[tuple[Position, Position]] = []
    for finding in fixable(findings, up_to):
        assert finding.fix is not None
        spans = [(e.range.start, e.range.end) for e in finding.fix.edits]
        if any(_overlaps(span, other) for span in spans for other in taken):
            continue  # the next run picks it up
        taken.extend(spans)
        chosen.append(finding)
    return chosen


def apply_fixes(text: str, findings: Iterable[Finding], up_to: Applicability) -> tuple[str, int]:
    """Apply the fixes of ``findings`` in one pass, skipping any that overlap an earlier one.

    Returns the new text and how many fixes were applied.
    """
    chosen = compatible_fixes(findings, up_to)
    edits = [edit for finding in chosen for edit in (finding.fix.edits if finding.fix else ())]
    return apply_edits(text, edits), len(chosen)


def _overlaps(a: tuple[Position, Position], b: tuple[Position, Position]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two insertions at one point: order would be ambiguous
    return a[0] < b[1] and b[0] < a[1]
