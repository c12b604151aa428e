"""Writing fixes to disk: atomically, only when the file is unchanged since it was read."""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from collections.abc import Iterable

from iacperf.rules.api import Applicability
from iacperf.server.engine import Finding
from iacperf.server.fixes import apply_fixes


class FileChangedError(Exception):
    """The file on disk is not the text the findings were computed from."""


def digest(text: str) -> str:
    import hashlib  # here: it loads OpenSSL (2 ms), and only fixes need a digest

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
        text = _read_bytes(path).decode("utf-8")
        if digests is not None and digests.get(path) not in (None, digest(text)):
            changed.append(path)
            continue
        new_text, applied = apply_fixes(text, group, up_to)
        if applied and new_text != text:
            try:
                write_atomically(path, new_text, expected=text)
            except FileChangedError:
                changed.append(path)
                continue
            written += applied
    if changed:
        raise FileChangedError(
            "not fixed, changed on disk since it was read: " + ", ".join(changed)
        )
    return written


def write_atomically(path: str, text: str, expected: str | None = None) -> None:
    """Write via a temporary file in the same directory and a rename; keep the file's mode
    and owner, and a symbolic link (the file it points to is written).

    With ``expected`` (the text the new one was computed from), the file is read again
    just before the rename and left alone, ``FileChangedError``, when it changed: an
    editor or formatter that saved meanwhile keeps its work."""
    target = os.path.realpath(path)
    status = os.stat(target) if os.path.exists(target) else None
    import tempfile  # here: a check that fixes nothing does without it (4 ms)

    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".iacperf", dir=os.path.dirname(target)
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if status is not None:
            os.chmod(temporary, stat.S_IMODE(status.st_mode))
            if os.geteuid() == 0 and (status.st_uid, status.st_gid) != (0, 0):
                os.chown(temporary, status.st_uid, status.st_gid)
        if expected is not None and _read_bytes(target) != expected.encode("utf-8"):
            raise FileChangedError(f"not fixed, changed on disk since it was read: {path}")
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()
