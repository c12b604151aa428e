"""Fixes name the document version they were computed for, so the editor refuses to
apply them to a text that changed since (clients that support ``documentChanges``)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .support import Client, edit_version, edits_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'


async def actions(
    client: Client, uri: str, found: list[types.Diagnostic]
) -> list[types.CodeAction]:
    answer = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri=uri),
            found[0].range,
            types.CodeActionContext(diagnostics=found),
        )
    )
    return [a for a in answer or [] if isinstance(a, types.CodeAction)]


async def test_quick_fixes_and_ignore_actions_carry_the_analysed_version(shared: Client) -> None:
    folder = shared.root / "versioned"
    folder.mkdir()
    uri = shared.open(folder / "main.tf", TF)
    found = await shared.diagnostics_for(uri, 1)
    versioned = bool(
        shared.capabilities.workspace
        and shared.capabilities.workspace.workspace_edit
        and shared.capabilities.workspace.workspace_edit.document_changes
    )
    first = await actions(shared, uri, found)
    assert first and all(edit_version(a) == (1 if versioned else None) for a in first)

    shared.change(uri, 2, "\n", types.Position(0, 0), types.Position(0, 0))
    found = await shared.diagnostics_for(uri, 2)
    second = await actions(shared, uri, found)
    assert second and all(edit_version(a) == (2 if versioned else None) for a in second)
    fix = next(a for a in second if "gp3" in a.title)
    assert [e.range.start.line for e in edits_for(fix, uri)] == [3]
