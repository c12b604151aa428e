"""The background scan of the workspace folders: work-done progress and cancellation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import client_capabilities

from .conftest import PRESETS
from .support import CONFIG, Client, start_session

TF = 'resource "aws_ebs_volume" "v{n}" {{\n  size = 10\n  type = "gp2"\n}}\n'
CFN = (
    'AWSTemplateFormatVersion: "2010-09-09"\n'
    "Resources:\n"
    "  Volume{n}:\n"
    "    Type: AWS::EC2::Volume\n"
    "    Properties: {{Size: 10, VolumeType: gp2, AvailabilityZone: eu-west-1a}}\n"
)
SCANNED = 60  # SCAN_BATCH is 25: reports after 25, 50 and 60 files
CANCELLED = 200


def populate(root: Path, count: int) -> None:
    """``count`` IaC files in a few module folders, plus files the scan must skip."""
    for n in range(count):
        folder = root / f"module{n % 4}"
        folder.mkdir(exist_ok=True)
        if n % 3:
            (folder / f"volume{n}.tf").write_text(TF.format(n=n))
        else:
            (folder / f"volume{n}.yaml").write_text(CFN.format(n=n))
    (root / "README.md").write_text("# not IaC\n")
    (root / ".terraform").mkdir()
    (root / ".terraform" / "cached.tf").write_text(TF.format(n="cached"))


@pytest_lsp.fixture(params=PRESETS, config=CONFIG)
async def scanned(
    request: pytest.FixtureRequest, lsp_client: Client, tmp_path: Path
) -> AsyncIterator[Client]:
    populate(tmp_path, SCANNED)
    await start_session(lsp_client, client_capabilities(request.param), tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=PRESETS, config=CONFIG)
async def cancelling(
    request: pytest.FixtureRequest, lsp_client: Client, tmp_path: Path
) -> AsyncIterator[Client]:
    populate(tmp_path, CANCELLED)
    lsp_client.cancel_progress_on_begin = True
    await start_session(lsp_client, client_capabilities(request.param), tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


def scan_progress(client: Client) -> list[dict[str, Any]] | None:
    """The scan's progress values once it has ended (None before)."""
    values = [value for token, value in client.progress if str(token).startswith("iacperf-scan")]
    return values if values and values[-1].get("kind") == "end" else None


async def test_the_scan_reports_progress_in_percent(scanned: Client) -> None:
    values = await scanned.until(lambda: scan_progress(scanned), "the end of the scan")
    assert values == [
        {
            "kind": "begin",
            "title": "iacperf",
            "message": f"0/{SCANNED} files",
            "percentage": 0,
            "cancellable": True,
        },
        {"kind": "report", "message": f"25/{SCANNED} files", "percentage": 41, "cancellable": True},
        {"kind": "report", "message": f"50/{SCANNED} files", "percentage": 83, "cancellable": True},
        {
            "kind": "report",
            "message": f"60/{SCANNED} files",
            "percentage": 100,
            "cancellable": True,
        },
        {"kind": "end", "message": f"{SCANNED} files analysed"},
    ]
    # The token was created by the server first (window/workDoneProgress/create).
    (token,) = {token for token, _ in scanned.progress}
    assert token in scanned.progress_reports

    # Scope "openFiles": the scan reads every file, but publishes only for open ones.
    folder = scanned.root / "module1"
    path = folder / "volume1.tf"
    text = path.read_text()
    uri = scanned.open(path, text)
    (diagnostic,) = await scanned.diagnostics_for(uri, 1)
    assert diagnostic.code == "PERF019"
    assert {p.uri for p in scanned.published} == {uri}


async def test_the_scan_stops_when_the_client_cancels_it(cancelling: Client) -> None:
    values = await cancelling.until(lambda: scan_progress(cancelling), "the end of the scan")
    begin, *reports, end = values
    assert begin["kind"] == "begin" and begin["cancellable"] is True
    done = int(end["message"].split()[0])
    assert end == {"kind": "end", "message": f"{done} files analysed"}
    assert 0 < done < CANCELLED, "the scan went on to the end"
    assert [r["message"] for r in reports] == [
        f"{n}/{CANCELLED} files" for n in range(25, done + 1, 25)
    ]
    assert any(m.message == "iacperf: workspace scan cancelled" for m in cancelling.log_messages)

    # The server goes on working after a cancelled scan.
    path = cancelling.root / "module2" / "volume2.tf"
    text = path.read_text()
    uri = cancelling.open(path, text)
    assert [d.code for d in await cancelling.diagnostics_for(uri, 1)] == ["PERF019"]


@pytest_lsp.fixture(config=CONFIG)
async def no_progress(lsp_client: Client, tmp_path: Path) -> AsyncIterator[Client]:
    populate(tmp_path, SCANNED)
    capabilities = client_capabilities("visual-studio-code")
    assert capabilities.window is not None
    capabilities.window.work_done_progress = False
    await start_session(lsp_client, capabilities, tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_no_progress_when_the_client_does_not_support_it(no_progress: Client) -> None:
    path = no_progress.root / "module1" / "volume1.tf"
    uri = no_progress.open(path, path.read_text())
    assert [d.code for d in await no_progress.diagnostics_for(uri, 1)] == ["PERF019"]
    assert no_progress.progress == []
    assert no_progress.progress_reports == {}
