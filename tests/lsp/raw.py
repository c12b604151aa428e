"""A bare JSON-RPC client over the server's stdio, for what pytest-lsp cannot send:
broken frames, unknown methods, unanswered server requests, ``exit`` without ``shutdown``.
Every wait has a timeout that fails only on a hang."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .support import SERVER

TIMEOUT = 60.0
Message = dict[str, Any]


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawServer:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            SERVER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
        self.received: list[Message] = []
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- sending -------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: Message) -> None:
        self.send_bytes(frame(json.dumps({"jsonrpc": "2.0", **message}).encode()))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None) -> int:
        ident = next(self._ids)
        self.send({"id": ident, "method": method, "params": params})
        return ident

    def call(self, method: str, params: Any = None) -> Message:
        return self.response(self.request(method, params))

    # -- receiving -----------------------------------------------------------

    def response(self, ident: int, timeout: float = TIMEOUT) -> Message:
        return self.wait(
            lambda m: m.get("id") == ident and "method" not in m, f"response {ident}", timeout
        )

    def wait(
        self, check: Callable[[Message], bool], what: str, timeout: float = TIMEOUT
    ) -> Message:
        for message in self.received:
            if check(message):
                return message
        while True:
            try:
                message = self._inbox.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None
            if message is None:
                raise AssertionError(f"the server closed its output waiting for {what}")
            if check(message):
                return message

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    self._inbox.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(stream.read(length))
            self.received.append(message)
            self._inbox.put(message)

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    # -- session -------------------------------------------------------------

    def initialize(
        self, root: Path, capabilities: Message | None = None, folders: list[Path] | None = None
    ) -> Message:
        answer = self.call(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": capabilities or {},
                "workspaceFolders": [
                    {"uri": folder.as_uri(), "name": folder.name} for folder in folders or [root]
                ],
            },
        )
        self.notify("initialized", {})
        return answer

    def open(self, path: Path, text: str, language: str = "terraform") -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        )
        return uri

    def diagnostics(self, uri: str, timeout: float = TIMEOUT) -> Message:
        return self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            ),
            f"diagnostics for {uri}",
            timeout,
        )

    def exit_code(self, timeout: float = TIMEOUT) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
