"""A workspace full of traps: the scan skips what it cannot read, with one log line each,
never blocks or loops, and keeps two folders with the same name apart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .raw import RawServer
from .support import NAT_MODULE, S3_ENDPOINT

GP2_TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'


def codes(server: RawServer, path: Path) -> set[str]:
    published = server.diagnostics(path.as_uri())["params"]["diagnostics"]
    return {d["code"] for d in published}


@pytest.mark.timeout(300)
def test_a_workspace_of_traps_is_scanned_without_hanging(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".iacperf.yaml").write_text("scope: workspace\n")
    (root / "good.tf").write_text(GP2_TF)
    os.mkfifo(root / "pipe.tf")
    (root / "loop").mkdir()
    (root / "loop" / "again").symlink_to(root)
    (root / "dangling.tf").symlink_to(root / "missing.tf")
    (root / "binary.tf").write_bytes(bytes(range(256)))
    (root / "latin1.tf").write_bytes("# caf\xe9\n".encode("latin-1"))
    with (root / "huge.tf").open("wb") as stream:
        stream.truncate(100 * 1024 * 1024)
    server = RawServer(root)
    try:
        server.initialize(root)
        assert "PERF019" in codes(server, root / "good.tf")
        logged = server.wait(
            lambda m: "pipe.tf" in str(m.get("params", {}).get("message", "")), "the pipe warning"
        )
        assert "not a regular file" in logged["params"]["message"]
        hover = server.call(
            "textDocument/hover",
            {
                "textDocument": {"uri": (root / "good.tf").as_uri()},
                "position": {"line": 2, "character": 10},
            },
        )
        assert "result" in hover
        assert server.process.poll() is None
    finally:
        server.close()
    assert "Traceback" not in server.stderr, server.stderr


def test_two_workspace_folders_with_the_same_module_name(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "infra", tmp_path / "b" / "infra"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / ".iacperf.yaml").write_text("scope: workspace\n")
    (first / "main.tf").write_text(NAT_MODULE)
    (second / "main.tf").write_text(NAT_MODULE + "\n" + S3_ENDPOINT)
    server = RawServer(tmp_path)
    try:
        server.initialize(first, folders=[first, second])
        # Each folder is its own module: the endpoint in b/infra does not clear a/infra.
        assert "PERF046" in codes(server, first / "main.tf")
        assert "PERF046" not in codes(server, second / "main.tf")
    finally:
        server.close()
