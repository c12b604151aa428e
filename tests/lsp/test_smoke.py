from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

TF = 'resource "aws_ebs_volume" "data" {\n  size = 100\n  type = "gp2"\n}\n'


async def test_open_gives_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(TF)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="terraform", version=1, text=TF)
        )
    )
    while True:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if uri in client.diagnostics:
            break
    diags = client.diagnostics[uri]
    print(diags)
    assert [d.code for d in diags] == ["PERF019"]
