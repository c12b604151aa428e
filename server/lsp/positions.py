"""Model positions (code points) to and from the client's position encoding.

Only this module knows about encodings. Positions outside the document are clamped, so a
stale or odd range can never put a diagnostic outside the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.model import Position, SourceRange


def _line_text(lines: Sequence[str], line: int) -> str:
    return lines[line].rstrip("\r\n") if 0 <= line < len(lines) else ""


def to_client_position(
    lines: Sequence[str], codec: PositionCodec, position: Position
) -> types.Position:
    if not lines:
        return types.Position(line=0, character=0)
    if position.line >= len(lines):
        if lines[-1].endswith("\n"):
            return types.Position(line=len(lines), character=0)  # after the final newline
        last = len(lines) - 1
        return types.Position(line=last, character=codec.client_num_units(_line_text(lines, last)))
    text = _line_text(lines, position.line)
    prefix = text[: max(position.character, 0)]
    # Every encoding counts one unit per ASCII character; the codec walks char by char.
    character = len(prefix) if prefix.isascii() else codec.client_num_units(prefix)
    return types.Position(line=max(position.line, 0), character=character)


def to_client_range(
    lines: Sequence[str], codec: PositionCodec, source_range: SourceRange
) -> types.Range:
    return types.Range(
        start=to_client_position(lines, codec, source_range.start),
        end=to_client_position(lines, codec, source_range.end),
    )


def from_client_position(
    lines: Sequence[str], codec: PositionCodec, position: types.Position
) -> Position:
    """A client position in code points (clamped to the line)."""
    text = _line_text(lines, position.line)
    units = 0
    for index, char in enumerate(text):
        if units >= position.character:
            return Position(position.line, index)
        units += codec.client_num_units(char)
    return Position(position.line, len(text))
