"""Block-by-block Terraform parsing: the splitter, and re-parsing only what changed.

An incremental parse must give the very model a full parse of the same text gives
(resources, absolute ranges, values, errors); it may only be cheaper.
"""

from __future__ import annotations

import random

import pytest

from iacperf.rules.model import ScalarNode, Template
from iacperf.server.parsing.hcl_blocks import Chunk, split_blocks
from iacperf.server.parsing.terraform import ParsedChunk, TerraformParse, parse_terraform

from .support import R

BLOCKS = 300


def _block(index: int) -> str:
    """One resource of a few shapes: nested blocks, heredocs, lists, comments."""
    shape = index % 4
    if shape == 0:
        return (
            f'resource "aws_ebs_volume" "v{index}" {{\n'
            f'  availability_zone = "eu-west-1a"\n'
            f"  size              = {index + 1}\n"
            f'  type              = "gp2"\n'
            f"}}\n"
        )
    if shape == 1:
        return (
            f"# instance {index} {{ not a brace }}\n"
            f'resource "aws_instance" "i{index}" {{\n'
            f'  instance_type = "m5.large"\n'
            f"  root_block_device {{\n"
            f'    volume_type = "gp2"\n'
            f"  }}\n"
            f"  user_data = <<EOF\n"
            f"}} not the end {index}\n"
            f"EOF\n"
            f"}}\n"
        )
    if shape == 2:
        return (
            f'resource "aws_security_group" "s{index}" {{\n'
            f'  name = "sg-{index} ${{var.env}} {{"\n'
            f"  ingress {{\n"
            f'    cidr_blocks = ["10.0.0.0/8", "{index}.0.0.0/8"] // }} brace\n'
            f"  }}\n"
            f"}}\n"
        )
    return (
        f"/* block {index} {{ */\n"
        f'resource "aws_s3_bucket" "b{index}" {{\n'
        f'  bucket = "b-{index}"\n'
        f'  tags   = {{ Name = "Zürich {index} ☃" }}\n'
        f"}}\n"
    )


def _file(blocks: int = BLOCKS) -> str:
    return 'variable "env" {\n  default = "prod"\n}\n\n' + "\n".join(
        _block(i) for i in range(blocks)
    )


def _full(text: str) -> TerraformParse:
    return parse_terraform("main.tf", text)


def _same_model(incremental: Template, full: Template) -> None:
    assert incremental.resources == full.resources
    assert incremental.variables == full.variables
    assert incremental.blocks == full.blocks
    assert incremental.errors == full.errors
    assert incremental == full


@pytest.fixture(scope="module")
def original() -> tuple[str, TerraformParse]:
    text = _file()
    parsed = _full(text)
    assert not parsed.template.errors
    assert len(parsed.template.resources) == BLOCKS
    return text, parsed


def _resource_line(text: str, name: str) -> int:
    for number, line in enumerate(text.split("\n")):
        if line.endswith(f'"{name}" {{'):
            return number
    raise AssertionError(name)


def test_unchanged_text_parses_nothing(original: tuple[str, TerraformParse]) -> None:
    text, first = original
    again = parse_terraform("main.tf", text, first)
    assert again.parsed_chunks == 0
    assert again.chunk_count == first.chunk_count == BLOCKS + 1
    _same_model(again.template, first.template)


def test_edit_inside_one_block_reparses_only_it(original: tuple[str, TerraformParse]) -> None:
    text, first = original
    line = _resource_line(text, "v100") + 3
    lines = text.split("\n")
    assert lines[line] == '  type              = "gp2"'
    lines[line] = '  type              = "gp3"'
    edited = "\n".join(lines)
    incremental = parse_terraform("main.tf", edited, first)
    assert incremental.parsed_chunks == 1
    _same_model(incremental.template, _full(edited).template)
    changed = [
        (old, new)
        for old, new in zip(first.template.resources, incremental.template.resources, strict=True)
        if old != new
    ]
    assert [new.name for _, new in changed] == ["v100"]
    kind = changed[0][1].get("type")
    assert kind is not None and isinstance(kind.value, ScalarNode)
    assert kind.value.value == "gp3"
    assert changed[0][1].absolute(kind.value.range) == R(line, 22, line, 27)
    # The other blocks are the very objects of the previous parse.
    for old, new in zip(first.template.resources, incremental.template.resources, strict=True):
        if new.name != "v100":
            assert new.body is old.body


@pytest.mark.parametrize("shift", [3, -3], ids=["add-lines", "remove-lines"])
def test_edits_that_shift_later_blocks(original: tuple[str, TerraformParse], shift: int) -> None:
    text, first = original
    start = _resource_line(text, "i101")
    lines = text.split("\n")
    if shift > 0:
        lines[start + 1 : start + 1] = [f"  # note {n}" for n in range(shift)]
    else:
        removed = ["  root_block_device {", '    volume_type = "gp2"', "  }"]
        assert lines[start + 2 : start + 5] == removed
        del lines[start + 2 : start + 5]
    edited = "\n".join(lines)
    incremental = parse_terraform("main.tf", edited, first)
    assert incremental.parsed_chunks == 1
    _same_model(incremental.template, _full(edited).template)
    before = {r.name: r for r in first.template.resources}
    for resource in incremental.template.resources:
        old = before[resource.name]
        index = int(resource.name[1:])
        moved = shift if index > 101 else 0
        assert resource.line_offset == old.line_offset + moved, resource.name
        header = resource.absolute(resource.header_range)
        assert header == old.absolute(old.header_range).shifted(moved), resource.name


def test_a_broken_block_costs_only_its_own_resources(
    original: tuple[str, TerraformParse],
) -> None:
    text, first = original
    line = _resource_line(text, "s150") + 1
    lines = text.split("\n")
    lines[line] = lines[line].replace("name = ", "name = = ")
    edited = "\n".join(lines)
    incremental = parse_terraform("main.tf", edited, first)
    assert incremental.parsed_chunks == 1
    _same_model(incremental.template, _full(edited).template)
    (error,) = incremental.template.errors
    assert error.range.start.line == line
    names = [r.name for r in incremental.template.resources]
    assert len(names) == BLOCKS - 1 and "s150" not in names


def test_an_unclosed_block_loses_only_itself(original: tuple[str, TerraformParse]) -> None:
    text, first = original
    start = _resource_line(text, "v200")
    lines = text.split("\n")
    assert lines[start + 4] == "}"
    del lines[start + 4]  # the closing brace of v200
    edited = "\n".join(lines)
    incremental = parse_terraform("main.tf", edited, first)
    assert incremental.parsed_chunks == 1
    _same_model(incremental.template, _full(edited).template)
    (error,) = incremental.template.errors
    assert start <= error.range.start.line <= start + 5
    names = [r.name for r in incremental.template.resources]
    assert len(names) == BLOCKS - 1 and "v200" not in names
    after = next(r for r in incremental.template.resources if r.name == "i201")
    # Its chunk starts, as before, with the blank line and the comment above it.
    assert after.line_offset == _resource_line(edited, "i201") - 2


# ---------------------------------------------------------------------------
# The splitter


def _split(text: str) -> list[tuple[int, str]]:
    chunks = split_blocks(text)
    assert "".join(chunk.text for chunk in chunks) == text
    line = 0
    for chunk in chunks:  # consecutive and whole-line
        assert chunk.start_line == line
        line += chunk.text.count("\n")
    return [(chunk.start_line, chunk.text) for chunk in chunks]


def test_chunks_cover_the_generated_file_exactly() -> None:
    text = _file(40)
    chunks = split_blocks(text)
    assert "".join(chunk.text for chunk in chunks) == text
    assert len(chunks) == 41
    # Blank and comment lines (both styles) lead into the item below them.
    assert chunks[1].text.startswith('\nresource "aws_ebs_volume" "v0" {')
    assert chunks[2].text.startswith('\n# instance 1 { not a brace }\nresource "aws_instance"')
    assert chunks[4].text.startswith('\n/* block 3 { */\nresource "aws_s3_bucket" "b3" {')


def test_top_level_items_and_trivia() -> None:
    text = '# leading comment\n\na = "x"\nb = [\n  1,\n]\n\n// trailing comment'
    assert _split(text) == [
        (0, '# leading comment\n\na = "x"\n'),
        (3, "b = [\n  1,\n]\n"),
        (6, "\n// trailing comment"),
    ]
    assert _split("") == []
    assert _split("\n\n") == [(0, "\n\n")]
    block_comments = "/* header\n   comment */\na = 1\nb = 2 /* trailing */\n/* c */ c = 3\n"
    assert _split(block_comments) == [
        (0, "/* header\n   comment */\na = 1\n"),
        (3, "b = 2 /* trailing */\n"),
        (4, "/* c */ c = 3\n"),
    ]


def test_braces_in_strings_interpolations_and_comments() -> None:
    text = (
        'resource "a_b" "c" {\n'
        '  s = "}{ \\" }"\n'
        '  t = "${merge(var.m, { k = "}" })} %{ if true }{%{ endif }"\n'
        "  # }\n"
        "  // }\n"
        "  /* }\n"
        "  } */\n"
        "}\n"
        'resource "a_b" "d" {}\n'
    )
    assert _split(text) == [(0, "".join(text.splitlines(True)[:8])), (8, text.splitlines(True)[8])]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_heredocs_hide_braces_and_markers(nl: str) -> None:
    lines = [
        'resource "a_b" "c" {',
        "  a = <<EOF",
        "}",
        '"',
        'resource "x" "y" {',  # inside a heredoc: not a new block
        "EOF",
        "  b = <<-EOT",
        "    {",
        "    EOT  ",  # blanks after the marker still close it
        "}",
        'resource "a_b" "d" {}',
        "",
    ]
    text = nl.join(lines)
    first = nl.join(lines[:10]) + nl
    assert _split(text) == [(0, first), (10, 'resource "a_b" "d" {}' + nl)]


def test_an_unclosed_block_ends_at_the_next_top_level_block() -> None:
    text = (
        'resource "a_b" "c" {\n'
        '  name = "never closed\n'
        "  list = [1,\n"
        "\n"
        "# the next one\n"
        'resource "a_b" "d" {\n'
        "}\n"
    )
    # The blank and comment lines above the next block go with it, as they would if
    # the broken block were closed, so that block's text (its cache key) is unchanged.
    assert _split(text) == [
        (0, 'resource "a_b" "c" {\n  name = "never closed\n  list = [1,\n'),
        (3, '\n# the next one\nresource "a_b" "d" {\n}\n'),
    ]
    assert Chunk(0, "a\nb\n").line_count == 2 and Chunk(0, "a\nb").line_count == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_random_edits_give_the_full_parse(newline: str) -> None:
    """Typing, deleting, new lines, line ends of the other kind, broken braces and whole
    new resources, one after the other on the same parse: each incremental parse (which
    keeps the pieces of the chunks an edit did not touch) equals a parse from scratch."""
    rng = random.Random(20261127)
    text = _file(60).replace("\n", newline)
    parse = parse_terraform("main.tf", text, editing=True)
    insertions = ["a", " ", '"', "{", "}", "=", "\n", "\r\n", "\r", "#", newline]
    new_resource = f'resource "aws_instance" "z" {{{newline}  instance_type = "m4.large"{newline}}}'
    for _ in range(150):
        at = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.5:
            text = text[:at] + rng.choice(insertions) + text[at:]
        elif roll < 0.85:
            text = text[:at] + text[at + rng.randrange(1, 6) :]
        else:
            text = text[:at] + new_resource + newline + text[at:]
        parse = parse_terraform("main.tf", text, parse, editing=True)
        _same_model(parse.template, parse_terraform("main.tf", text, editing=True).template)


def test_blocks_shared_between_files_parse_once_and_land_in_each_file() -> None:
    volume = 'resource "aws_ebs_volume" "data" {\n  size = 10\n  type = "gp2"\n}\n'
    shared: dict[str, ParsedChunk] = {}
    first = parse_terraform("a/main.tf", volume, shared=shared)
    second = parse_terraform("b/main.tf", "locals {\n  x = 1\n}\n" + volume, shared=shared)
    assert (first.parsed_chunks, second.parsed_chunks) == (1, 1)  # only the locals block
    alone = parse_terraform("b/main.tf", "locals {\n  x = 1\n}\n" + volume)
    _same_model(second.template, alone.template)
    (resource,) = second.template.resources
    assert resource.path == "b/main.tf"
    kind = resource.get("type")
    assert kind is not None
    assert resource.absolute(kind.value.range) == R(5, 9, 5, 14)
    # A different file with a block of the same text but a syntax error is not mixed up.
    broken = parse_terraform("c/main.tf", volume.replace("= 10", "= "), shared=shared)
    assert broken.parsed_chunks == 1 and broken.template.errors
