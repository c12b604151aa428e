"""Sending a JSON-RPC message whose body is JSON text already.

pygls serialises every outgoing message with ``json.dumps`` (through cattrs for
lsprotocol types). Diagnostics are kept as encoded JSON per finding (``diagnostics.py``),
so a publish only joins bytes; this writes the joined body the way pygls'
``JsonRPCProtocol._send_data`` does (pygls 2.x).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import sys
from collections.abc import Sequence
from typing import BinaryIO

from lsprotocol import types
from pygls.protocol import JsonRPCProtocol


def publish_diagnostics(
    protocol: JsonRPCProtocol, uri: str, version: int | None, diagnostics: Sequence[bytes]
) -> None:
    """``textDocument/publishDiagnostics`` with ``diagnostics`` as encoded JSON."""
    versioned = f',"version":{version}' if version is not None else ""
    method = json.dumps(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    head = f'{{"jsonrpc":"2.0","method":{method},"params":{{"uri":{json.dumps(uri)}{versioned}'
    body = b"".join((head.encode(), b',"diagnostics":[', b",".join(diagnostics), b"]}}"))
    send_json_bytes(protocol, body)


def send_json_bytes(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Write one message whose body is encoded JSON (``protocol.CHARSET``)."""
    writer = protocol.writer
    if writer is None:
        return
    data = body
    if protocol._include_headers:
        header = (
            f"Content-Length: {len(data)}\r\n"
            f"Content-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n"
        )
        data = header.encode(protocol.CHARSET) + data
    written = writer.write(data)
    if inspect.isawaitable(written):
        asyncio.ensure_future(written)


def whole_writes(stdout: BinaryIO) -> BinaryIO:
    """``stdout`` as a stream whose ``write`` writes everything it is given.

    pygls writes each message with one ``write`` and ignores what it returns. With
    ``PYTHONUNBUFFERED`` set, as in many containers and editor setups, ``sys.stdout.buffer``
    is the raw file, and a write into a full pipe that a signal interrupts (a profiler
    attaching, a terminal resize) returns after part of the message: the rest was lost
    and every later message misread. A buffered writer writes the rest.
    """
    if isinstance(stdout, io.RawIOBase):
        return io.BufferedWriter(stdout)
    return stdout


#: A publish of every finding of a 20,000-line file is about 670 KB.
PIPE_BYTES = 1 << 20


def widen_pipe(fd: int) -> None:
    """Let the pipe to the client hold a whole big publish (Linux; 64 KiB by default).

    Through a 64 KiB pipe the server writes a 670 KB message in ten rounds, each waiting
    for the client to read the last: the two processes take turns. A wider pipe takes
    the message in one write and the client reads it in a few. Where the pipe cannot be
    widened (another system, a file, a limit) nothing changes.
    """
    if sys.platform != "linux":
        return
    import fcntl

    with contextlib.suppress(OSError, ValueError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
