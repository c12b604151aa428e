"""Open documents that apply an incremental change in time proportional to the change.

pygls' ``TextDocument`` re-splits the whole text into lines and writes every line
into a new buffer on each ``didChange``: 3 ms per keystroke on a 20,000-line file,
before any analysis. ``LineDocument`` keeps the text as a list of lines, replaces
only the lines a change touches, and joins them again (one C-level join) when the
text is read. Positions are converted by pygls' own codec, so the result is exactly
pygls' (``tests/lsp/test_documents.py`` compares the two on random edits), except where
pygls is wrong: it splits lines with ``str.splitlines``, which also breaks at form feeds,
``\x1c``-``\x1e``, ``\x85`` and U+2028/U+2029, while LSP clients count only ``\n``,
``\r\n`` and ``\r``; a change below such a character landed on the wrong line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


def split_lines(text: str) -> list[str]:
    """``text.splitlines(True)`` with LSP's line ends only: ``\n``, ``\r\n``, ``\r``."""
    lines = _LINE.findall(text)
    lines.pop()  # the empty match at the very end
    return lines


class LineDocument(TextDocument):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._line_list: list[str] | None = None

    @property
    def source(self) -> str:
        if self._source is None and self._line_list is not None:
            self._source = "".join(self._line_list)
        return str(TextDocument.source.fget(self))  # type: ignore[attr-defined]

    @property
    def lines(self) -> Sequence[str]:
        return tuple(self._lines())

    def _lines(self) -> list[str]:
        if self._line_list is None:
            self._line_list = split_lines(self.source)
        return self._line_list

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        super()._apply_full_change(change)
        self._line_list = None

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        lines = self._lines()
        where = self.position_codec.range_from_client_units(lines, change.range)
        start, end = where.start, where.end
        if start.line == len(lines):  # pygls: an edit at the very end of the file
            self._source = self.source + change.text
            self._line_list = None
            return
        piece = lines[start.line][: start.character] + change.text
        if end.line < len(lines):
            piece += lines[end.line][end.character :]
        # Re-split together with the neighbouring lines: the change may join or split a
        # "\r\n" pair across them, or remove the newline between two lines.
        first = max(start.line - 1, 0)
        last = min(max(end.line, start.line) + 2, len(lines))
        before = "".join(lines[first : start.line])
        after = "".join(lines[max(end.line, start.line) + 1 : last])
        lines[first:last] = split_lines(before + piece + after)
        self._source = None


class LineWorkspace(Workspace):
    """A pygls workspace whose documents are ``LineDocument``s."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LineDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )
