"""The language server under cProfile, for ``lsp_latency.py --profile DIR``.

cProfile sees one thread only, so two profilers run: one on the event-loop thread
(JSON-RPC, scheduling, diagnostics conversion, publishing) and one that is switched on
around each analysis on the worker thread (parsing, module context, rules). Both are
written to DIR when the server exits, named after ``IACPERF_PROFILE_NAME``.

    .venv/bin/python -m pstats DIR/<name>.worker.prof
"""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
from collections.abc import Sequence
from typing import Any

from iacperf.server.lsp import server as lsp_server


def main(argv: Sequence[str]) -> None:
    folder = argv[0]
    name = os.environ.get("IACPERF_PROFILE_NAME", "server")
    loop_profile = cProfile.Profile()
    worker_profile = cProfile.Profile()
    analyse = lsp_server.IacperfServer._analyse

    def profiled_analyse(self: lsp_server.IacperfServer, *args: Any) -> Any:
        worker_profile.enable()
        try:
            return analyse(self, *args)
        finally:
            worker_profile.disable()

    lsp_server.IacperfServer._analyse = profiled_analyse  # type: ignore[method-assign]

    def dump() -> None:
        loop_profile.disable()
        loop_profile.dump_stats(os.path.join(folder, f"{name}.loop.prof"))
        worker_profile.dump_stats(os.path.join(folder, f"{name}.worker.prof"))

    atexit.register(dump)
    loop_profile.enable()
    lsp_server.main()


if __name__ == "__main__":
    main(sys.argv[1:])
