"""The test client and helpers shared by the end-to-end tests of the language server.

``Client`` records every notification the server sends (not just the latest per uri, as
pytest-lsp does) and lets a test wait, with a timeout, until a condition over what was
received holds. Nothing here sleeps to assert timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from iacperf.server import __version__

SERVER = [sys.executable, "-m", "iacperf.server"]
TIMEOUT = 30.0  # generous: the first parse builds the HCL grammar
FIXTURES = Path(__file__).parent.parent / "rules" / "fixtures"
#: A rule's documentation page, pinned to this release.
DOCS = "https://github.com/iacperf/iacperf/blob/v" + __version__ + "/rules/docs/{}.md"
#: Two volumes: gp2 (PERF019) and magnetic (PERF021), for settings that switch rules.
EBS_VOLUMES = """\
resource "aws_ebs_volume" "data" {
  size = 100
  type = "gp2"
}

resource "aws_ebs_volume" "cold" {
  size = 500
  type = "standard"
}
"""
#: A NAT gateway in a VPC with no S3 endpoint: PERF046 on the gateway, in its module.
NAT_MODULE = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "public" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}
"""
#: The gateway endpoint that clears PERF046 anywhere in the same module.
S3_ENDPOINT = """\
resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
}
"""
#: A SAM function inheriting x86_64 from Globals (PERF010 with related information).
SAM_GLOBALS_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Architectures:
      - x86_64
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: orders.handler
      Runtime: nodejs20.x
      CodeUri: src/
      Tracing: Active
      MemorySize: 1024
"""

LANGUAGES = {".tf": "terraform", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}

T = TypeVar("T")


class Client(LanguageClient):
    """pytest-lsp's client, keeping the full history of what the server sent."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.progress: list[tuple[types.ProgressToken, Any]] = []
        self.encoding: str = types.PositionEncodingKind.Utf16
        self.server_capabilities = types.ServerCapabilities()
        self.root: Path = Path()
        self.cancel_progress_on_begin = False
        self._news = asyncio.Event()

    def notice(self) -> None:
        self._news.set()

    async def until(self, check: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
        """Wait until ``check()`` returns something truthy; fail after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            self._news.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._news.wait(), remaining)

    def published_for(self, uri: str) -> list[types.PublishDiagnosticsParams]:
        return [p for p in self.published if p.uri == uri]

    async def diagnostics_for(
        self, uri: str, version: int | None, after: int = 0, timeout: float = TIMEOUT
    ) -> list[types.Diagnostic]:
        """The first diagnostics published for ``uri`` at ``version`` (from index ``after``)."""

        def found() -> list[types.PublishDiagnosticsParams]:
            return [p for p in self.published[after:] if p.uri == uri and p.version == version]

        params = await self.until(found, f"diagnostics for {uri} version {version}", timeout)
        return list(params[0].diagnostics)

    async def settles(
        self, uri: str, version: int | None, expected: list[tuple[Any, ...]], after: int = 0
    ) -> list[types.Diagnostic]:
        """Wait until the latest diagnostics published for ``uri`` (from index ``after``)
        are ``expected`` (see ``keys``) at ``version``. For changes that are not versioned
        (settings, files on disk), where a publication already on its way may come first."""

        def latest() -> types.PublishDiagnosticsParams | None:
            mine = [p for p in self.published[after:] if p.uri == uri]
            return mine[-1] if mine else None

        def done() -> types.PublishDiagnosticsParams | None:
            params = latest()
            if params and params.version == version and keys(params.diagnostics) == expected:
                return params
            return None

        try:
            return list((await self.until(done, f"{expected} for {uri}")).diagnostics)
        except AssertionError:
            params = latest()
            got = (params.version, keys(params.diagnostics)) if params else None
            raise AssertionError(f"{uri}: expected {expected} at {version}, got {got}") from None

    # -- documents -----------------------------------------------------------

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        language = "terraform" if path.name.endswith(".tf") else LANGUAGES.get(path.suffix, "")
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=version, text=text
                )
            )
        )
        return uri

    def change(
        self, uri: str, version: int, text: str, start: types.Position, end: types.Position
    ) -> None:
        """One incremental change: replace ``start``..``end`` with ``text``."""
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=end), text=text
                    )
                ],
            )
        )

    def replace_all(self, uri: str, version: int, old: str, new: str) -> None:
        """Replace the whole text through a ranged (incremental) change."""
        self.change(uri, version, new, types.Position(0, 0), end_position(old, self.encoding))

    def close(self, uri: str) -> None:
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    # -- positions in the negotiated encoding ----------------------------------

    def position(self, text: str, line: int, column: int) -> types.Position:
        """``column`` in code points on ``line`` of ``text``, in the client's units."""
        return types.Position(line, units(text.split("\n")[line][:column], self.encoding))

    def span(self, text: str, line: int, needle: str, occurrence: int = 0) -> types.Range:
        """The range of the ``occurrence``-th ``needle`` on ``line``."""
        row = text.split("\n")[line]
        start = -1
        for _ in range(occurrence + 1):
            start = row.index(needle, start + 1)
        return types.Range(
            self.position(text, line, start), self.position(text, line, start + len(needle))
        )


def make_client() -> Client:
    client = Client()

    def published(ls: Client, params: types.PublishDiagnosticsParams) -> None:
        ls.published.append(params)
        ls.diagnostics[params.uri] = params.diagnostics
        ls.notice()

    def register(ls: Client, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)
        ls.notice()

    def progress(ls: Client, params: types.ProgressParams) -> None:
        DEFAULT_CLIENT_FEATURES[types.PROGRESS](ls, params)
        kind = params.value.get("kind") if isinstance(params.value, dict) else None
        ls.progress.append((params.token, params.value))
        if kind == "begin" and ls.cancel_progress_on_begin:
            ls.window_work_done_progress_cancel(
                types.WorkDoneProgressCancelParams(token=params.token)
            )
        ls.notice()

    def logged(ls: Client, params: types.LogMessageParams) -> None:
        DEFAULT_CLIENT_FEATURES[types.WINDOW_LOG_MESSAGE](ls, params)
        ls.notice()

    def shown(ls: Client, params: types.ShowMessageParams) -> None:
        DEFAULT_CLIENT_FEATURES[types.WINDOW_SHOW_MESSAGE](ls, params)
        ls.notice()

    def refresh(ls: Client, params: None) -> None:
        DEFAULT_CLIENT_FEATURES[types.WORKSPACE_DIAGNOSTIC_REFRESH](ls, params)
        ls.notice()

    register_lsp_features(
        client,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: published,
            types.CLIENT_REGISTER_CAPABILITY: register,
            types.PROGRESS: progress,
            types.WINDOW_LOG_MESSAGE: logged,
            types.WINDOW_SHOW_MESSAGE: shown,
            types.WORKSPACE_DIAGNOSTIC_REFRESH: refresh,
        },
    )
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


async def start_session(client: Client, preset: types.ClientCapabilities, root: Path) -> None:
    client.root = root
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=preset,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    client.server_capabilities = result.capabilities
    client.encoding = result.capabilities.position_encoding or types.PositionEncodingKind.Utf16


# -- text ----------------------------------------------------------------------


def units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def end_position(text: str, encoding: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(len(lines) - 1, units(lines[-1], encoding))


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """The string index of an LSP position (clamped to its line, as clients do)."""
    lines = text.split("\n")
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) + 1 for line in lines[: position.line])
    row = lines[position.line]
    count = 0
    for index, char in enumerate(row):
        if count >= position.character:
            return start + index
        count += units(char, encoding)
    return start + len(row)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit], encoding: str) -> str:
    """Apply edits as an LSP client does: all ranges refer to the original text, and
    insertions at one position appear in the order of the array."""
    placed = sorted(
        enumerate(edits),
        key=lambda pair: (
            offset_of(text, pair[1].range.start, encoding),
            offset_of(text, pair[1].range.end, encoding),
            pair[0],
        ),
    )
    result = text
    for _, edit in reversed(placed):
        start = offset_of(text, edit.range.start, encoding)
        end = offset_of(text, edit.range.end, encoding)
        result = result[:start] + edit.new_text + result[end:]
    return result


def edits_for(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    """The edits of ``uri``: plain ``changes``, or one versioned ``TextDocumentEdit``
    (clients that support ``documentChanges``)."""
    assert action.edit is not None, action
    if action.edit.document_changes is not None:
        (change,) = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit), change
        assert change.text_document.uri == uri and change.text_document.version is not None
        return [e for e in change.edits if isinstance(e, types.TextEdit)]
    assert action.edit.changes is not None, action
    assert list(action.edit.changes) == [uri], action.edit
    return list(action.edit.changes[uri])


def edit_version(action: types.CodeAction) -> int | None:
    """The document version a versioned edit was computed for (None: unversioned)."""
    assert action.edit is not None, action
    if action.edit.document_changes is None:
        return None
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit), change
    return change.text_document.version


def key(diagnostic: types.Diagnostic) -> tuple[Any, ...]:
    """Code and range: what identifies a diagnostic in these tests."""
    r = diagnostic.range
    return (diagnostic.code, r.start.line, r.start.character, r.end.line, r.end.character)


def keys(diagnostics: Sequence[types.Diagnostic]) -> list[tuple[Any, ...]]:
    return sorted(key(d) for d in diagnostics)


def expect(code: str, found: types.Range) -> tuple[Any, ...]:
    return (code, found.start.line, found.start.character, found.end.line, found.end.character)
