"""A JSON reader that keeps exact source ranges (for CloudFormation and ``.tf.json``).

The standard ``json`` module drops positions, and importing cfn-lint for its marked
decoder costs over a second; this is a small recursive-descent reader over a token
regex. Nesting is bounded so hostile input fails cleanly.
"""

from __future__ import annotations

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

#: One token of a line, after its blanks: a JSON string holds no raw line break, so no
#: token spans lines and a token's place is its line and column with no arithmetic.
#: ``other`` is any other character but JSON's blanks, so every character of a line is a
#: blank or in a token. The string is written as an unrolled loop, and the blanks are
#: taken with the token, because the regular expression engine is slow to fail.
_TOKEN = re.compile(
    r"""[ \t\r]*(?:(?P<punct>[{}\[\],:])|(?P<string>"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*")"""
    r"""|(?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<word>true|false|null)"""
    r"""|(?P<other>[^ \t\r]))"""
)
_MAX_DEPTH = 200  # below Python's recursion limit (two frames a level)

#: A token: kind, text, line, start and end column.
_Token = tuple[str, str, int, int, int]


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.position = position


#: What a reader makes of each mapping it has read (CloudFormation: intrinsic functions).
MappingHook = Callable[[MappingNode], Node]


class _Reader:
    def __init__(self, text: str, mapping_hook: MappingHook | None = None) -> None:
        lines = text.split("\n")
        # Tokens are found line by line in C; the reader then walks the list.
        self.tokens: list[_Token] = [
            (
                match.lastgroup or "",
                match.group(match.lastindex or 0),
                number,
                match.start(match.lastindex or 0),
                match.end(),
            )
            for number, line in enumerate(lines)
            for match in _TOKEN.finditer(line)
        ]
        self.index = 0
        self.end = Position(len(lines) - 1, len(lines[-1]))
        self.mapping_hook = mapping_hook

    def token(self) -> _Token:
        index = self.index
        if index >= len(self.tokens):
            raise JsonSyntaxError("unexpected end of JSON", self.end)
        token = self.tokens[index]
        if token[0] == "other":
            raise JsonSyntaxError(
                f"unexpected character {token[1]!r}", Position(token[2], token[3])
            )
        self.index = index + 1
        return token

    def value(self, depth: int = 0) -> Node:
        if depth > _MAX_DEPTH:
            raise JsonSyntaxError("JSON nested too deeply", self.here())
        kind, text, line, start, end = self.token()
        if kind == "string":
            where = SourceRange(Position(line, start), Position(line, end))
            return ScalarNode(where, _string(text), '"')
        if kind == "number":
            where = SourceRange(Position(line, start), Position(line, end))
            fraction = "." in text or "e" in text or "E" in text
            number: int | float = float(text) if fraction else int(text)
            return ScalarNode(where, number)
        if kind == "word":
            where = SourceRange(Position(line, start), Position(line, end))
            return ScalarNode(where, {"true": True, "false": False}.get(text))
        if text == "{":
            mapping = self.mapping(Position(line, start), depth)
            return self.mapping_hook(mapping) if self.mapping_hook is not None else mapping
        if text == "[":
            return self.sequence(Position(line, start), depth)
        raise JsonSyntaxError(f"unexpected {text!r}", Position(line, start))

    def here(self) -> Position:
        """Where the next token starts (the end of the text after the last)."""
        if self.index >= len(self.tokens):
            return self.end
        _, _, line, start, _ = self.tokens[self.index]
        return Position(line, start)

    def mapping(self, start: Position, depth: int) -> MappingNode:
        entries: list[Entry] = []
        open_range = SourceRange(start, Position(start.line, start.character + 1))
        while True:
            kind, text, line, key_start, key_end = self.token()
            if text == "}" and not entries:
                close = (line, key_start)
                break
            if kind != "string":
                raise JsonSyntaxError(
                    f"expected a property name, found {text!r}", Position(line, key_start)
                )
            _, colon, colon_line, colon_start, _ = self.token()
            if colon != ":":
                raise JsonSyntaxError(
                    f"expected ':' after property name, found {colon!r}",
                    Position(colon_line, colon_start),
                )
            value = self.value(depth + 1)
            key_range = SourceRange(Position(line, key_start), Position(line, key_end))
            entries.append(
                Entry(
                    _string(text), key_range, value, SourceRange(key_range.start, value.range.end)
                )
            )
            _, text, line, separator, _ = self.token()
            if text == "}":
                close = (line, separator)
                break
            if text != ",":
                raise JsonSyntaxError(
                    f"expected ',' or '}}', found {text!r}", Position(line, separator)
                )
        close_start = Position(*close)
        close_end = Position(close[0], close[1] + 1)
        return MappingNode(
            range=SourceRange(start, close_end),
            entries=tuple(entries),
            indent=entries[0].range.start.character if entries else None,
            open_range=open_range,
            close_range=SourceRange(close_start, close_end),
        )

    def sequence(self, start: Position, depth: int) -> SequenceNode:
        items: list[Node] = []
        while True:
            index = self.index
            if index < len(self.tokens) and self.tokens[index][1] == "]" and not items:
                self.index = index + 1
                _, _, line, close, _ = self.tokens[index]
                break
            if index >= len(self.tokens) and not items:
                self.token()  # raises: the end of the text
            items.append(self.value(depth + 1))
            _, text, line, close, _ = self.token()
            if text == "]":
                break
            if text != ",":
                raise JsonSyntaxError(f"expected ',' or ']', found {text!r}", Position(line, close))
        return SequenceNode(range=SourceRange(start, Position(line, close + 1)), items=tuple(items))


def _string(token: str) -> str:
    """The value of a string token. The token pattern admits no control character, so
    without a backslash the text between the quotes is the value (json.loads costs more)."""
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def parse_json(text: str, mapping_hook: MappingHook | None = None) -> Node:
    """Parse a JSON document into model nodes; raises ``JsonSyntaxError`` with a position.
    ``mapping_hook`` replaces each mapping, its values already replaced."""
    reader = _Reader(text, mapping_hook)
    if text.startswith("\ufeff"):
        reader.index = 1  # skip a byte-order mark (an "other" token), keeping columns true
    node = reader.value()
    if reader.index < len(reader.tokens):
        raise JsonSyntaxError("unexpected text after the JSON document", reader.here())
    return node
