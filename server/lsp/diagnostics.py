"""Findings as LSP diagnostics; the fix travels in ``data`` so code actions never re-lint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.api import Severity
from iacperf.rules.docgen import page_url
from iacperf.rules.edits import Edit
from iacperf.server import __version__
from iacperf.server.engine import Finding
from iacperf.server.lsp.positions import to_client_range

SOURCE = "iacperf"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_diagnostics(
    findings: Sequence[Finding], uri: str, text: str, codec: PositionCodec
) -> list[types.Diagnostic]:
    """The diagnostics of one document (``uri`` as the client spells it, ``text`` its text)."""
    lines = text.splitlines(keepends=True)  # once: pygls' ``doc.lines`` re-splits per read
    return [to_diagnostic(f, uri, lines, codec) for f in findings]


def to_diagnostic(
    finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec
) -> types.Diagnostic:
    """``uri`` and ``lines`` are the finding's document: related places in the same file
    get client-unit ranges, places in other files (whose text is not at hand) code points."""
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=uri if item.path == finding.path else _file_uri(item.path),
                range=to_client_range(lines, codec, item.range)
                if item.path == finding.path
                else _plain_range(item.range),
            ),
            message=item.message,
        )
        for item in finding.related
    ]
    return types.Diagnostic(
        range=to_client_range(lines, codec, finding.range),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=page_url(finding.code, __version__)),
        source=SOURCE,
        related_information=related or None,
        data=diagnostic_data(finding, lines, codec),
    )


def diagnostic_data(finding: Finding, lines: Sequence[str], codec: PositionCodec) -> dict[str, Any]:
    """What a code action needs: the rule, the resource and the fix in client units."""
    data: dict[str, Any] = {"code": finding.code, "resource": finding.resource}
    fix = finding.fix
    if fix is not None:
        data["fix"] = {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [edit_data(edit, lines, codec) for edit in fix.edits],
        }
    return data


def edit_data(edit: Edit, lines: Sequence[str], codec: PositionCodec) -> dict[str, Any]:
    client = to_client_range(lines, codec, edit.range)
    new_text = edit.new_text
    if edit.range.start.line >= len(lines) and lines and not lines[-1].endswith("\n"):
        new_text = _newline_of(lines) + new_text  # appending after a last unterminated line
    return {
        "range": {
            "start": {"line": client.start.line, "character": client.start.character},
            "end": {"line": client.end.line, "character": client.end.character},
        },
        "newText": new_text,
    }


def _newline_of(lines: Sequence[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _plain_range(source_range: Any) -> types.Range:
    # Another file's text is not at hand: code points are right for ASCII, close otherwise.
    return types.Range(
        start=types.Position(line=source_range.start.line, character=source_range.start.character),
        end=types.Position(line=source_range.end.line, character=source_range.end.character),
    )


def _file_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path
