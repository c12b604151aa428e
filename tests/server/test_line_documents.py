"""``LineDocument`` gives exactly pygls' text after any incremental change."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from iacperf.server.lsp.documents import LineDocument, LineWorkspace

START = 'resource "aws_instance" "web" {\r\n  ami = "ami-😀"\r\n}\r\n\nlocals {\n  a = 1\n}'
PIECES = ["", "x", "\n", "\r\n", "\r", "😀", "é", 'a = "b"\n  c = 2', "\n\n", "{", "}"]


def _random_change(
    rng: random.Random, lines: list[str], codec: PositionCodec
) -> types.TextDocumentContentChangePartial:
    def position() -> types.Position:
        line = rng.randrange(len(lines) + 2)  # sometimes past the end
        text = lines[line] if line < len(lines) else ""
        return types.Position(line, rng.randrange(codec.client_num_units(text) + 3))

    a, b = position(), position()
    if (b.line, b.character) < (a.line, a.character):
        a, b = b, a
    return types.TextDocumentContentChangePartial(range=types.Range(a, b), text=rng.choice(PIECES))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
@pytest.mark.parametrize("seed", range(5))
def test_same_text_as_pygls_after_random_changes(encoding: str, seed: int) -> None:
    rng = random.Random(seed)
    codec = PositionCodec(types.PositionEncodingKind(encoding))
    ours = LineDocument("file:///w/main.tf", source=START, position_codec=codec)
    theirs = TextDocument("file:///w/main.tf", source=START, position_codec=codec)
    for _ in range(300):
        change = _random_change(rng, list(theirs.lines), codec)
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.source == theirs.source
        assert ours.lines == theirs.lines


def test_a_full_change_replaces_everything() -> None:
    doc = LineDocument("file:///w/main.tf", source=START)
    doc.apply_change(types.TextDocumentContentChangeWholeDocument(text="a\nb"))
    assert doc.source == "a\nb"
    assert doc.lines == ("a\n", "b")


def test_the_workspace_makes_line_documents() -> None:
    workspace = LineWorkspace(None)
    workspace.put_text_document(
        types.TextDocumentItem(uri="file:///w/a.tf", language_id="terraform", version=1, text="x")
    )
    assert isinstance(workspace.get_text_document("file:///w/a.tf"), LineDocument)
