"""Messages reach the client whole, even when the pipe takes a big one in parts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from iacperf.server.lsp.wire import PIPE_BYTES, whole_writes


class _ShortWritingPipe(io.RawIOBase):
    """A raw file whose write takes at most 4 KiB at a time, as a pipe write interrupted
    by a signal does."""

    def __init__(self) -> None:
        self.received = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        part = bytes(data[:4096])
        self.received += part
        return len(part)


def test_a_big_message_is_written_whole_through_a_raw_stdout() -> None:
    pipe = _ShortWritingPipe()
    message = b"Content-Length: 700000\r\n\r\n" + b"x" * 700_000
    stream = whole_writes(pipe)  # type: ignore[arg-type]
    stream.write(message)
    stream.flush()
    assert bytes(pipe.received) == message


def test_the_raw_stdout_of_an_unbuffered_python_is_made_whole() -> None:
    """PYTHONUNBUFFERED makes sys.stdout.buffer the raw file, whose short writes pygls
    ignores: the server writes through a buffered writer instead."""
    probe = (
        "import sys, io; from iacperf.server.lsp.wire import whole_writes; "
        "print(isinstance(sys.stdout.buffer, io.RawIOBase), "
        "isinstance(whole_writes(sys.stdout.buffer), io.BufferedWriter), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.split() == ["True", "True"]


@pytest.mark.skipif(sys.platform != "linux", reason="pipe sizes are a Linux setting")
def test_the_server_widens_its_pipe_to_the_client() -> None:
    """A big publish goes into the pipe in one write instead of ten rounds of 64 KiB."""
    import fcntl

    server = subprocess.Popen(
        [sys.executable, "-m", "iacperf.server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.stdin is not None and server.stdout is not None
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()
        # The answer comes after main() set the pipe up.
        assert server.stdout.readline().startswith(b"Content-Length")
        size = fcntl.fcntl(server.stdout.fileno(), fcntl.F_GETPIPE_SZ)
    finally:
        server.kill()
        server.wait(timeout=30)
    assert size == PIPE_BYTES
