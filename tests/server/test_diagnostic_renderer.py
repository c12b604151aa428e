"""Diagnostics built as wire-format dicts: protocol-valid, and reused only while valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.records import replace
from iacperf.server.analysis import lint_text
from iacperf.server.engine import Finding
from iacperf.server.lsp.diagnostics import DiagnosticRenderer, diagnostic_json

FIXTURES = Path(__file__).parents[1] / "rules" / "fixtures"
BAD = sorted(p for p in FIXTURES.glob("*/bad*") if p.suffix in (".tf", ".yaml", ".json"))
UTF16 = PositionCodec(types.PositionEncodingKind.Utf16)

GP2 = """\
resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  size              = 100
  type              = "gp2"
}
"""


def _findings(name: str, text: str) -> list[Finding]:
    findings = lint_text(name, text)
    assert findings, f"{name}: the test needs findings"
    return findings


@pytest.mark.parametrize("path", BAD, ids=[f"{p.parent.name}/{p.name}" for p in BAD])
def test_wire_format_is_what_lsprotocol_would_send(path: Path) -> None:
    """Structuring and unstructuring through lsprotocol gives back the very same dict:
    every key is a protocol field in its wire spelling, nothing is lost or added."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    converter = get_converter()
    for finding in lint_text(path.name, text):
        wire = diagnostic_json(finding, "file:///x/" + path.name, lines, UTF16)
        typed = converter.structure(wire, types.Diagnostic)
        assert converter.unstructure(typed) == wire


def test_same_finding_on_unchanged_lines_is_reused() -> None:
    findings = _findings("main.tf", GP2)
    renderer = DiagnosticRenderer()
    first = renderer.render(findings, "file:///w/main.tf", GP2.splitlines(True), UTF16)
    again = renderer.render(
        findings, "file:///w/main.tf", (GP2 + "\n# trailing\n").splitlines(True), UTF16
    )
    assert [a is b for a, b in zip(first, again, strict=True)] == [True] * len(first)


def test_a_changed_line_renders_again() -> None:
    """The finding object is the same, but a character before it on its line now takes
    two UTF-16 units: the reused diagnostic would point one unit short."""
    findings = _findings("main.tf", GP2)
    renderer = DiagnosticRenderer()
    first = renderer.render(findings, "file:///w/main.tf", GP2.splitlines(True), UTF16)
    edited = GP2.replace('  type              = "gp2"', '  type/*😀*/        = "gp2"')
    again = renderer.render(findings, "file:///w/main.tf", edited.splitlines(True), UTF16)
    assert first[0] != again[0]
    moved = json.loads(again[0])["range"]["start"]["character"]
    assert moved == json.loads(first[0])["range"]["start"]["character"] + 1


def test_equal_new_findings_reuse_their_json_and_changed_ones_render_fresh() -> None:
    """A rule that ran again makes new ``Finding`` objects: equal ones reuse the JSON,
    one whose message changed is rendered again."""
    lines = GP2.splitlines(True)
    renderer = DiagnosticRenderer()
    first = renderer.render(_findings("main.tf", GP2), "file:///w/main.tf", lines, UTF16)
    fresh = _findings("main.tf", GP2)
    again = renderer.render(fresh, "file:///w/main.tf", lines, UTF16)
    assert [a is b for a, b in zip(first, again, strict=True)] == [True] * len(first)
    changed = [replace(fresh[0], message="another message"), *fresh[1:]]
    third = renderer.render(changed, "file:///w/main.tf", lines, UTF16)
    assert json.loads(third[0])["message"] == "another message"
    assert [json.loads(w) for w in third] == [
        diagnostic_json(f, "file:///w/main.tf", lines, UTF16) for f in changed
    ]


def test_another_position_encoding_renders_afresh() -> None:
    """The same findings and text, but a client counting code points, not UTF-16 units:
    nothing rendered for the other unit is reused."""
    text = GP2.replace('  type              = "gp2"', '  type/*😀*/        = "gp2"')
    lines = text.splitlines(True)
    findings = _findings("main.tf", text)
    renderer = DiagnosticRenderer()
    utf16 = renderer.render(findings, "file:///w/main.tf", lines, UTF16)
    utf32 = renderer.render(
        findings, "file:///w/main.tf", lines, PositionCodec(types.PositionEncodingKind.Utf32)
    )
    start16 = json.loads(utf16[0])["range"]["start"]["character"]
    assert json.loads(utf32[0])["range"]["start"]["character"] == start16 - 1


def test_random_edits_render_as_a_fresh_renderer_does() -> None:
    """Keystrokes in string values (lines kept as objects where untouched, as the editor's
    document keeps them), linted with the rule memo: what the renderer patches equals a
    render from scratch after every edit."""
    import random

    from iacperf.server.engine import Selection, lint
    from iacperf.server.parsing.terraform import parse_terraform
    from iacperf.server.rule_memo import RuleMemo

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/bad.tf")))
    lines = text.splitlines(True)
    rng = random.Random(27)
    memo, selection, renderer = RuleMemo(), Selection(), DiagnosticRenderer()
    parse = parse_terraform("/w/main.tf", text, editing=True)
    for _ in range(40):
        at = rng.randrange(len(lines))
        line = lines[at]
        if '"' in line:
            quote = line.index('"') + 1
            lines[at] = line[:quote] + rng.choice(["x", "😀", ""]) + line[quote:]
        parse = parse_terraform("/w/main.tf", "".join(lines), parse, editing=True)
        findings = lint([parse.template], selection, memo=memo)
        snapshot = tuple(lines)
        patched = renderer.render(findings, "file:///w/main.tf", snapshot, UTF16)
        assert patched == DiagnosticRenderer().render(
            findings, "file:///w/main.tf", snapshot, UTF16
        )
