"""A bad ``.iacperf.yaml`` shows its error on the file, naming the key, and the last good
configuration stays in force until the file is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .support import EBS_VOLUMES, Client, expect

pytestmark = pytest.mark.asyncio(loop_scope="module")

TF = EBS_VOLUMES


def announce(client: Client, path: Path, kind: types.FileChangeType) -> int:
    seen = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=kind)])
    )
    return seen


async def config_diagnostics(
    client: Client, config: Path, after: int, empty: bool = False
) -> list[types.Diagnostic]:
    def found() -> list[types.PublishDiagnosticsParams]:
        return [
            p
            for p in client.published[after:]
            if p.uri == config.as_uri() and bool(p.diagnostics) != empty
        ]

    return list((await client.until(found, f"diagnostics on {config}"))[-1].diagnostics)


BAD = {
    "unknown key": (
        "ignore: [PERF021]\nmaxFileSize: 2M\n",
        1,
        "maxFileSize: unknown key; did you mean 'max_file_size'?",
    ),
    "wrong type": ("ignore: [PERF021]\nmax_file_size: [1]\n", 1, "max_file_size:"),
    "unknown rule": ("ignore: [PERF021, PERF999]\n", 0, "ignore[1]: unknown rule"),
    "invalid yaml": ("ignore: [PERF021\n", 1, "YAML"),
    "bad severity": ("severity: {PERF019: loud}\n", 0, "severity.PERF019: 'loud' is not one"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_a_bad_config_file_is_shown_and_the_last_good_one_stays(
    shared: Client, case: str
) -> None:
    folder = shared.root / case.replace(" ", "-")
    folder.mkdir()
    config = folder / ".iacperf.yaml"
    config.write_text("ignore: [PERF021]\n")
    announce(shared, config, types.FileChangeType.Created)
    uri = shared.open(folder / "main.tf", TF)
    only_gp2 = [expect("PERF019", shared.span(TF, 2, '"gp2"'))]
    await shared.settles(uri, 1, only_gp2)

    text, line, message = BAD[case]
    config.write_text(text)
    seen = announce(shared, config, types.FileChangeType.Changed)
    (shown,) = await config_diagnostics(shared, config, seen)
    assert message in shown.message, shown.message
    assert shown.range.start.line == line, shown
    assert shown.severity == types.DiagnosticSeverity.Error
    assert "the last valid settings stay in force" in shown.message
    # The previous good configuration is still the one in force.
    await shared.settles(uri, 1, only_gp2, after=seen)
    assert shared.messages == []

    config.write_text("ignore: [PERF019]\n")
    seen = announce(shared, config, types.FileChangeType.Changed)
    assert await config_diagnostics(shared, config, seen, empty=True) == []
    await shared.settles(uri, 1, [expect("PERF021", shared.span(TF, 7, '"standard"'))], after=seen)
    shared.close(uri)
