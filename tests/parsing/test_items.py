"""Big Terraform blocks parsed item by item give exactly python-hcl2's whole-block parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacperf.server.parsing.hcl_blocks import BIG_LINES, split_blocks
from iacperf.server.parsing.hcl_items import ItemCache, parse_big_block
from iacperf.server.parsing.terraform import parse_chunk, parse_terraform

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _module_block(attributes: int) -> str:
    """A big ``module`` call of the shapes that make whole-block parsing slow."""
    lines = ["# the wrapper", 'module "wrapper" {', '  source = "../../"', ""]
    for index in range(attributes):
        if index % 5 == 0:
            lines += [
                f"  # item {index} {{ not a brace }}",
                f"  tags_{index} = merge(var.tags, {{",
                f'    Name = "n-{index}"',
                "  })",
            ]
        elif index % 5 == 1:
            lines += [f"  dynamic \"rule_{index}\" {{", "    for_each = var.rules", "    content {",
                      "      value = rule.value", "    }", "  }"]  # fmt: skip
        elif index % 5 == 2:
            lines += [f"  script_{index} = <<-EOT", "    echo } {", "  EOT"]
        elif index % 5 == 3:
            lines += [f"  enabled_{index} = var.a && var.b", ""]
        else:
            lines += [f'  name_{index} = try(each.value.name, "x-{index}") // comment']
    lines += ["}", ""]
    return "\n".join(lines)


BIG = _module_block(40)


def _type_variable(fields: int) -> str:
    """A ``variable`` whose ``type`` is hundreds of lines, as in terraform-aws-eks."""
    lines = ['variable "groups" {', '  description = "Node groups"', "  type = map(object({"]
    for index in range(fields):
        if index % 10 == 3:
            lines += [f"    nested_{index} = optional(object({{"]
            lines += [f"      inner_{i} = optional(string)" for i in range(45)]
            lines += ["    }))"]
        elif index % 10 == 5:
            lines += ["", f"    # group {index}"]
        lines += [f"    field_{index} = optional(list(string), [])"]
    lines += ["  }))", "  default = {", '    a = "x"']
    lines += [f"    key_{index} = var.value_{index}" for index in range(45)]
    lines += ["    # last", "  }", "  list = [", *[f'    "{i}", local.l_{i},' for i in range(45)]]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


TYPE_VARIABLE = _type_variable(60)


def test_a_big_block_equals_its_whole_parse() -> None:
    assert BIG.count("\n") >= BIG_LINES
    block = parse_big_block(BIG, ItemCache())
    assert block is not None
    assert (block,) == parse_chunk(BIG).blocks


def test_big_attribute_values_equal_their_whole_parse() -> None:
    """A huge ``type`` (an expression: its references count), a big object and a big
    tuple (their elements count)."""
    cache = ItemCache()
    block = parse_big_block(TYPE_VARIABLE, cache)
    assert block is not None
    assert (block,) == parse_chunk(TYPE_VARIABLE).blocks
    assert len(cache.values) > 100, "the values were parsed element by element"


def test_an_edit_in_a_big_attribute_parses_one_element() -> None:
    first = parse_terraform("variables.tf", TYPE_VARIABLE, editing=True)
    before = len(first.items.values.elements)
    edited = TYPE_VARIABLE.replace("inner_7 = optional(string)", "inner_7 = optional(number)", 1)
    second = parse_terraform("variables.tf", edited, first)
    assert second.template == parse_terraform("variables.tf", edited).template
    assert len(second.items.values.elements) <= before + 2  # the element, its nested one


def test_crlf_and_tabs() -> None:
    text = BIG.replace("  ", "\t").replace("\n", "\r\n")
    block = parse_big_block(text, ItemCache())
    assert block is not None
    assert (block,) == parse_chunk(text).blocks


@pytest.mark.parametrize(
    "text",
    [
        BIG.replace('module "wrapper" {', 'module "wrapper" { # why'),
        BIG.replace("# the wrapper", "/* the wrapper */"),
        BIG.rstrip("\n") + " # end\n",
        BIG.replace('module "wrapper" {\n', 'module "wrapper" { source = "x"\n'),
    ],
    ids=["comment-after-brace", "block-comment-above", "comment-after-close", "code-after-brace"],
)
def test_unusual_shapes_are_left_to_the_whole_parse(text: str) -> None:
    assert parse_big_block(text, ItemCache()) is None


def test_an_item_that_does_not_parse_gives_the_whole_parse_error() -> None:
    broken = BIG.replace('  source = "../../"', '  source = "../../" +')
    assert parse_big_block(broken, ItemCache()) is None
    first = parse_terraform("main.tf", BIG)
    again = parse_terraform("main.tf", broken, first)
    assert again.template.errors
    assert again.template.errors == parse_terraform("main.tf", broken).template.errors


def test_an_edit_in_a_big_block_parses_one_item() -> None:
    text = "\n".join(['resource "aws_s3_bucket" "b" {', '  bucket = "b"', "}", "", BIG])
    first = parse_terraform("main.tf", text)
    # The first edit of a big block parses all of its items once ...
    edited = text.replace('"n-10"', '"n-1x"')
    second = parse_terraform("main.tf", edited, first)
    assert second.template == parse_terraform("main.tf", edited).template
    known = len(second.items.parsed)
    # ... after that, an edit parses only the item it is in.
    again = edited.replace('"x-14"', '"x-1y"')
    third = parse_terraform("main.tf", again, second)
    assert third.parsed_chunks == 1
    assert len(third.items.parsed) == known + 1
    assert third.template == parse_terraform("main.tf", again).template


def test_an_added_line_moves_the_items_below_it() -> None:
    first = parse_terraform("main.tf", BIG)
    warm = parse_terraform("main.tf", BIG.replace('"n-10"', '"n-1x"'), first)
    grown = BIG.replace('"n-10"\n', '"n-1x"\n    Extra = "e"\n')
    parse = parse_terraform("main.tf", grown, warm)
    assert parse.template == parse_terraform("main.tf", grown).template


def _big_corpus_blocks() -> list[tuple[str, int, str]]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*.tf")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for chunk in split_blocks(text):
            if chunk.text.count("\n") >= BIG_LINES:
                found.append((str(path.relative_to(CORPUS)), chunk.start_line, chunk.text))
    # Every fourth (about 125 blocks), and every block of 200 lines or more.
    return [b for i, b in enumerate(found) if i % 4 == 0 or b[2].count("\n") >= 200]


BLOCKS = _big_corpus_blocks()


@pytest.mark.skipif(not BLOCKS, reason="../shared/corpus is not there")
def test_big_corpus_blocks_equal_their_whole_parse() -> None:
    """By items, down to big nested blocks and element-wise values."""
    differ, items = [], 0
    for name, line, text in BLOCKS:
        whole = parse_chunk(text)
        block = parse_big_block(text, ItemCache())
        if block is None:
            continue
        items += 1
        if whole.error is not None or (block,) != whole.blocks:
            differ.append(f"{name}:{line + 1}")
    assert differ == []
    assert items >= len(BLOCKS) * 9 // 10, "almost every big block should parse by items"
