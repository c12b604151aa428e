"""The one place that calls python-hcl2's Lark parser, and turns its errors into text."""

from __future__ import annotations

import functools
import re
from typing import Any

from iacperf.rules.model import ParseError, Position, SourceRange
from iacperf.server.parsing.nesting import check_nesting

_HEREDOC_OPEN = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n")


def prepare(text: str) -> str:
    """``text`` as python-hcl2 must see it to read it as Terraform does.

    Terraform ends a heredoc on a marker line with trailing blanks (``EOF  ``); python-hcl2
    does not, and fails on the whole block. The blanks end their line, so removing them
    moves no other token.
    """
    if "<<" not in text:
        return text
    pieces: list[str] = []
    done = 0
    opener = _HEREDOC_OPEN.search(text)
    while opener is not None:
        marker = re.escape(opener.group(1))
        closing = re.compile(rf"^[ \t]*{marker}([ \t]*)\r?$", re.MULTILINE)
        found = closing.search(text, opener.end())
        if found is None:
            break
        if found.group(1):
            pieces.append(text[done : found.start(1)])
            done = found.end(1)
        opener = _HEREDOC_OPEN.search(text, found.end())
    return "".join(pieces) + text[done:] if pieces else text


def parse_tree(text: str) -> Any:
    """The raw Lark tree of ``text``; raises on a syntax error.

    Its trees carry no positions (``hcl_convert.first_token`` and ``last_token`` give
    them); its tokens do.
    """
    check_nesting(text)  # deeper text would overflow the recursive walks of the model
    # python-hcl2 adds the newline too: its grammar cannot end a statement at the end.
    return _parser().parse(text + "\n")


@functools.cache
def _parser() -> Any:
    """python-hcl2's parser, loaded from python-hcl2's own grammar cache, with Lark's
    position propagation taken off its tree building.

    Propagation halved the parse's speed (1.06 s against 0.54 s for the 77 files of
    terraform-aws-vpc). Every terminal of python-hcl2's grammar is kept in the tree, even
    the brackets, so a tree starts at its first token and ends at its last: over the
    corpus's 2,001 parseable Terraform files that equals Lark's propagated position for
    every tree (``tests/parsing/test_hcl_lark.py``).
    """
    from hcl2 import parser as hcl2_parser
    from hcl2.postlexer import PostLexer
    from lark import Lark
    from lark.parse_tree_builder import PropagatePositions

    # The options and their order are python-hcl2's own: Lark keys its cache file on them,
    # so any other set would rebuild the grammar (about 2 s) and overwrite that file.
    parser = Lark.open(
        "hcl2.lark",
        rel_to=hcl2_parser.__file__,
        parser="lalr",
        cache=str(hcl2_parser.PARSER_FILE),
        propagate_positions=True,
        postlex=PostLexer(),
    )
    callbacks = parser._callbacks  # the very dict its LALR parser calls
    for rule, callback in callbacks.items():
        if isinstance(callback, PropagatePositions):
            callbacks[rule] = callback.node_builder
    return parser


def warm_up() -> None:
    """Build the grammar now (seconds without its cache file) rather than on first use."""
    parse_tree("a = 1\n")


def describe_error(error: Exception, text: str) -> ParseError:
    """A short reason and a 0-based position, relative to ``text``."""
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    if not isinstance(line, int) or line < 1:
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    if not isinstance(column, int) or column < 1:
        column = 1
    token = getattr(error, "token", None)
    char = getattr(error, "char", None)
    name = type(error).__name__
    if token is not None and getattr(token, "type", "") == "$END":
        reason = "unexpected end of block (unclosed brace, bracket or string?)"
    elif token is not None:
        first_line = str(token).lstrip(" \t").split("\n")[0].strip()
        reason = f"unexpected {first_line[:40]!r}" if first_line else "unexpected end of line"
    elif char is not None:
        reason = f"unexpected character {char!r}"
    else:
        reason = str(error).splitlines()[0][:120] if str(error) else name
    # python-hcl2 parses text + "\n": an error on that extra line is the end of the text.
    last_line = text.count("\n")
    if line - 1 > last_line:
        line, column = last_line + 1, 1
    position = Position(line - 1, column - 1)
    return ParseError(f"Terraform syntax error: {reason}", SourceRange(position, position))
