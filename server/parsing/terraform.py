"""Terraform native syntax (``.tf``, ``.tfvars``): parsed block by block, cached by block text.

``parse_terraform(path, text, previous)`` is the API the language server uses: blocks
whose text did not change are taken from ``previous`` (ranges are relative to the
block, so only the line offset changes); only changed blocks go through python-hcl2.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from operator import attrgetter

from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    ParseError,
    Resource,
    Syntax,
    Template,
    TopBlock,
    Variable,
)
from iacperf.rules.records import field, record, replace
from iacperf.server.parsing.hcl_blocks import BIG_LINES, Chunk, Layout, layout, relayout
from iacperf.server.parsing.hcl_items import ItemCache, parse_big_block
from iacperf.server.parsing.suppression_comments import hcl_suppressions

#: Chunks and pieces kept beyond the current ones, for undo and retyping: each keystroke
#: adds one, and a long editing session must not keep them all
_PIECES_SLACK = 1_000


@record
class ParsedChunk:
    """What one chunk parsed to; every range is relative to the chunk's first line."""

    blocks: tuple[Entry, ...]
    error: ParseError | None = None


@record(frozen=False)
class TerraformParse:
    """A parsed file plus the block cache the next parse of the same file starts from."""

    template: Template
    #: chunk text -> what it parsed to; shared with (and grown by) the parses that follow
    cache: dict[str, ParsedChunk] = field(default_factory=dict, repr=False)
    #: How many chunks went through python-hcl2 in this parse (the rest came from cache).
    parsed_chunks: int = 0
    chunk_count: int = 0
    #: The text's chunks: the next parse re-scans only around its edit.
    layout: Layout | None = field(default=None, repr=False)
    #: The items of big blocks, parsed one by one (shared with the parses that follow).
    items: ItemCache = field(default_factory=ItemCache, repr=False)
    #: What each chunk added to the template, by (text, first line, newline), shared with
    #: the parses that follow: undo and retyping find their pieces again.
    pieces: dict[tuple[str, int, str], _Piece] = field(default_factory=dict, repr=False)
    #: The piece of each chunk of ``layout``, in order: a keystroke replaces the pieces of
    #: the chunks it touched and keeps the rest as they are.
    chunk_pieces: tuple[_Piece, ...] = field(default=(), repr=False)


@record
class _Piece:
    """What one chunk, at one place in the file, adds to the template."""

    resources: tuple[Resource, ...]
    variables: tuple[Variable, ...]
    blocks: tuple[TopBlock, ...]
    error: ParseError | None
    indent: int  # the indent unit its first indented resource shows; 0 when none


def parse_terraform(
    path: str,
    text: str,
    previous: TerraformParse | None = None,
    *,
    editing: bool = False,
    shared: dict[str, ParsedChunk] | None = None,
) -> TerraformParse:
    """Parse ``text``; reuse every block of ``previous`` whose text is unchanged.

    ``editing``: the text is open in an editor, so big blocks are parsed item by item
    from the first parse on, and the first keystroke in one is as cheap as the next. A
    one-off parse (the CLI) takes big blocks whole, which is a little faster once.
    ``shared``: chunks parsed from other files, by text, read and filled (a chunk parses
    the same wherever it is). A scan's files repeat blocks: 39% of terraform-aws-vpc's
    lines are in blocks that another of its files holds too (examples' variables).
    """
    same_file = previous is not None and previous.template.path == path
    cache = previous.cache if previous is not None else {}
    items = previous.items if previous is not None else ItemCache()
    old_layout = previous.layout if previous is not None else None
    shape = relayout(old_layout, text) if old_layout is not None else layout(text)
    chunks = shape.chunks
    pieces = previous.pieces if previous is not None and same_file else {}
    # Only the chunks between an unchanged head and an unchanged tail need a look: the
    # layout keeps the very Chunk objects of what an edit did not touch.
    head, tail, window = 0, 0, chunks
    if (
        previous is not None
        and same_file
        and old_layout is not None
        and len(previous.chunk_pieces) == len(old_layout.chunks)
    ):
        head, tail = _unchanged_ends(old_layout.chunks, chunks)
        window = chunks[head : len(chunks) - tail]
    if previous is not None and head + tail and previous.template.newline == "\n":
        # The chunks cover the text: only the new ones can have brought a "\r\n".
        newline = "\r\n" if any("\r\n" in chunk.text for chunk in window) else "\n"
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
    if previous is not None and newline != previous.template.newline:
        head, tail, window = 0, 0, chunks  # every piece carries the newline
    parsed = 0
    fresh: list[_Piece] = []
    for chunk in window:
        key = (chunk.text, chunk.start_line, newline)
        piece = pieces.get(key)
        if piece is None:
            hit = cache.get(chunk.text)
            if hit is None and shared is not None:
                hit = shared.get(chunk.text)
            if hit is None:
                hit = parse_chunk(chunk.text, items if editing or previous is not None else None)
                parsed += 1
                if shared is not None:
                    shared[chunk.text] = hit
            cache[chunk.text] = hit
            piece = _piece(path, hit, chunk.start_line, newline)
            pieces[key] = piece
        fresh.append(piece)
    if previous is not None and head + tail:
        kept = previous.chunk_pieces
        chunk_pieces = (*kept[:head], *fresh, *kept[len(kept) - tail :])
    else:
        chunk_pieces = tuple(fresh)
    if len(cache) > len(chunks) + _PIECES_SLACK:
        # Keep what this text is made of; older entries (undo, retyping) go first.
        cache = {c.text: cache[c.text] for c in chunks if c.text in cache}
    if len(pieces) > len(chunks) + _PIECES_SLACK:
        pieces = {
            (c.text, c.start_line, newline): p for c, p in zip(chunks, chunk_pieces, strict=True)
        }
    template = assemble(path, text, chunks, chunk_pieces, newline)
    return TerraformParse(template, cache, parsed, len(chunks), shape, items, pieces, chunk_pieces)


def _unchanged_ends(old: Sequence[Chunk], new: Sequence[Chunk]) -> tuple[int, int]:
    """How many chunks at the start and at the end of ``new`` are those of ``old``."""
    shortest = min(len(old), len(new))
    head = 0
    while head < shortest and old[head] is new[head]:
        head += 1
    tail = 0
    while tail < shortest - head and old[-1 - tail] is new[-1 - tail]:
        tail += 1
    return head, tail


def parse_chunk(text: str, items: ItemCache | None = None) -> ParsedChunk:
    """What ``text`` (one chunk) parses to; with ``items``, a big block is parsed item by
    item, reusing the items parsed before (see ``hcl_items``)."""
    if items is not None and text.count("\n") >= BIG_LINES:
        try:
            block = parse_big_block(text, items)
        except RecursionError:  # big blocks nested hundreds deep: the whole parse says so
            block = None
        if block is not None:
            return ParsedChunk((block,))
    from iacperf.server.parsing import hcl_lark

    source = hcl_lark.prepare(text)
    try:
        tree = hcl_lark.parse_tree(source)
    except Exception as error:  # noqa: BLE001 - any parser failure is a syntax error
        return ParsedChunk((), hcl_lark.describe_error(error, source))
    from iacperf.server.parsing.hcl_convert import Converter

    converter = Converter(source)
    body = tree.children[0]
    return ParsedChunk(tuple(converter.entries(body)))


def assemble(
    path: str, text: str, chunks: Sequence[Chunk], pieces: Sequence[_Piece], newline: str
) -> Template:
    """The template made of ``pieces`` (one per chunk of ``chunks``)."""
    # map/attrgetter/chain run in C: a keystroke re-assembles thousands of pieces.
    resources: tuple[Resource, ...] = tuple(chain.from_iterable(map(_RESOURCES, pieces)))
    indent_unit = next((piece.indent for piece in pieces if piece.indent), 0)
    unit = indent_unit if 0 < indent_unit <= 8 else 2
    if unit != 2:
        resources = tuple(replace(r, indent_unit=unit) for r in resources)
    return Template(
        path=path,
        format=Format.TERRAFORM,
        syntax=Syntax.HCL,
        resources=resources,
        variables=tuple(chain.from_iterable(map(_VARIABLES, pieces))),
        blocks=tuple(chain.from_iterable(map(_BLOCKS, pieces))),
        errors=tuple(filter(None, map(_ERROR, pieces))),
        newline=newline,
        indent_unit=unit,
        suppressions=hcl_suppressions(text, chunks),
    )


_RESOURCES = attrgetter("resources")
_VARIABLES = attrgetter("variables")
_BLOCKS = attrgetter("blocks")
_ERROR = attrgetter("error")


def _piece(path: str, parsed: ParsedChunk, offset: int, newline: str) -> _Piece:
    resources: list[Resource] = []
    variables: list[Variable] = []
    indent = 0
    for entry in parsed.blocks:
        if not entry.is_block:
            continue
        if entry.key == "resource" and len(entry.labels) == 2:
            assert isinstance(entry.value, MappingNode)
            if not indent and entry.value.indent:
                indent = entry.value.indent - entry.range.start.character
            resources.append(_resource(path, entry, offset, newline))
        elif entry.key == "variable" and len(entry.labels) == 1:
            assert isinstance(entry.value, MappingNode)
            variables.append(
                Variable(entry.labels[0], entry.range, entry.value.get("default"), offset)
            )
    error = parsed.error
    return _Piece(
        tuple(resources),
        tuple(variables),
        tuple(TopBlock(entry, offset) for entry in parsed.blocks),
        ParseError(error.message, error.range.shifted(offset)) if error is not None else None,
        indent,
    )


def _resource(path: str, entry: Entry, offset: int, newline: str) -> Resource:
    assert isinstance(entry.value, MappingNode)
    return Resource(
        format=Format.TERRAFORM,
        syntax=Syntax.HCL,
        kind=entry.labels[0],
        name=entry.labels[1],
        path=path,
        range=entry.range,
        header_range=entry.key_range,
        body=entry.value,
        node=entry.value,
        line_offset=offset,
        newline=newline,
    )
