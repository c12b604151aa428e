"""One editing session through the server's own model, checked after every edit.

The text goes through ``LineDocument`` (as ``didChange`` applies it, from the UTF-16
positions a client sends) and ``Project`` (as the analysis worker parses and lints it);
after each edit the findings must equal a fresh analysis of the text (the CLI's path),
and every diagnostic range must lie inside the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.api import Rule
from iacperf.server.analysis import lint_text
from iacperf.server.engine import Finding, Selection
from iacperf.server.lsp.diagnostics import to_diagnostics
from iacperf.server.lsp.documents import LineDocument, split_lines
from iacperf.server.lsp.project import Project

from .edits import Edit, apply

SELECTION = Selection()
CODEC = PositionCodec(types.PositionEncodingKind.Utf16)


def client_position(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16) of a string offset, lines as clients count them (never
    between the two characters of a "\\r\\n")."""
    before = split_lines(text[:offset])
    if not before:
        return types.Position(0, 0)
    if before[-1].endswith(("\n", "\r")):
        return types.Position(len(before), 0)
    return types.Position(len(before) - 1, len(before[-1].encode("utf-16-le")) // 2)


def finding_key(finding: Finding) -> tuple[Any, ...]:
    fix = finding.fix
    return (
        finding.path,
        finding.code,
        finding.range,
        finding.message,
        finding.resource,
        finding.severity,
        tuple(finding.related),
        None if fix is None else (fix.title, fix.applicability, tuple(fix.edits)),
    )


def keys(findings: Sequence[Finding]) -> list[tuple[Any, ...]]:
    return sorted(map(finding_key, findings), key=repr)


@dataclass
class Session:
    path: str
    text: str
    project: Project = field(default_factory=Project)
    history: list[str] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)
    edits: int = 0

    def __post_init__(self) -> None:
        self.doc = LineDocument("file://" + self.path, source=self.text, position_codec=CODEC)
        self.project.log = lambda message: None
        self.findings = self._lint()

    def _on_rule_error(self, rule: Rule, where: str, error: BaseException) -> None:
        self.rule_errors.append(f"{rule.code} on {where}: {error!r}")

    def _lint(self) -> list[Finding]:
        self.project.update_open(self.path, self.doc.source)
        found = self.project.lint_module(self.path, SELECTION, self._on_rule_error)
        return found.get(self.path, [])

    def edit(self, edit: Edit) -> None:
        """Send ``edit`` as a client would, then analyse as the server does."""
        if _mid_pair(self.text, edit.start):  # a client cannot point between "\r" and "\n"
            edit = Edit(edit.start - 1, edit.end, "\r" + edit.text, edit.kind)
        if _mid_pair(self.text, edit.end):
            edit = Edit(edit.start, edit.end + 1, edit.text + "\n", edit.kind)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                client_position(self.text, edit.start), client_position(self.text, edit.end)
            ),
            text=edit.text,
        )
        self.history.append(self.text)
        self.text = apply(self.text, edit)
        self.doc.apply_change(change)
        assert self.doc.source == self.text, f"the document drifted from the client after {edit}"
        self.findings = self._lint()
        self.edits += 1

    def check(self) -> None:
        """The properties: incremental equals fresh, no rule raised, ranges inside."""
        fresh = lint_text(self.path, self.text, SELECTION, self._on_rule_error)
        assert keys(self.findings) == keys(fresh), "incremental findings differ from fresh"
        assert self.rule_errors == [], self.rule_errors
        check_inside(self.text, self.findings, self.doc)


def _mid_pair(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n"


def check_inside(text: str, findings: Sequence[Finding], doc: LineDocument) -> None:
    """Every model range and every published (UTF-16) range lies inside the text."""
    lines = text.split("\n")
    for finding in findings:
        for where in (finding.range, *(r.range for r in finding.related if r.path == finding.path)):
            assert where.start <= where.end, finding
            assert where.end.line < len(lines), (finding, len(lines))
            assert where.end.character <= len(lines[where.end.line]), finding
    client_lines = doc.lines
    for diagnostic in to_diagnostics(findings, doc.uri, text, CODEC):
        for position in (diagnostic.range.start, diagnostic.range.end):
            assert position_inside(client_lines, position), (diagnostic, len(client_lines))


def position_inside(lines: Sequence[str], position: types.Position) -> bool:
    if position.line == len(lines):
        return position.character == 0 and (not lines or lines[-1].endswith(("\n", "\r")))
    if position.line > len(lines):
        return False
    row = lines[position.line].rstrip("\r\n")
    return position.character <= len(row.encode("utf-16-le")) // 2
