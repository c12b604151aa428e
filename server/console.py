"""The ``iacperf`` console script: the CLI (``cli.main``) started and ended for speed."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import NoReturn


def run() -> NoReturn:
    """``cli.main``, imported without the cyclic garbage collector and left without
    tearing the interpreter down.

    The imports make a hundred thousand objects and no garbage: the 40-odd collections
    they set off found nothing (8 ms), and what they made lives as long as the process, so
    it is frozen out of every later collection. Freeing every module and object one by
    one at exit took a check of the 10 largest CFN templates 40 ms, a sixth of its time;
    the output is flushed and every file iacperf writes is closed by then (mypy leaves the
    same way).
    """
    gc.disable()
    from iacperf.server.cli import main

    gc.freeze()
    gc.enable()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # OSError: piped into `head`, which left; ValueError: closed (the language server).
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
