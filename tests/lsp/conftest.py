"""pytest-lsp drives the real server over stdio (``python -m iacperf.server``).

Two fixtures, each parametrised over the VS Code and Neovim capability presets:
``client`` is a fresh server per test in an empty ``tmp_path`` workspace; ``shared`` is
one server per test module (tests there use their own sub-folders of ``shared.root``).
Modules using ``shared`` run in a module-scoped event loop
(``pytestmark = pytest.mark.asyncio(loop_scope="module")``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import client_capabilities

from .support import CONFIG, Client, start_session

PRESETS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(params=PRESETS, config=CONFIG)
async def client(
    request: pytest.FixtureRequest, lsp_client: Client, tmp_path: Path
) -> AsyncIterator[Client]:
    await start_session(lsp_client, client_capabilities(request.param), tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=PRESETS, config=CONFIG, scope="module")
async def shared(
    request: pytest.FixtureRequest, lsp_client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Client]:
    root = tmp_path_factory.mktemp("workspace")
    await start_session(lsp_client, client_capabilities(request.param), root)
    yield lsp_client
    await lsp_client.shutdown_session()
