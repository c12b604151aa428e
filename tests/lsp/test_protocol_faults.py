"""Protocol faults: the server logs and goes on, or exits as the protocol says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .raw import RawServer, frame

TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'
HOVER = "textDocument/hover"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    running = RawServer(tmp_path)
    running.initialize(tmp_path)
    yield running
    running.close()


def hover(server: RawServer, uri: str) -> dict[str, object]:
    return server.call(
        HOVER, {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 10}}
    )


def still_works(server: RawServer, tmp_path: Path, name: str) -> None:
    uri = server.open(tmp_path / name, TF)
    codes = [d["code"] for d in server.diagnostics(uri)["params"]["diagnostics"]]
    assert "PERF019" in codes
    assert "result" in hover(server, uri)


def test_malformed_frames_are_logged_and_the_server_goes_on(
    server: RawServer, tmp_path: Path
) -> None:
    server.send_bytes(frame(b"{not json"))
    server.send_bytes(frame(b"[1, 2, 3]"))
    server.send_bytes(frame(b'"a string"'))
    server.send_bytes(frame(b'{"jsonrpc": "2.0", "id": 99}'))  # neither request nor answer
    server.send_bytes(frame('{"jsonrpc": "2.0", "method": "\udcff"}'.encode("utf-8", "replace")))
    server.send_bytes(b"X-Garbage: yes\r\n\r\n")  # a header block without a length
    server.send_bytes(frame(b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover"}'))
    still_works(server, tmp_path, "after-garbage.tf")
    assert server.process.poll() is None


def test_unknown_methods(server: RawServer, tmp_path: Path) -> None:
    answer = server.call("iacperf/noSuchMethod", {"x": 1})
    assert answer["error"]["code"] == -32601  # MethodNotFound
    server.notify("iacperf/noSuchNotification", {"x": 1})  # ignored, no answer
    server.notify("$/noSuchThing", None)
    still_works(server, tmp_path, "after-unknown.tf")


def test_requests_for_unknown_documents_get_empty_answers(
    server: RawServer, tmp_path: Path
) -> None:
    for uri in ("file:///nowhere/main.tf", "untitled:Untitled-1", "file:///nowhere/x.yaml"):
        assert hover(server, uri) == {"jsonrpc": "2.0", "id": hover_id(server), "result": None}
        answer = server.call(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": []},
            },
        )
        assert answer.get("result") in ([], None), answer
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": "file:///nowhere/main.tf", "version": 2},
            "contentChanges": [{"text": "x"}],
        },
    )
    server.notify("textDocument/didClose", {"textDocument": {"uri": "file:///nowhere/main.tf"}})
    still_works(server, tmp_path, "after-unknown-docs.tf")


def hover_id(server: RawServer) -> object:
    return [m for m in server.received if "result" in m or "error" in m][-1]["id"]


def test_cancel_requests(server: RawServer, tmp_path: Path) -> None:
    server.notify("$/cancelRequest", {"id": 12345})  # never sent
    uri = server.open(tmp_path / "main.tf", TF)
    ident = server.request(
        HOVER, {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 10}}
    )
    server.notify("$/cancelRequest", {"id": ident})
    answer = server.response(ident)  # answered: a result, or the cancelled error
    assert "result" in answer or answer["error"]["code"] == -32800, answer
    server.notify("$/cancelRequest", {"id": ident})  # already answered
    still_works(server, tmp_path, "after-cancel.tf")


def test_a_client_that_never_answers_configuration(tmp_path: Path) -> None:
    server = RawServer(tmp_path)
    try:
        server.initialize(tmp_path, {"workspace": {"configuration": True}})
        asked = server.wait(
            lambda m: m.get("method") == "workspace/configuration", "the configuration request"
        )
        assert "id" in asked  # and it is never answered
        still_works(server, tmp_path, "main.tf")
    finally:
        server.close()


def test_exit_without_shutdown_exits_with_1(server: RawServer) -> None:
    server.notify("exit")
    assert server.exit_code() == 1


def test_shutdown_then_exit_exits_with_0(server: RawServer) -> None:
    assert server.call("shutdown")["result"] is None
    server.notify("exit")
    assert server.exit_code() == 0


def test_the_client_going_away_ends_the_server(server: RawServer) -> None:
    assert server.process.stdin is not None
    server.process.stdin.close()
    assert server.exit_code() in (0, 1)
