"""Writing fixes to disk: atomically, only when the file is unchanged since it was read."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from iacperf.rules.api import Applicability
from iacperf.server.engine import Finding
from iacperf.server.fixes import apply_fixes


class FileChangedError(Exception):
    """The file on disk is not the text the findings were computed from."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fix_files(
    findings: Iterable[Finding], up_to: Applicability, digests: dict[str, str] | None = None
) -> int:
    """Apply fixes file by file; returns how many fixes were written.

    With ``digests`` (path -> sha256 of the text that was analysed), a file whose content
    changed since is left alone and reported with ``FileChangedError`` after the others.
    """
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    written = 0
    changed: list[str] = []
    for path, group in sorted(by_path.items()):
        text = Path(path).read_bytes().decode("utf-8")
        if digests is not None and digests.get(path) not in (None, digest(text)):
            changed.append(path)
            continue
        new_text, applied = apply_fixes(text, group, up_to)
        if applied and new_text != text:
            write_atomically(path, new_text)
            written += applied
    if changed:
        raise FileChangedError(
            "not fixed, changed on disk since it was read: " + ", ".join(changed)
        )
    return written


def write_atomically(path: str, text: str) -> None:
    """Write via a temporary file in the same directory and a rename; keep the file mode."""
    target = Path(path)
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".iacperf", dir=target.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
