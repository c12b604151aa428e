"""``--fix`` writes atomically (temporary file and rename), keeps mode, owner, encoding
details, line ends and symbolic links, and never writes over a file that changed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from iacperf.server.writing import FileChangedError, write_atomically

IACPERF = str(Path(sys.executable).parent / "iacperf")
GP2_TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'


def fix(cwd: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # --no-cache: these check that fixing leaves nothing behind (the cache has its tests).
        [IACPERF, "check", "--no-cache", "--fix", "--select", "PERF019", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_bom_non_ascii_and_mixed_line_ends_are_kept(tmp_path: Path) -> None:
    text = '\ufeff# café ✨\r\nresource "aws_ebs_volume" "v" {\n  tags = { a = "😀" }\r\n'
    text += '  type = "gp2" # 😀\n}\r\n'
    target = tmp_path / "main.tf"
    target.write_bytes(text.encode("utf-8"))
    done = fix(tmp_path, "main.tf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert target.read_bytes() == text.replace('"gp2"', '"gp3"').encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.tf"]


def test_mode_owner_and_symbolic_links_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "modules" / "main.tf"
    real.parent.mkdir()
    real.write_text(GP2_TF)
    real.chmod(0o751)
    if os.geteuid() == 0:
        os.chown(real, 1234, 2345)
    link = tmp_path / "main.tf"
    link.symlink_to(real)
    done = fix(tmp_path, "main.tf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == GP2_TF.replace("gp2", "gp3")
    status = real.stat()
    assert stat.S_IMODE(status.st_mode) == 0o751
    if os.geteuid() == 0:
        assert (status.st_uid, status.st_gid) == (1234, 2345)
    assert sorted(p.name for p in real.parent.iterdir()) == ["main.tf"]


def test_a_file_changed_after_it_was_read_is_not_written(tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(GP2_TF)
    theirs = GP2_TF + "# saved by the editor meanwhile\n"
    target.write_text(theirs)
    with pytest.raises(FileChangedError, match="changed on disk"):
        write_atomically(str(target), GP2_TF.replace("gp2", "gp3"), expected=GP2_TF)
    assert target.read_text() == theirs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.tf"]


def test_a_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "main.tf"
    target.write_text(GP2_TF)

    def no_space(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(str(target), GP2_TF.replace("gp2", "gp3"), expected=GP2_TF)
    assert target.read_text() == GP2_TF
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.tf"]
