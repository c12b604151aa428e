"""Lint, format and type checks run as part of the test suite, exactly as CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


def test_ruff_check() -> None:
    _run(str(BIN / "ruff"), "check", ".")


def test_ruff_format() -> None:
    _run(str(BIN / "ruff"), "format", "--check", ".")


def test_mypy_strict(tmp_path: Path) -> None:
    # mypy cannot follow setuptools' package-dir mapping from a lenient editable install, so
    # give it the installed layout: iacperf/server -> server/, iacperf/rules -> rules/.
    package = tmp_path / "iacperf"
    package.mkdir()
    (package / "server").symlink_to(ROOT / "server")
    (package / "rules").symlink_to(ROOT / "rules")
    env = {**os.environ, "MYPYPATH": str(tmp_path)}
    _run(
        str(BIN / "mypy"),
        "--strict",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(tmp_path / ".mypy_cache"),
        "-p",
        "iacperf.server",
        "-p",
        "iacperf.rules",
        cwd=tmp_path,
        env=env,
    )
