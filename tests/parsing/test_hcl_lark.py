"""The Terraform parser without Lark's position propagation gives the positions Lark would.

``hcl_lark`` takes propagation off python-hcl2's parser and reads a tree's range from its
first and last token. For every tree of every Terraform file of the repository (the rule
fixtures, ``examples/``) and of a sample of ../shared/corpus when present, that range must
be the one python-hcl2's own parser propagates, and the trees and tokens must be the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree

from iacperf.server.parsing.hcl_convert import first_token, last_token
from iacperf.server.parsing.hcl_lark import parse_tree, prepare

ROOT = Path(__file__).parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
#: Every n-th corpus file (all 2,001 that parse agreed when this was written; 40 s).
CORPUS_SAMPLE = 400


def _terraform_files() -> list[Path]:
    files = sorted(ROOT.glob("tests/rules/fixtures/**/*.tf")) + sorted(
        ROOT.glob("examples/**/*.tf")
    )
    if CORPUS.is_dir():
        corpus = sorted(CORPUS.glob("terraform/**/*.tf"))
        files += corpus[:: max(1, len(corpus) // CORPUS_SAMPLE)]
    return files


def _mismatches(stock: Any, ours: Any, where: list[str]) -> list[str]:
    """Where the two trees differ: shape, token or position."""
    if isinstance(stock, Tree):
        if not isinstance(ours, Tree) or stock.data != ours.data:
            return [f"{'/'.join(where)}: {stock.data} against {ours!r:.60}"]
        if len(stock.children) != len(ours.children):
            return [
                f"{'/'.join(where)}: {len(stock.children)} children against {len(ours.children)}"
            ]
        found: list[str] = []
        meta = stock.meta
        first, last = first_token(ours), last_token(ours)
        if meta.empty:
            if first is not None:
                found.append(f"{'/'.join(where)}: empty tree has token {first!r}")
        else:
            want = (meta.line, meta.column, meta.end_line, meta.end_column)
            got = (
                (first.line, first.column, last.end_line, last.end_column)
                if first is not None and last is not None
                else None
            )
            if got != want:
                found.append(f"{'/'.join(where)}: Lark says {want}, first/last token {got}")
        for index, (a, b) in enumerate(zip(stock.children, ours.children, strict=True)):
            found += _mismatches(a, b, [*where, f"{stock.data}[{index}]"])
        return found
    if isinstance(stock, Token):
        same = isinstance(ours, Token) and (
            stock.type,
            str(stock),
            stock.line,
            stock.column,
            stock.end_line,
            stock.end_column,
        ) == (ours.type, str(ours), ours.line, ours.column, ours.end_line, ours.end_column)
        return [] if same else [f"{'/'.join(where)}: token {stock!r} against {ours!r}"]
    return [] if stock == ours else [f"{'/'.join(where)}: {stock!r} against {ours!r}"]


def test_positions_equal_lark_propagation_on_every_file() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    stock_parser = hcl2.parser.parser()  # python-hcl2's own, propagating positions
    compared = 0
    failures: list[str] = []
    for path in _terraform_files():
        try:
            text = prepare(path.read_text(encoding="utf-8"))
            stock = stock_parser.parse(text + "\n")
        except Exception:  # noqa: BLE001 - python-hcl2 rejects it: nothing to compare
            continue
        compared += 1
        mismatches = _mismatches(stock, parse_tree(text), [])
        if mismatches:
            failures.append(f"{path}: {mismatches[:3]}")
    assert compared >= 50, compared  # the fixtures and examples alone hold more
    assert not failures, failures[:5]


def test_a_bracketed_value_spans_its_brackets() -> None:
    # The brackets are the tree's first and last tokens: the range must include them.
    tree = parse_tree('a = [\n  1, 2,\n]\nb = { x = "y" }\n')
    tuples = list(tree.find_data("tuple"))
    objects = list(tree.find_data("object"))
    assert len(tuples) == 1 and len(objects) == 1
    first, last = first_token(tuples[0]), last_token(tuples[0])
    assert first is not None and last is not None
    assert (first, first.line, first.column) == ("[", 1, 5)
    assert (last, last.end_line, last.end_column) == ("]", 3, 2)
    first, last = first_token(objects[0]), last_token(objects[0])
    assert first is not None and last is not None
    assert (first.line, first.column, last.end_line, last.end_column) == (4, 5, 4, 16)


def test_the_parser_loads_python_hcl2s_grammar_cache(tmp_path: Path) -> None:
    # Options other than python-hcl2's own would miss its cache file: every process would
    # rebuild the grammar (seconds) and overwrite the file python-hcl2 reads.
    cache = Path(hcl2.parser.PARSER_FILE)
    hcl2.parser.parser()  # makes sure the cache file exists
    before = cache.stat().st_mtime_ns
    script = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.DEBUG)\n"
        "import lark\n"  # it sets its logger's level when imported
        "logging.getLogger('lark').setLevel(logging.DEBUG)\n"
        "from iacperf.server.parsing.hcl_lark import parse_tree\n"
        "parse_tree('a = 1\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert f"Loading grammar from cache: {cache}" in done.stdout + done.stderr
    assert cache.stat().st_mtime_ns == before
