"""The packaged VS Code extension, built once per test session from vscode-client/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .support import CLIENT, fresh_artifacts, need_path, need_program, run_group

VSIX = CLIENT / "dist" / "iacperf.vsix"


@pytest.fixture(scope="session")
def npm() -> str:
    need_program("node")
    npm = need_program("npm")
    need_path(CLIENT / "node_modules" / ".bin" / "vsce", "the extension's npm dependencies")
    return npm


@pytest.fixture(scope="session")
def vsix(npm: str) -> Path:
    """``npm run package``: type-check, bundle with esbuild, ``vsce package`` (which validates
    the manifest). A copy goes to build/artifacts/vsix/."""
    VSIX.unlink(missing_ok=True)
    returncode, output = run_group([npm, "run", "package"], timeout=300, cwd=CLIENT)
    assert returncode == 0 and VSIX.exists(), output
    shutil.copy2(VSIX, fresh_artifacts("vsix") / VSIX.name)
    return VSIX
