"""A configuration error as a diagnostic on the config file, in the client's encoding."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iacperf.rules.model import Position, SourceRange
from iacperf.server.config import ConfigError
from iacperf.server.lsp.positions import to_client_range


def config_diagnostic(
    error: ConfigError, lines: Sequence[str], codec: PositionCodec
) -> types.Diagnostic:
    """The error at its key or value (the file's first line when it has no place)."""
    line, column = error.line or 0, error.column or 0
    start = Position(line, column)
    if error.end_line is not None and error.end_column is not None:
        end = Position(error.end_line, error.end_column)
    else:
        row = lines[line].rstrip("\r\n") if line < len(lines) else ""
        end = Position(line, max(len(row), column))
    message = f"{error.key}: {error.message}" if error.key else error.message
    return types.Diagnostic(
        range=to_client_range(lines, codec, SourceRange(start, end)),
        message=message + " (not applied: the last valid settings stay in force)",
        severity=types.DiagnosticSeverity.Error,
        source="iacperf",
    )
