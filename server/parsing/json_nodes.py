"""A JSON reader that keeps exact source ranges (for CloudFormation and ``.tf.json``).

The standard ``json`` module drops positions, and importing cfn-lint for its marked
decoder costs over a second; this is a small recursive-descent reader over a token
regex. Nesting is bounded so hostile input fails cleanly.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable

from iacperf.rules.model import (
    Entry,
    MappingNode,
    Node,
    Position,
    ScalarNode,
    SequenceNode,
    SourceRange,
)

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:(?P<punct>[{}\[\],:])|(?P<string>"(?:[^"\\\x00-\x1f]|\\.)*")"""
    r"""|(?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<word>true|false|null))"""
)
_MAX_DEPTH = 200  # below Python's recursion limit (two frames a level)


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.position = position


#: What a reader makes of each mapping it has read (CloudFormation: intrinsic functions).
MappingHook = Callable[[MappingNode], Node]


class _Reader:
    def __init__(self, text: str, mapping_hook: MappingHook | None = None) -> None:
        self.text = text
        self.mapping_hook = mapping_hook
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Position(line, offset - self.line_starts[line])

    def fail(self, message: str, offset: int | None = None) -> JsonSyntaxError:
        return JsonSyntaxError(message, self.position(self.pos if offset is None else offset))

    def token(self) -> tuple[str, str, int, int]:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            rest = self.text[self.pos :]
            where = self.pos + len(rest) - len(rest.lstrip(" \t\r\n"))
            if where >= len(self.text):
                raise self.fail("unexpected end of JSON", where)
            raise self.fail(f"unexpected character {self.text[where]!r}", where)
        kind = match.lastgroup or ""
        self.pos = match.end()
        return kind, match.group(kind), match.start(kind), match.end(kind)

    def value(self, depth: int = 0) -> Node:
        if depth > _MAX_DEPTH:
            raise self.fail("JSON nested too deeply")
        kind, text, start, end = self.token()
        source_range = SourceRange(self.position(start), self.position(end))
        if kind == "string":
            return ScalarNode(source_range, _string(text), '"')
        if kind == "number":
            fraction = "." in text or "e" in text or "E" in text
            number: int | float = float(text) if fraction else int(text)
            return ScalarNode(source_range, number)
        if kind == "word":
            return ScalarNode(source_range, {"true": True, "false": False}.get(text))
        if text == "{":
            mapping = self.mapping(start, depth)
            return self.mapping_hook(mapping) if self.mapping_hook is not None else mapping
        if text == "[":
            return self.sequence(start, depth)
        raise self.fail(f"unexpected {text!r}", start)

    def mapping(self, start: int, depth: int) -> MappingNode:
        entries: list[Entry] = []
        open_range = SourceRange(self.position(start), self.position(start + 1))
        while True:
            kind, text, key_start, key_end = self.token()
            if text == "}" and not entries:
                break
            if kind != "string":
                raise self.fail(f"expected a property name, found {text!r}", key_start)
            kind, colon, colon_start, _ = self.token()
            if colon != ":":
                raise self.fail(f"expected ':' after property name, found {colon!r}", colon_start)
            value = self.value(depth + 1)
            key_range = SourceRange(self.position(key_start), self.position(key_end))
            entries.append(
                Entry(
                    _string(text),
                    key_range,
                    value,
                    SourceRange(key_range.start, value.range.end),
                )
            )
            kind, text, sep_start, _ = self.token()
            if text == "}":
                break
            if text != ",":
                raise self.fail(f"expected ',' or '}}', found {text!r}", sep_start)
        close = self.pos - 1
        return MappingNode(
            range=SourceRange(self.position(start), self.position(self.pos)),
            entries=tuple(entries),
            indent=entries[0].range.start.character if entries else None,
            open_range=open_range,
            close_range=SourceRange(self.position(close), self.position(close + 1)),
        )

    def sequence(self, start: int, depth: int) -> SequenceNode:
        items: list[Node] = []
        while True:
            save = self.pos
            kind, text, token_start, _ = self.token()
            if text == "]" and not items:
                break
            self.pos = save
            items.append(self.value(depth + 1))
            kind, text, token_start, _ = self.token()
            if text == "]":
                break
            if text != ",":
                raise self.fail(f"expected ',' or ']', found {text!r}", token_start)
        return SequenceNode(
            range=SourceRange(self.position(start), self.position(self.pos)), items=tuple(items)
        )


def _string(token: str) -> str:
    """The value of a string token. The token pattern admits no control character, so
    without a backslash the text between the quotes is the value (json.loads costs more)."""
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def parse_json(text: str, mapping_hook: MappingHook | None = None) -> Node:
    """Parse a JSON document into model nodes; raises ``JsonSyntaxError`` with a position.
    ``mapping_hook`` replaces each mapping, its values already replaced."""
    reader = _Reader(text, mapping_hook)
    if text.startswith("\ufeff"):
        reader.pos = 1  # skip a byte-order mark, keeping offsets true to the text
    node = reader.value()
    rest = reader.text[reader.pos :]
    if rest.strip(" \t\r\n"):
        offset = reader.pos + len(rest) - len(rest.lstrip(" \t\r\n"))
        raise reader.fail("unexpected text after the JSON document", offset)
    return node
