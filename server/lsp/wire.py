"""Sending a JSON-RPC message whose body is JSON text already.

pygls serialises every outgoing message with ``json.dumps`` (through cattrs for
lsprotocol types). Diagnostics are kept as JSON text per finding (``diagnostics.py``),
so a publish only joins texts; this writes the joined body the way pygls'
``JsonRPCProtocol._send_data`` does (pygls 2.x).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Sequence

from lsprotocol import types
from pygls.protocol import JsonRPCProtocol


def publish_diagnostics(
    protocol: JsonRPCProtocol, uri: str, version: int | None, diagnostics: Sequence[str]
) -> None:
    """``textDocument/publishDiagnostics`` with ``diagnostics`` as JSON texts."""
    versioned = f'"version": {version}, ' if version is not None else ""
    params = f'{{"uri": {json.dumps(uri)}, {versioned}"diagnostics": [{", ".join(diagnostics)}]}}'
    method = json.dumps(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    send_json_text(protocol, f'{{"jsonrpc": "2.0", "method": {method}, "params": {params}}}')


def send_json_text(protocol: JsonRPCProtocol, body: str) -> None:
    writer = protocol.writer
    if writer is None:
        return
    data = body.encode(protocol.CHARSET)
    if protocol._include_headers:
        header = (
            f"Content-Length: {len(data)}\r\n"
            f"Content-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n"
        )
        data = header.encode(protocol.CHARSET) + data
    written = writer.write(data)
    if inspect.isawaitable(written):
        asyncio.ensure_future(written)
