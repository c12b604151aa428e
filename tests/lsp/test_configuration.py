"""Configuration: the editor's settings over ``.iacperf.yaml``; a change re-publishes.

One server for the module: every test starts from empty editor settings and works in its
own folder, with its config files there (a config file applies to the folders below it).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types

from .support import EBS_VOLUMES, Client, expect, keys

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()

TF = EBS_VOLUMES


@pytest_asyncio.fixture(loop_scope="module")
async def ws(shared: Client) -> AsyncIterator[Path]:
    """A fresh folder of the shared workspace; the editor settings are reset afterwards."""
    folder = shared.root / f"t{next(_folders)}"
    folder.mkdir()
    yield folder
    configure(shared, None)


def both(client: Client) -> list[tuple[Any, ...]]:
    return [perf019(client), perf021(client)]


def perf019(client: Client) -> tuple[Any, ...]:
    return expect("PERF019", client.span(TF, 2, '"gp2"'))


def perf021(client: Client) -> tuple[Any, ...]:
    return expect("PERF021", client.span(TF, 7, '"standard"'))


def configure(client: Client, settings: dict[str, Any] | None) -> int:
    """Change the editor's settings and tell the server, as VS Code does."""
    client.set_configuration(settings, section="iacperf")
    seen = len(client.published)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"iacperf": settings})
    )
    return seen


def announce(client: Client, path: Path, kind: types.FileChangeType) -> int:
    seen = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=kind)])
    )
    return seen


def open_main(client: Client, folder: Path) -> str:
    folder.mkdir(exist_ok=True)
    path = folder / "main.tf"
    path.write_text(TF)
    return client.open(path, TF)


def severities(client: Client, uri: str) -> list[types.DiagnosticSeverity | None]:
    return [d.severity for d in client.diagnostics.get(uri, ())]


async def test_ignoring_a_rule_in_the_editor_republishes(shared: Client, ws: Path) -> None:
    uri = open_main(shared, ws)
    await shared.settles(uri, 1, both(shared))

    seen = configure(shared, {"ignore": ["PERF019"]})
    await shared.settles(uri, 1, [perf021(shared)], after=seen)

    # By name as well as by code; and severity overrides.
    seen = configure(shared, {"ignore": ["magnetic-storage"], "severity": {"PERF019": "error"}})
    (diagnostic,) = await shared.settles(uri, 1, [perf019(shared)], after=seen)
    assert diagnostic.severity == types.DiagnosticSeverity.Error

    seen = configure(shared, {})
    (first, _) = await shared.settles(uri, 1, both(shared), after=seen)
    assert first.severity == types.DiagnosticSeverity.Warning


async def test_the_editor_settings_override_the_config_file(shared: Client, ws: Path) -> None:
    config = ws / ".iacperf.yaml"
    config.write_text("ignore: [PERF021]\nseverity: {PERF019: hint}\n")
    announce(shared, config, types.FileChangeType.Created)
    uri = open_main(shared, ws / "app")
    await shared.settles(uri, 1, [perf019(shared)])
    assert severities(shared, uri) == [types.DiagnosticSeverity.Hint]

    # The editor sets severity only: the file's ignore stays, its severity is overridden.
    configure(shared, {"severity": {"PERF019": "error"}})
    # Keys leave severity out, so wait for the severity, then check the rest.
    await shared.until(
        lambda: severities(shared, uri) == [types.DiagnosticSeverity.Error], "PERF019 as error"
    )
    assert keys(shared.diagnostics[uri]) == [perf019(shared)]
    assert shared.published_for(uri)[-1].version == 1

    # The file changes on disk: announced through watched files, it is read again.
    config.write_text("ignore: [PERF019]\n")
    seen = announce(shared, config, types.FileChangeType.Changed)
    await shared.settles(uri, 1, [perf021(shared)], after=seen)

    # Deleted: nothing is ignored any more.
    config.unlink()
    seen = announce(shared, config, types.FileChangeType.Deleted)
    await shared.settles(uri, 1, both(shared), after=seen)


async def test_a_config_file_applies_to_the_folders_below_it(shared: Client, ws: Path) -> None:
    (ws / "legacy").mkdir()
    (ws / "legacy" / ".iacperf.yaml").write_text("ignore: [PERF019, PERF021]\n")
    legacy = open_main(shared, ws / "legacy" / "volumes")
    current = open_main(shared, ws / "current")
    await shared.settles(legacy, 1, [])
    await shared.settles(current, 1, both(shared))


async def test_an_invalid_setting_is_logged_and_the_previous_settings_stay(
    shared: Client, ws: Path
) -> None:
    uri = open_main(shared, ws)
    await shared.settles(uri, 1, both(shared))
    seen = configure(shared, {"ignore": ["PERF019"]})
    await shared.settles(uri, 1, [perf021(shared)], after=seen)

    seen = configure(shared, {"ignore": ["PERF01"]})
    await shared.until(
        lambda: [m for m in shared.log_messages if "iacperf.ignore[0]" in m.message], "the log"
    )
    await shared.settles(uri, 1, [perf021(shared)], after=seen)
    (logged,) = [m for m in shared.log_messages if "iacperf.ignore[0]" in m.message]
    assert logged.message.startswith("iacperf: editor settings: iacperf.ignore[0]: unknown rule")
    assert logged.message.endswith("(the previous settings stay in force)")
    assert shared.messages == []


async def test_scope_workspace_reports_files_that_are_not_open(shared: Client, ws: Path) -> None:
    closed = ws / "volumes.tf"
    closed.write_text(TF)
    uri = closed.as_uri()
    announce(shared, closed, types.FileChangeType.Created)

    seen = configure(shared, {"scope": "workspace"})
    await shared.settles(uri, None, both(shared), after=seen)

    # Changed on disk: its own diagnostics follow.
    closed.write_text(TF.replace('"standard"', '"gp3"    '))
    seen = announce(shared, closed, types.FileChangeType.Changed)
    await shared.settles(uri, None, [perf019(shared)], after=seen)

    # Opened, it is reported with its version; closed again, from disk.
    seen = len(shared.published)
    shared.open(closed, TF)
    await shared.settles(uri, 1, both(shared), after=seen)
    seen = len(shared.published)
    shared.close(uri)
    await shared.settles(uri, None, [perf019(shared)], after=seen)

    # Deleted: its diagnostics are withdrawn.
    closed.unlink()
    seen = announce(shared, closed, types.FileChangeType.Deleted)
    await shared.settles(uri, None, [], after=seen)

    # Back to open files only: a file that is not open loses its diagnostics.
    other = ws / "more.tf"
    other.write_text(TF)
    seen = announce(shared, other, types.FileChangeType.Created)
    await shared.settles(other.as_uri(), None, both(shared), after=seen)
    seen = configure(shared, {"scope": "openFiles"})
    await shared.settles(other.as_uri(), None, [], after=seen)


UNKNOWN_TF = """\
variable "volume_type" {
  type = string
}

resource "aws_ebs_volume" "data" {
  size = 100
  type = var.volume_type
}
"""


async def test_report_unknown_in_the_editor_names_the_blocked_rules(
    shared: Client, ws: Path
) -> None:
    path = ws / "main.tf"
    path.write_text(UNKNOWN_TF)
    uri = shared.open(path, UNKNOWN_TF)
    await shared.settles(uri, 1, [])  # off by default: nothing

    seen = configure(shared, {"reportUnknown": True, "select": ["PERF019", "PERF021"]})
    where = shared.span(UNKNOWN_TF, 6, "var.volume_type")
    found = await shared.settles(
        uri, 1, [expect("PERF901", where), expect("PERF901", where)], after=seen
    )
    assert {d.severity for d in found} == {types.DiagnosticSeverity.Information}
    assert sorted(d.message.split(" ")[0] for d in found) == ["PERF019", "PERF021"]
    assert all("`var.volume_type`, a variable without a default" in d.message for d in found)

    seen = configure(shared, {"reportUnknown": False})
    await shared.settles(uri, 1, [], after=seen)
