"""Terraform native syntax (``.tf``, ``.tfvars``): parsed block by block, cached by block text.

``parse_terraform(path, text, previous)`` is the API the language server uses: blocks
whose text did not change are taken from ``previous`` (ranges are relative to the
block, so only the line offset changes); only changed blocks go through python-hcl2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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
from iacperf.server.parsing.hcl_blocks import BIG_LINES, Chunk, Layout, layout, relayout
from iacperf.server.parsing.hcl_items import ItemCache, parse_big_block
from iacperf.server.parsing.suppression_comments import hcl_suppressions

_CACHE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class ParsedChunk:
    """What one chunk parsed to; every range is relative to the chunk's first line."""

    blocks: tuple[Entry, ...]
    error: ParseError | None = None


@dataclass
class TerraformParse:
    """A parsed file plus the block cache the next parse of the same file starts from."""

    template: Template
    cache: dict[str, ParsedChunk] = field(default_factory=dict, repr=False)
    #: How many chunks went through python-hcl2 in this parse (the rest came from cache).
    parsed_chunks: int = 0
    chunk_count: int = 0
    #: The text's chunks: the next parse re-scans only around its edit.
    layout: Layout | None = field(default=None, repr=False)
    #: The items of big blocks, parsed one by one (shared with the parses that follow).
    items: ItemCache = field(default_factory=ItemCache, repr=False)
    #: What each chunk added to the template, by (text, first line, newline): a keystroke
    #: rebuilds the resources of the chunks it touched only.
    pieces: dict[tuple[str, int, str], _Piece] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class _Piece:
    """What one chunk, at one place in the file, adds to the template."""

    resources: tuple[Resource, ...]
    variables: tuple[Variable, ...]
    blocks: tuple[TopBlock, ...]
    error: ParseError | None
    indent: int  # the indent unit its first indented resource shows; 0 when none


def parse_terraform(
    path: str, text: str, previous: TerraformParse | None = None, *, editing: bool = False
) -> TerraformParse:
    """Parse ``text``; reuse every block of ``previous`` whose text is unchanged.

    ``editing``: the text is open in an editor, so big blocks are parsed item by item
    from the first parse on, and the first keystroke in one is as cheap as the next. A
    one-off parse (the CLI) takes big blocks whole, which is a little faster once.
    """
    old_cache = previous.cache if previous is not None else {}
    cache: dict[str, ParsedChunk] = {}
    parsed = 0
    items = previous.items if previous is not None else ItemCache()
    old_layout = previous.layout if previous is not None else None
    shape = relayout(old_layout, text) if old_layout is not None else layout(text)
    chunks = shape.chunks
    for chunk in chunks:
        if chunk.text in cache:
            continue
        hit = old_cache.get(chunk.text)
        if hit is None:
            hit = parse_chunk(chunk.text, items if editing or previous is not None else None)
            parsed += 1
        cache[chunk.text] = hit
    if previous is not None and len(cache) < _CACHE_LIMIT:
        # Keep recently seen blocks too: undo and retyping hit the cache.
        for key, value in old_cache.items():
            if len(cache) >= _CACHE_LIMIT:
                break
            cache.setdefault(key, value)
    reuse = previous.pieces if previous is not None and previous.template.path == path else {}
    pieces: dict[tuple[str, int, str], _Piece] = {}
    template = assemble(path, text, chunks, cache, reuse, pieces)
    return TerraformParse(template, cache, parsed, len(chunks), shape, items, pieces)


def parse_chunk(text: str, items: ItemCache | None = None) -> ParsedChunk:
    """What ``text`` (one chunk) parses to; with ``items``, a big block is parsed item by
    item, reusing the items parsed before (see ``hcl_items``)."""
    if items is not None and text.count("\n") >= BIG_LINES:
        block = parse_big_block(text, items)
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
    path: str,
    text: str,
    chunks: Sequence[Chunk],
    cache: dict[str, ParsedChunk],
    reuse: Mapping[tuple[str, int, str], _Piece] | None = None,
    pieces: dict[tuple[str, int, str], _Piece] | None = None,
) -> Template:
    """The template of ``chunks``; ``reuse`` holds pieces built before, ``pieces`` (when
    given) receives every piece this template is made of."""
    newline = "\r\n" if "\r\n" in text else "\n"
    resources: list[Resource] = []
    variables: list[Variable] = []
    blocks: list[TopBlock] = []
    errors: list[ParseError] = []
    indent_unit = 0
    for chunk in chunks:
        key = (chunk.text, chunk.start_line, newline)
        piece = reuse.get(key) if reuse else None
        if piece is None:
            piece = _piece(path, cache[chunk.text], chunk.start_line, newline)
        if pieces is not None:
            pieces[key] = piece
        if piece.error is not None:
            errors.append(piece.error)
        blocks.extend(piece.blocks)
        resources.extend(piece.resources)
        variables.extend(piece.variables)
        indent_unit = indent_unit or piece.indent
    unit = indent_unit if 0 < indent_unit <= 8 else 2
    if unit != 2:
        resources = [replace(r, indent_unit=unit) for r in resources]
    return Template(
        path=path,
        format=Format.TERRAFORM,
        syntax=Syntax.HCL,
        resources=tuple(resources),
        variables=tuple(variables),
        blocks=tuple(blocks),
        errors=tuple(errors),
        newline=newline,
        indent_unit=unit,
        suppressions=hcl_suppressions(text, chunks),
    )


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
