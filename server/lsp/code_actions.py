"""Quick fixes from diagnostic data, "ignore" actions, and ``source.fixAll.iacperf``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.api import Applicability
from iacperf.rules.edits import Edit
from iacperf.server.engine import Finding
from iacperf.server.fixes import compatible_fixes
from iacperf.server.lsp.diagnostics import SOURCE, edit_data

FIX_ALL_KIND = "source.fixAll.iacperf"
IgnoreEdit = Callable[[Finding], Edit | None]


def quick_fixes(uri: str, diagnostics: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
    """One quick fix per iacperf diagnostic whose data carries edits."""
    actions = []
    for diagnostic in diagnostics:
        data = diagnostic.data if diagnostic.source == SOURCE else None
        fix = data.get("fix") if isinstance(data, dict) else None
        if not isinstance(fix, dict) or not fix.get("edits"):
            continue
        applicability = fix.get("applicability")
        actions.append(
            types.CodeAction(
                title=f"{fix.get('title', 'Fix')} ({diagnostic.code})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=applicability == Applicability.SAFE.value,
                edit=types.WorkspaceEdit(changes={uri: _text_edits(fix["edits"])}),
            )
        )
    return actions


def ignore_actions(
    uri: str,
    diagnostics: Sequence[types.Diagnostic],
    findings: Sequence[Finding],
    lines: Sequence[str],
    codec: PositionCodec,
    ignore_edit: IgnoreEdit,
) -> list[types.CodeAction]:
    """ "Ignore PERFxxx for this resource": inserts the suppression comment."""
    actions = []
    done: set[tuple[str, str]] = set()
    for diagnostic in diagnostics:
        data = diagnostic.data if diagnostic.source == SOURCE else None
        if not isinstance(data, dict):
            continue
        key = (str(data.get("code")), str(data.get("resource")))
        if key in done:
            continue
        finding = next((f for f in findings if (f.code, f.resource) == key), None)
        edit = ignore_edit(finding) if finding is not None else None
        if edit is None:
            continue
        done.add(key)
        actions.append(
            types.CodeAction(
                title=f"Ignore {key[0]} for {key[1]}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=types.WorkspaceEdit(
                    changes={uri: _text_edits([edit_data(edit, lines, codec)])}
                ),
            )
        )
    return actions


def fix_all(
    uri: str, findings: Sequence[Finding], lines: Sequence[str], codec: PositionCodec
) -> types.CodeAction | None:
    """Every safe fix of the file that does not overlap another, as one edit."""
    chosen = compatible_fixes(findings, Applicability.SAFE)
    if not chosen:
        return None
    edits = [
        edit_data(edit, lines, codec)
        for finding in chosen
        for edit in (finding.fix.edits if finding.fix else ())
    ]
    return types.CodeAction(
        title=f"iacperf: fix all safe findings ({len(chosen)})",
        kind=FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes={uri: _text_edits(edits)}),
    )


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Whether the client asked for ``kind`` (``only`` lists kinds or their prefixes)."""
    if not only:
        return kind.startswith(types.CodeActionKind.QuickFix)
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def _text_edits(edits: Sequence[dict[str, Any]]) -> list[types.TextEdit]:
    return [
        types.TextEdit(
            range=types.Range(
                start=types.Position(**edit["range"]["start"]),
                end=types.Position(**edit["range"]["end"]),
            ),
            new_text=str(edit["newText"]),
        )
        for edit in edits
    ]
