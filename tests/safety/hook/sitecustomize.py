"""Loaded by the iacperf processes that tests/safety starts (``PYTHONPATH`` names this
folder): an audit hook that refuses, and records in ``IACPERF_AUDIT_LOG``, every network
connection or name lookup, every new process, and every file opened for writing outside
``IACPERF_AUDIT_WRITABLE`` (paths separated by ``os.pathsep``). Python's byte-code cache
and python-hcl2's grammar cache (written once, inside the installed package) are allowed.
"""

from __future__ import annotations

import os
import sys

_LOG = os.environ.get("IACPERF_AUDIT_LOG")
_NETWORK = {
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.sendto",
    "socket.sendmsg",
}
_PROCESSES = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _install(log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # before the hook
    allowed = [
        os.path.realpath(p) for p in os.environ.get("IACPERF_AUDIT_WRITABLE", "").split(os.pathsep)
    ]
    allowed = [p for p in allowed if p and p != os.sep]

    def record(what: str) -> None:
        os.write(fd, (what + "\n").encode("utf-8", "replace"))

    def writable(path: str) -> bool:
        real = os.path.realpath(path)
        if real.endswith(".pyc") and "__pycache__" in real:
            return True
        if real.endswith(os.path.join("hcl2", ".lark_cache.bin")):
            return True
        return any(real == p or real.startswith(p + os.sep) for p in allowed)

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in _NETWORK:
            record(f"{event} {args!r}")
            raise PermissionError(f"iacperf safety test: {event} refused")
        if event in _PROCESSES:
            record(f"{event} {args!r}")
            raise PermissionError(f"iacperf safety test: {event} refused")
        if event == "open" and len(args) == 3:
            path, mode, flags = args
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if not isinstance(path, str):
                return  # a file descriptor: opened before, and checked then
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and not writable(path):
                record(f"write {path} {mode!r} {flags!r}")
                raise PermissionError(f"iacperf safety test: writing {path} refused")

    sys.addaudithook(hook)


if _LOG:
    _install(_LOG)
