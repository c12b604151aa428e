"""Every rule fixture: exact lines of findings, and fixes that converge (tflint's ``Fixed``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from iacperf.rules.api import Applicability, FixAvailability, Rule
from iacperf.server.analysis import lint_text
from iacperf.server.engine import Selection
from iacperf.server.fixes import apply_fixes
from iacperf.server.parsing import parse_text

from .fixture_support import expected_columns, expected_for, fixture_files, fixture_id

FILES = fixture_files()


def _only(code: str) -> Selection:
    return Selection(select=frozenset({code}))


def _raise(rule: Rule, where: str, error: BaseException) -> None:
    """A rule that raises on a fixture fails the test (the engine would log and go on)."""
    raise AssertionError(f"{rule.code} raised on {where}") from error


@pytest.mark.parametrize("path", FILES, ids=[fixture_id(p) for p in FILES])
def test_fixture_findings(path: Path) -> None:
    code = path.parent.name
    text = path.read_text(encoding="utf-8")
    template, _ = parse_text(path.name, text)
    assert template is not None, f"{path} is not recognised as IaC"
    assert not template.errors, template.errors
    findings = lint_text(path.name, text, _only(code), on_rule_error=_raise)
    got = Counter((f.range.start.line, f.code) for f in findings)
    assert got == expected_for(path)
    if path.name.startswith("good"):
        assert not findings
    for f in findings:
        has_edits = f.fix is not None and bool(f.fix.edits)
        if f.rule.fix is FixAvailability.NONE:
            assert not has_edits, f"{code} declares no fix but offers edits"
        if f.rule.fix is FixAvailability.ALWAYS:
            assert has_edits, f"{code} declares fix=always but this finding has none: {f}"
    columns = expected_columns(path)
    if columns is not None:
        assert (
            Counter((f.range.start.line, f.range.start.character, f.code) for f in findings)
            == columns
        )


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if p.with_name(p.name + ".fixed").exists()],
    ids=fixture_id,
)
def test_fix_result(path: Path) -> None:
    code = path.parent.name
    text = path.read_text(encoding="utf-8")
    findings = lint_text(path.name, text, _only(code))
    fixed, applied = apply_fixes(text, findings, up_to=Applicability.UNSAFE)
    assert applied, "the fixture has a .fixed file but no fix applied"
    assert fixed == path.with_name(path.name + ".fixed").read_text(encoding="utf-8")
    template, _ = parse_text(path.name, fixed)
    assert template is not None and not template.errors, "the fixed text must parse"
    remaining = [f for f in lint_text(path.name, fixed, _only(code)) if f.fix and f.fix.edits]
    assert not remaining, "fixes must converge: the rule no longer fires where it had a fix"
