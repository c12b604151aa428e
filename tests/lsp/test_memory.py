"""A long-running server stays flat: what it keeps per document goes when the document
does (``iacperf/debug/state`` reports the sizes of the per-document state)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import client_capabilities

from .support import CONFIG, Client, start_session

DOCUMENTS = 500
TF = 'resource "aws_ebs_volume" "v{n}" {{\n  size = 10\n  type = "gp2"\n}}\n'
CFN = (
    'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  V{n}:\n'
    "    Type: AWS::EC2::Volume\n    Properties:\n      VolumeType: gp2\n"
)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: Client, tmp_path: Path) -> AsyncIterator[Client]:
    """One client preset: the state kept does not depend on the client."""
    await start_session(lsp_client, client_capabilities("visual-studio-code"), tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


async def state(client: Client) -> dict[str, int]:
    sizes: Any = await client.protocol.send_request_async("iacperf/debug/state", None)
    return dict(sizes._asdict()) if hasattr(sizes, "_asdict") else dict(sizes)


@pytest.mark.timeout(600)
async def test_500_documents_opened_edited_and_closed_leave_nothing_behind(
    client: Client,
) -> None:
    on_disk = client.root / "kept" / "main.tf"
    on_disk.parent.mkdir()
    on_disk.write_text(TF.format(n=0))
    uris = []
    for n in range(DOCUMENTS):
        # Files that are not on disk (scratch buffers, deleted files), in many folders.
        name = f"m{n % 50}/main{n}.tf" if n % 2 else f"s{n % 50}/template{n}.yaml"
        path = client.root / "gone" / name
        text = (TF if n % 2 else CFN).format(n=n)
        uri = client.open(path, text)
        client.change(uri, 2, "# edited\n", types.Position(0, 0), types.Position(0, 0))
        uris.append(uri)
    kept = client.open(on_disk, TF.format(n=0))
    await client.diagnostics_for(uris[-1], 2, timeout=300)
    before = await state(client)
    assert before["documents"] == DOCUMENTS + 1
    assert before["project_entries"] == DOCUMENTS + 1 and before["memo_modules"] > 100, before
    for uri in [*uris, kept]:
        client.close(uri)
    after = await state(client)
    # Only the file that is on disk stays known (the workspace is part of the model),
    # with the memo of its module.
    assert after == {
        **{name: 0 for name in after},
        "project_entries": 1,
        "project_terraform_folders": 1,
        "memo_files": after["memo_files"],
        "memo_modules": after["memo_modules"],
    }, after
    # The kept file's module, and the empty one the last close analysed.
    assert after["memo_files"] <= 1 and after["memo_modules"] <= 2, after
    assert client.messages == []
    assert [m.message for m in client.log_messages if "internal error" in m.message] == []
