"""Workspace scan of the language server: time to the end of `$/progress` and RSS after it.

    .venv/bin/python bench/workspace_scan.py [FOLDER]   # default: ../shared/corpus

An external client over stdio (bench/_lsp_client.py) initializes the server with FOLDER as
its workspace folder, waits for the scan's progress to end and reads the server's RSS.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _lsp_client import LspClient, file_uri  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


async def measure(root: Path) -> None:
    client = await LspClient.spawn([sys.executable, "-m", "iacperf.server"], "/dev/null")
    uri = file_uri(str(root))
    await client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": uri,
            "capabilities": {"window": {"workDoneProgress": True}},
            "workspaceFolders": [{"uri": uri, "name": root.name}],
        },
    )
    started = time.perf_counter()
    await client.notify("initialized", {})
    await asyncio.wait_for(client.progress_ended.wait(), 900)
    seconds = time.perf_counter() - started
    await client.quiet(2, 120)
    rss = client.rss_kib()
    print(f"workspace: {root}")
    print(f"scan to progress end: {seconds:.1f} s")
    print(f"server RSS after the scan: {rss / 1024:.0f} MiB" if rss else "RSS unavailable")
    await client.close()


if __name__ == "__main__":
    folder = (Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT).resolve()
    if not folder.is_dir():
        raise SystemExit(f"no folder {folder}")
    asyncio.run(measure(folder))
