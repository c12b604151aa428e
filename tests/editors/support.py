"""What the real-editor tests share: where the tools are, skip-or-fail, process groups.

Editors are optional on a developer's machine (the tests skip, saying what to install) but
not in CI: ``.ci/run`` installs them and sets ``IACPERF_REQUIRE_EDITORS=1``, which turns
every such skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
WORKSPACE = HERE / "workspace"
CLIENT = ROOT / "vscode-client"
ARTIFACTS = ROOT / "build" / "artifacts"
REQUIRE = "IACPERF_REQUIRE_EDITORS"
INSTALL = "bash .ci/install-editors"


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the editors must be installed (CI)."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason}; {REQUIRE}=1 says this machine must have it ({INSTALL})")
    pytest.skip(f"{reason} (install with: {INSTALL})")


def need_program(name: str, *fallbacks: str) -> str:
    found = shutil.which(name) or next((f for f in fallbacks if os.access(f, os.X_OK)), None)
    if found is None:
        unavailable(f"{name} is not installed")
    return found


def need_path(path: Path, what: str) -> Path:
    if not path.exists():
        unavailable(f"{what} is not installed ({path.relative_to(ROOT)} is missing)")
    return path


def run_group(
    command: list[str],
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run in a new process group and kill the whole group on timeout, so nothing an editor
    started (a language server, a browser) outlives the test."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return -1, output + f"\n(killed after {timeout} s)"
    return process.returncode, output


def fresh_artifacts(name: str) -> Path:
    """``build/artifacts/<name>/``, emptied: CI uploads it (screenshots, logs, results)."""
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
