"""Re-scanning only around an edit (``relayout``) cuts the text exactly as a full scan.

Random edits, many of them with the characters that change the scanner's state (braces,
quotes, comment and heredoc openers, newlines, a new top-level header), are applied one
after another; after each, the incremental layout and the incremental parse must equal
the full ones.
"""

from __future__ import annotations

import random

import pytest

from iacperf.server.parsing.hcl_blocks import Layout, layout, relayout
from iacperf.server.parsing.terraform import parse_terraform

from .test_incremental import _file

PIECES = [
    "{",
    "}",
    '"',
    "\n",
    "#",
    "//",
    "/*",
    "*/",
    "${",
    "<<EOF\n",
    "EOF\n",
    '\nresource "aws_s3_bucket" "new" {\n',
    "\n}\n",
    "x",
    " ",
    "[",
    "]",
]


def _edit(rng: random.Random, text: str) -> str:
    if rng.random() < 0.2:  # a whole line removed or duplicated
        lines = text.split("\n")
        at = rng.randrange(len(lines))
        if rng.random() < 0.5:
            del lines[at]
        else:
            lines.insert(at, lines[rng.randrange(len(lines))])
        return "\n".join(lines)
    at = rng.randrange(len(text) + 1)
    if rng.random() < 0.4 and at < len(text):
        return text[:at] + text[at + rng.randint(1, 3) :]
    return text[:at] + rng.choice(PIECES) + text[at:]


def _same(incremental: Layout, full: Layout) -> None:
    assert incremental.chunks == full.chunks
    assert incremental.settled == full.settled
    assert "".join(chunk.text for chunk in incremental.chunks) == incremental.text


@pytest.mark.parametrize("seed", range(6))
def test_relayout_equals_a_full_scan_after_every_edit(seed: int) -> None:
    rng = random.Random(seed)
    text = _file(30)
    current = layout(text)
    for _ in range(150):
        text = _edit(rng, text)
        current = relayout(current, text)
        _same(current, layout(text))


def test_relayout_of_the_same_text_is_the_same_layout() -> None:
    text = _file(5)
    first = layout(text)
    assert relayout(first, text) is first


def test_relayout_reuses_the_chunks_after_the_edit() -> None:
    text = _file(50)
    first = layout(text)
    at = text.index('"v20"')
    edited = text[:at] + '"v20x"' + text[at + 5 :]
    again = relayout(first, edited)
    _same(again, layout(edited))
    pairs = zip(first.chunks, again.chunks, strict=True)
    changed = [i for i, (a, b) in enumerate(pairs) if a is not b]
    assert len(changed) == 1  # every other chunk is the very object of the first scan


@pytest.mark.parametrize("seed", range(3))
def test_incremental_parse_after_random_edits_equals_a_full_parse(seed: int) -> None:
    rng = random.Random(100 + seed)
    text = _file(12)
    parse = parse_terraform("main.tf", text)
    for _ in range(25):
        text = _edit(rng, text)
        parse = parse_terraform("main.tf", text, parse)
        assert parse.template == parse_terraform("main.tf", text).template


def test_a_heredoc_opener_inside_an_unclosed_string_still_counts_its_line() -> None:
    text = 'a = "unclosed <<EOF\nresource "aws_s3_bucket" "b" {\n}\n'
    chunks = layout(text).chunks
    assert [(c.start_line, c.text) for c in chunks] == [
        (0, 'a = "unclosed <<EOF\n'),
        (1, 'resource "aws_s3_bucket" "b" {\n}\n'),
    ]
