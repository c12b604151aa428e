"""Findings as LSP diagnostics; the fix travels in ``data`` so code actions never re-lint."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from itertools import compress
from operator import itemgetter, ne
from typing import Any

import cattrs
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.api import Severity
from iacperf.rules.docgen import page_url
from iacperf.rules.edits import Edit
from iacperf.rules.records import record, replace
from iacperf.server import __version__
from iacperf.server.engine import Finding
from iacperf.server.lsp.documents import split_lines
from iacperf.server.lsp.positions import to_client_range
from iacperf.server.resolve import changed_places

SOURCE = "iacperf"
_COMPACT = (",", ":")  # no spaces: a big file publishes hundreds of KB per keystroke
_PATCH_LINES = 64  # changed lines beyond which a render starts over instead of patching
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_diagnostics(
    findings: Sequence[Finding], uri: str, text: str, codec: PositionCodec
) -> list[types.Diagnostic]:
    """The diagnostics of one document (``uri`` as the client spells it, ``text`` its text)."""
    converter = _converter()
    lines = split_lines(text)  # LSP line ends only, as the client counts lines
    return [
        converter.structure(diagnostic_json(f, uri, lines, codec), types.Diagnostic)
        for f in findings
    ]


@functools.cache
def _converter() -> cattrs.Converter:
    return get_converter()


@record
class _Rendered:
    finding: Finding  # kept alive, so its id is not reused while this entry lives
    wire: bytes  # the diagnostic as JSON, encoded
    #: The lines the conversion read (all well inside the text, see ``_lines_used``) and
    #: a getter that reads them again from a new text.
    read: tuple[str, ...]
    reread: Callable[[Sequence[str]], tuple[str, ...]]
    last: int  # the highest line read
    used: tuple[int, ...] = ()  # the indexes of those lines


@record(frozen=False)
class _Last:
    """The last render, position by position, and which positions read each line."""

    findings: Sequence[Finding]
    lines: Sequence[str]
    entries: list[_Rendered]
    result: list[bytes]
    #: line -> positions of the findings that read it, and the positions rendered afresh
    #: every time (at or past the last line); built when a patch first needs them
    readers: dict[int, set[int]] | None = None
    always: set[int] | None = None

    def index(self) -> tuple[dict[int, set[int]], set[int]]:
        if self.readers is None or self.always is None:
            readers: dict[int, set[int]] = {}
            always: set[int] = set()
            for position, entry in enumerate(self.entries):
                if not entry.used:
                    always.add(position)
                for line in entry.used:
                    known = readers.get(line)
                    if known is None:
                        readers[line] = {position}
                    else:
                        known.add(position)
            self.readers, self.always = readers, always
        return self.readers, self.always


class DiagnosticRenderer:
    """Diagnostics of one document as encoded JSON (the wire format).

    A keystroke re-publishes every diagnostic of the file, but the rule memo hands back
    the very same ``Finding`` objects for every resource the edit did not touch; their
    JSON is reused when the lines they were converted from are unchanged (the client
    units of a position depend on its line's text). A rule that ran again and found the
    same thing makes a new but equal ``Finding``: its JSON is reused too. Building the
    wire format directly also skips lsprotocol's cattrs round trip, once the largest
    cost of a keystroke on a big file.
    """

    def __init__(self) -> None:
        self._rendered: dict[int, _Rendered] = {}
        self._by_key: dict[tuple[str, int, int, str, str], _Rendered] = {}
        self._target: tuple[str, str] | None = None  # (uri, position encoding) rendered for
        self._last: _Last | None = None

    def render(
        self, findings: Sequence[Finding], uri: str, lines: Sequence[str], codec: PositionCodec
    ) -> list[bytes]:
        """``findings`` of the document ``uri`` whose text is ``lines`` (with line ends)."""
        encoding = str(codec.encoding)
        if self._target != (uri, encoding):
            # Another URI or unit: nothing carries over.
            self._rendered, self._by_key, self._last = {}, {}, None
            self._target = (uri, encoding)
        last = self._last
        if (
            last is not None
            and len(last.findings) == len(findings)
            and len(last.lines) == len(lines)
        ):
            patched = self._patch(last, findings, uri, lines, codec)
            if patched is not None:
                return patched
        return self._render_all(findings, uri, lines, codec)

    def _patch(
        self,
        last: _Last,
        findings: Sequence[Finding],
        uri: str,
        lines: Sequence[str],
        codec: PositionCodec,
    ) -> list[bytes] | None:
        """The last render with only what changed done again: the positions whose finding
        is another object, and those that read a line whose text is another object (a
        ``LineDocument`` keeps the objects of the lines an edit did not touch). Both are
        found in C; None when too much changed to be worth it."""
        other_findings = changed_places(last.findings, findings, len(findings) // 4)
        if other_findings is None:
            return None
        other_lines = _changed_lines(last.lines, lines, _PATCH_LINES)
        if other_lines is None:
            return None  # a paste, a reformat, or lines that are new objects: start over
        readers, always = last.index()
        redo = set(always)
        redo.update(other_findings)
        for line in other_lines:
            redo.update(readers.get(line, ()))
        safe = len(lines) - 1
        for position in redo:
            old = last.entries[position]
            for line in old.used:
                readers.get(line, set()).discard(position)
            always.discard(position)
            # The new entry first: an equal new finding finds the old one's JSON.
            entry = self._entry(findings[position], uri, lines, codec, safe)
            if old.finding is not entry.finding:
                self._forget(old.finding)
            self._rendered[id(entry.finding)] = entry
            self._by_key[entry.finding._sort_key] = entry
            if not entry.used:
                always.add(position)
            for line in entry.used:
                readers.setdefault(line, set()).add(position)
            last.entries[position] = entry
            last.result[position] = entry.wire
        last.findings, last.lines = findings, lines
        return list(last.result)

    def _render_all(
        self, findings: Sequence[Finding], uri: str, lines: Sequence[str], codec: PositionCodec
    ) -> list[bytes]:
        # Positions at or past the last line are clamped against the line count: a
        # finding there is converted afresh every time.
        safe = len(lines) - 1
        rendered: dict[int, _Rendered] = {}
        keyed: dict[tuple[str, int, int, str, str], _Rendered] = {}
        entries: list[_Rendered] = []
        for finding in findings:
            entry = self._entry(finding, uri, lines, codec, safe)
            rendered[id(finding)] = entry
            keyed[finding._sort_key] = entry
            entries.append(entry)
        self._rendered, self._by_key = rendered, keyed
        result = [entry.wire for entry in entries]
        self._last = _Last(findings, lines, entries, list(result))
        return result

    def _entry(
        self, finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec, safe: int
    ) -> _Rendered:
        """``finding``'s diagnostic: reused when rendered before from the same lines."""
        entry = self._rendered.get(id(finding))
        if entry is None or entry.finding is not finding:
            entry = self._by_key.get(finding._sort_key)
            if entry is not None and entry.finding != finding:
                entry = None
        if entry is None or entry.last >= safe or entry.reread(lines) != entry.read:
            return _render(finding, uri, lines, codec)
        if entry.finding is not finding:
            return replace(entry, finding=finding)
        return entry

    def _forget(self, finding: Finding) -> None:
        if self._rendered.get(id(finding)) is not None:
            del self._rendered[id(finding)]
        known = self._by_key.get(finding._sort_key)
        if known is not None and known.finding is finding:
            del self._by_key[finding._sort_key]


def _changed_lines(old: Sequence[str], new: Sequence[str], limit: int) -> list[int] | None:
    """The indexes of the lines of the same-length ``old`` and ``new`` whose text differs;
    None when there are more than ``limit``. Blocks of lines are compared in C first (same
    objects are equal at once) and only a block that differs line by line: a keystroke on
    a 20,000-line file changes one line, and comparing them one by one cost more than the
    rest of the render."""
    places: list[int] = []
    for start in range(0, len(new), _LINE_BLOCK):
        stop = start + _LINE_BLOCK
        before, after = old[start:stop], new[start:stop]
        if before != after:
            places.extend(compress(range(start, stop), map(ne, before, after)))
            if len(places) > limit:
                return None
    return places


_LINE_BLOCK = 256


def _render(finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec) -> _Rendered:
    wire = json.dumps(diagnostic_json(finding, uri, lines, codec), separators=_COMPACT).encode()
    used = _lines_used(finding)
    last = max(used)
    if last >= len(lines) - 1 or min(used) < 0:
        return _Rendered(finding, wire, (), _never, last=len(lines))
    # itemgetter of one index returns the item itself, not a 1-tuple: ask for it twice.
    reread = itemgetter(*used) if len(used) > 1 else itemgetter(used[0], used[0])
    return _Rendered(finding, wire, reread(lines), reread, last, used)


def _never(lines: Sequence[str]) -> tuple[str, ...]:
    return ("never equal",)


def _lines_used(finding: Finding) -> tuple[int, ...]:
    """The lines a conversion of ``finding`` reads: the lines its ranges touch."""
    used = {finding.range.start.line, finding.range.end.line}
    if finding.fix is not None:
        for edit in finding.fix.edits:
            used.update((edit.range.start.line, edit.range.end.line))
    for item in finding.related:
        if item.path == finding.path:
            used.update((item.range.start.line, item.range.end.line))
    return tuple(sorted(used))


def diagnostic_json(
    finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec
) -> dict[str, Any]:
    """One ``Diagnostic`` in wire format. ``uri`` and ``lines`` are the finding's document:
    related places in the same file get client-unit ranges, places in other files (whose
    text is not at hand) code points."""
    diagnostic: dict[str, Any] = {
        "range": _range_json(to_client_range(lines, codec, finding.range)),
        "severity": _SEVERITY[finding.severity].value,
        "code": finding.code,
        "codeDescription": {"href": page_url(finding.code, __version__)},
        "source": SOURCE,
        "message": finding.message,
    }
    related = [
        {
            "location": {
                "uri": uri if item.path == finding.path else _file_uri(item.path),
                "range": _range_json(
                    to_client_range(lines, codec, item.range)
                    if item.path == finding.path
                    else _plain_range(item.range)
                ),
            },
            "message": item.message,
        }
        for item in finding.related
    ]
    if related:
        diagnostic["relatedInformation"] = related
    diagnostic["data"] = diagnostic_data(finding, lines, codec)
    return diagnostic


def _range_json(client: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": client.start.line, "character": client.start.character},
        "end": {"line": client.end.line, "character": client.end.character},
    }


def diagnostic_data(finding: Finding, lines: Sequence[str], codec: PositionCodec) -> dict[str, Any]:
    """What a code action needs: the rule, the resource and the fix in client units."""
    data: dict[str, Any] = {"code": finding.code, "resource": finding.resource}
    fix = finding.fix
    if fix is not None:
        data["fix"] = {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [edit_data(edit, lines, codec) for edit in fix.edits],
        }
    return data


def edit_data(edit: Edit, lines: Sequence[str], codec: PositionCodec) -> dict[str, Any]:
    new_text = edit.new_text
    if edit.range.start.line >= len(lines) and lines and not lines[-1].endswith("\n"):
        new_text = _newline_of(lines) + new_text  # appending after a last unterminated line
    return {"range": _range_json(to_client_range(lines, codec, edit.range)), "newText": new_text}


def _newline_of(lines: Sequence[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _plain_range(source_range: Any) -> types.Range:
    # Another file's text is not at hand: code points are right for ASCII, close otherwise.
    return types.Range(
        start=types.Position(line=source_range.start.line, character=source_range.start.character),
        end=types.Position(line=source_range.end.line, character=source_range.end.character),
    )


def _file_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path
