"""A minimal LSP client over a child process's stdio: JSON-RPC framing by hand.

Kept small on purpose so the client adds next to nothing to what it measures: a
message's arrival time is taken as soon as its body is read, before JSON decoding.
The client answers the server's requests (registration, progress, configuration) the
way a plain editor would.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class ServerExitedError(RuntimeError):
    """The server process ended while the client still waited for it."""


@dataclass
class Published:
    version: int | None
    at: float  # perf_counter() when the message body had been read
    diagnostics: int


@dataclass
class LspClient:
    process: asyncio.subprocess.Process
    published: dict[str, list[Published]] = field(default_factory=dict)
    progress_ended: asyncio.Event = field(default_factory=asyncio.Event)
    last_message_at: float = 0.0
    _next_id: int = 0
    _responses: dict[int, asyncio.Future[tuple[float, Any]]] = field(default_factory=dict)
    _waiters: dict[tuple[str, int], asyncio.Future[float]] = field(default_factory=dict)
    _next: dict[str, list[asyncio.Future[float]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def spawn(cls, command: Sequence[str], stderr_path: str) -> LspClient:
        with open(stderr_path, "wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=2**26,
            )
        client = cls(process)
        client._reader = asyncio.ensure_future(client._read_loop())
        return client

    # -- sending ---------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> float:
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        sent = time.perf_counter()
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return sent

    async def request(self, method: str, params: Any) -> tuple[float, Any]:
        """Send a request; returns (arrival time of the response, its result)."""
        self._next_id += 1
        future: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()
        self._responses[self._next_id] = future
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        assert self.process.stdin is not None
        await self.process.stdin.drain()
        return await future

    async def initialize(
        self, folder: str, capabilities: dict[str, Any], timeout: float, **extra: Any
    ) -> float:
        """``initialize`` with ``folder`` as the workspace; returns when the answer came."""
        root = file_uri(folder)
        answered, _ = await asyncio.wait_for(
            self.request(
                "initialize",
                {
                    "processId": os.getpid(),
                    "rootUri": root,
                    "workspaceFolders": [{"uri": root, "name": os.path.basename(folder)}],
                    "capabilities": capabilities,
                    **extra,
                },
            ),
            timeout,
        )
        return answered

    async def notify(self, method: str, params: Any) -> float:
        """Send a notification; returns the time it was handed to the pipe."""
        sent = self._send({"jsonrpc": "2.0", "method": method, "params": params})
        assert self.process.stdin is not None
        await self.process.stdin.drain()
        return sent

    # -- waiting ---------------------------------------------------------------

    def expect(self, uri: str, version: int) -> asyncio.Future[float]:
        """A future for the arrival time of publishDiagnostics(uri, version)."""
        key = (uri, version)
        future = self._waiters.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            if self._reader is not None and self._reader.done():
                future.set_exception(ServerExitedError("the server has exited"))
                return future
            self._waiters[key] = future
            for item in self.published.get(uri, []):
                if item.version == version:
                    future.set_result(item.at)
                    break
        return future

    def next_publish(self, uri: str) -> asyncio.Future[float]:
        """A future for the arrival time of the next publishDiagnostics(uri), any version
        (for servers that publish without one)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if self._reader is not None and self._reader.done():
            future.set_exception(ServerExitedError("the server has exited"))
            return future
        self._next.setdefault(uri, []).append(future)
        return future

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until the server has sent nothing for ``seconds`` (at most ``limit``)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            idle = time.perf_counter() - self.last_message_at
            if idle >= seconds:
                return
            await asyncio.sleep(seconds - idle)

    # -- reading ---------------------------------------------------------------

    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                header = await stdout.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await stdout.readexactly(length)
                at = time.perf_counter()
                self.last_message_at = at
                self._dispatch(json.loads(body), at)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        # The server is gone: nobody waits for an answer that cannot come.
        gone = ServerExitedError(f"the server exited (code {await self.process.wait()})")
        nexts = [f for futures in self._next.values() for f in futures]
        for future in [*self._responses.values(), *self._waiters.values(), *nexts]:
            if not future.done():
                future.set_exception(gone)

    def _dispatch(self, message: dict[str, Any], at: float) -> None:
        method = message.get("method")
        if method is None:
            future = self._responses.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result((at, message.get("result", message.get("error"))))
            return
        if "id" in message:
            self._answer(message["id"], method, message.get("params"))
            return
        params = message.get("params") or {}
        if method == "textDocument/publishDiagnostics":
            uri, version = params["uri"], params.get("version")
            self.published.setdefault(uri, []).append(
                Published(version, at, len(params.get("diagnostics", [])))
            )
            waiter = self._waiters.get((uri, version))
            if waiter is not None and not waiter.done():
                waiter.set_result(at)
            for future in self._next.pop(uri, []):
                if not future.done():
                    future.set_result(at)
        elif method == "$/progress" and (params.get("value") or {}).get("kind") == "end":
            self.progress_ended.set()

    def _answer(self, request_id: Any, method: str, params: Any) -> None:
        result: Any = None
        if method == "workspace/configuration":
            result = [None for _ in (params or {}).get("items", [])]
        self._send({"jsonrpc": "2.0", "id": request_id, "result": result})

    # -- ending ----------------------------------------------------------------

    def rss_kib(self) -> int | None:
        """The server's resident set size, from /proc (Linux)."""
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the server has used so far, from /proc (Linux)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            await self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 10)
        except (asyncio.TimeoutError, ConnectionError, BrokenPipeError, ServerExitedError):
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)
        for future in [*self._responses.values(), *self._waiters.values()]:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: no "never retrieved" warnings at exit


def file_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()
