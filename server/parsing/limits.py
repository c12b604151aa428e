"""Text too big to parse: what an open document over the size limit shows instead."""

from __future__ import annotations

from iacperf.rules.model import Format, ParseError, Position, SourceRange, Template
from iacperf.server.parsing import detect
from iacperf.server.parsing.cloudformation import looks_like_cloudformation


def text_size(text: str, max_bytes: int) -> int | None:
    """The UTF-8 size of ``text`` when it is over ``max_bytes``, else None (cheaply: a
    code point takes one to four bytes)."""
    if len(text) * 4 <= max_bytes:
        return None
    if len(text) > max_bytes:
        return len(text.encode("utf-8", "surrogatepass"))
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > max_bytes else None


def oversized_template(path: str, text: str, size: int, max_bytes: int) -> Template | None:
    """A template holding one error at the start of the file (None when not IaC)."""
    kind = detect(path)
    if kind is None:
        return None
    fmt, syntax = kind
    if fmt is Format.CLOUDFORMATION and not looks_like_cloudformation(text):
        return None
    start = Position(0, 0)
    message = (
        f"not analysed: {size:,} bytes is over the {max_bytes:,}-byte limit"
        " (max_file_size in .iacperf.yaml, iacperf.maxFileSize in the editor)"
    )
    return Template(path, fmt, syntax, errors=(ParseError(message, SourceRange(start, start)),))
