"""Pull diagnostics (``textDocument/diagnostic``), offered to clients that can be asked to
pull again (``workspace/diagnostic/refresh``); the others get push diagnostics only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import client_capabilities

from .support import CONFIG, Client, expect, keys, start_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

TF = 'resource "aws_ebs_volume" "data" {\n  size = 100\n  type = "gp2"\n}\n'
NAT = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}

resource "aws_nat_gateway" "public" {
  subnet_id = aws_subnet.public.id
}
"""
ENDPOINT = """\
resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
}
"""


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def puller(
    lsp_client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Client]:
    """Neovim's capabilities plus refresh support (as VS Code has had since 1.67)."""
    capabilities = client_capabilities("neovim")
    assert capabilities.workspace is not None
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    await start_session(lsp_client, capabilities, tmp_path_factory.mktemp("pull"))
    yield lsp_client
    await lsp_client.shutdown_session()


async def pull(client: Client, uri: str) -> types.RelatedFullDocumentDiagnosticReport:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport), report
    return report


async def test_pull_is_offered_only_with_refresh_support(shared: Client, puller: Client) -> None:
    assert shared.server_capabilities.diagnostic_provider is None
    provider = puller.server_capabilities.diagnostic_provider
    assert isinstance(provider, types.DiagnosticOptions)
    assert provider.inter_file_dependencies is True
    assert provider.workspace_diagnostics is False


async def test_pulled_diagnostics_follow_the_edits(puller: Client) -> None:
    folder = puller.root / "edits"
    folder.mkdir()
    path = folder / "main.tf"
    path.write_text(TF)
    uri = puller.open(path, TF)
    gp2 = expect("PERF019", puller.span(TF, 2, '"gp2"'))
    assert keys(await puller.diagnostics_for(uri, 1)) == [gp2]  # pushed until it pulls

    report = await pull(puller, uri)
    assert keys(report.items) == [gp2]
    assert report.result_id == "1"
    assert report.items[0].data["fix"]["edits"][0]["newText"] == '"gp3"'
    # What was pushed before is withdrawn, so the editor does not show it twice.
    await puller.until(lambda: list(puller.diagnostics[uri]) == [], "pushed diagnostics cleared")

    # Pulled right after a change: the answer describes the new text, not the old one.
    seen = len(puller.published)
    puller.change(uri, 2, "\n", types.Position(0, 0), types.Position(0, 0))
    text = "\n" + TF
    report = await pull(puller, uri)
    assert keys(report.items) == [expect("PERF019", puller.span(text, 3, '"gp2"'))]
    assert report.result_id == "2"

    puller.change(uri, 3, "gp3", types.Position(3, 10), types.Position(3, 13))
    report = await pull(puller, uri)
    assert list(report.items) == [] and report.result_id == "3"
    # Once pulled, the document's diagnostics are no longer pushed.
    assert [p for p in puller.published[seen:] if p.uri == uri and p.diagnostics] == []


async def test_a_change_in_another_file_asks_the_client_to_pull_again(puller: Client) -> None:
    folder = puller.root / "module"
    folder.mkdir()
    main_path: Path = folder / "main.tf"
    main_path.write_text(NAT)
    main = puller.open(main_path, NAT)
    nat = expect("PERF046", puller.span(NAT, 9, 'resource "aws_nat_gateway" "public"'))
    assert keys((await pull(puller, main)).items) == [nat]

    endpoints = folder / "endpoints.tf"
    endpoints.write_text("")
    other = puller.open(endpoints, "")
    refreshes = puller.diagnostic_refresh_count
    puller.change(other, 2, ENDPOINT, types.Position(0, 0), types.Position(0, 0))
    await puller.until(
        lambda: puller.diagnostic_refresh_count > refreshes, "workspace/diagnostic/refresh"
    )
    assert list((await pull(puller, main)).items) == []
