from __future__ import annotations

from lsprotocol import types

from .support import Client, expect, keys

TF = 'resource "aws_ebs_volume" "data" {\n  size = 100\n  type = "gp2"\n}\n'


async def test_open_gives_diagnostics(client: Client) -> None:
    path = client.root / "main.tf"
    path.write_text(TF)
    uri = client.open(path, TF)
    diagnostics = await client.diagnostics_for(uri, 1)
    assert keys(diagnostics) == [expect("PERF019", client.span(TF, 2, '"gp2"'))]
    assert diagnostics[0].severity == types.DiagnosticSeverity.Warning
