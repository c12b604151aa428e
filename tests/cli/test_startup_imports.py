"""A check imports only what it uses. These modules cost a check of a few templates
milliseconds each (a tenth of its time together), for work it does not do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: ``dataclasses`` and ``inspect`` import ``ast``, ``dis`` and ``tokenize`` (4-8 ms): records
#: are made without them. ``hashlib`` loads OpenSSL: only the cache and fixes hash files.
#: ``tempfile`` and ``difflib`` are for writing fixes and showing them.
UNUSED = ("dataclasses", "inspect", "hashlib", "tempfile", "difflib")

_PROGRAM = """
import contextlib, io, json, sys
from iacperf.server.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(sys.argv[1:])
print(json.dumps(sorted(m for m in {unused!r} if m in sys.modules)))
"""


def _imported(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(unused=UNUSED), "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found: list[str] = json.loads(done.stdout)
    return found


def test_a_cloudformation_check_imports_none_of_them() -> None:
    assert _imported("--no-cache", "--jobs", "1", "examples/cloudformation") == []
    assert _imported("--no-cache", "--jobs", "2", "examples/cloudformation") == []


def test_the_cache_and_fixes_import_what_they_need(tmp_path: Path) -> None:
    cached = _imported("--cache-dir", str(tmp_path / "cache"), "examples/cloudformation")
    assert "hashlib" in cached
