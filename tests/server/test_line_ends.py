"""Lines as LSP clients count them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line."""

from __future__ import annotations

import pytest
from lsprotocol import types

from iacperf.server.lsp.documents import LineDocument, split_lines

# Characters that str.splitlines breaks at and LSP clients do not.
NOT_LINE_ENDS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_LINE_ENDS)
def test_a_change_below_a_non_lsp_line_break_lands_where_the_client_meant(char: str) -> None:
    text = f'# a{char}b\nresource "x" "y" {{\n}}\n'
    doc = LineDocument("file:///w/main.tf", source=text)
    assert len(doc.lines) == 3
    where = types.Position(1, 0)
    doc.apply_change(
        types.TextDocumentContentChangePartial(range=types.Range(where, where), text="X")
    )
    assert doc.source == f'# a{char}b\nXresource "x" "y" {{\n}}\n'


@pytest.mark.parametrize(
    "text",
    ["", "a", "a\n", "a\r\nb", "a\rb\r", "\n\n", "a\x0cb\u2028c\r\n\r", "x\r\r\n", "😀\r\n"],
)
def test_split_lines_keeps_every_character(text: str) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    assert all(not line[:-1].endswith(("\r", "\n")) or line.endswith("\r\n") for line in lines)
    assert len(lines) == len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) - (
        1 if text.endswith(("\n", "\r")) or not text else 0
    )
