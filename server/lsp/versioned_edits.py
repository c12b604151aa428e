"""Code actions whose edits name the document version they were computed from.

A ``WorkspaceEdit`` with plain ``changes`` is applied to whatever text the editor holds
by then; a ``TextDocumentEdit`` carries the version, and the client refuses it when the
document has changed since (LSP: "the client ... must fail if the version does not
match"). So a fix computed for one text is never applied to another.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types


def supports_versions(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    edit = workspace.workspace_edit if workspace is not None else None
    return bool(edit is not None and edit.document_changes)


def with_version(
    actions: Sequence[types.CodeAction], uri: str, version: int | None
) -> list[types.CodeAction]:
    """``actions`` with their edits of ``uri`` as one ``TextDocumentEdit`` at ``version``."""
    result = []
    for action in actions:
        edit = action.edit
        if edit is not None and edit.changes and list(edit.changes) == [uri]:
            document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            edits: Sequence[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit]
            edits = edit.changes[uri]
            action.edit = types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)]
            )
        result.append(action)
    return result
