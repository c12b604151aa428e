"""A bound on how deeply brackets nest, checked before a parser builds a tree.

The model is walked recursively (conversion, the resolver, rules), so text nested a few
hundred levels deep would end in a ``RecursionError`` far from the parser. Real
configuration nests a dozen levels; deeper text is reported as a syntax error instead.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_NESTING = 100

_NOT_BRACKETS = re.compile(r"[^\[\](){}]+")
_STEP = {"[": 1, "(": 1, "{": 1, "]": -1, ")": -1, "}": -1}


class TooDeeplyNestedError(ValueError):
    """Brackets nest deeper than ``MAX_NESTING``; ``line``/``column`` are 1-based."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(f"nested more than {MAX_NESTING} levels deep; not analysed")
        self.line, self.column = line, column


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Raise ``TooDeeplyNestedError`` at the first bracket past ``limit`` levels.

    Brackets in strings and comments count too: an over-estimate that real files never
    reach. Cheap for the common case: most text has fewer opening brackets than ``limit``.
    """
    if text.count("{") + text.count("[") + text.count("(") <= limit:
        return
    depths = accumulate(map(_STEP.__getitem__, _NOT_BRACKETS.sub("", text)))
    for index, depth in enumerate(depths):
        if depth > limit:
            offset = _offset_of_bracket(text, index)
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            raise TooDeeplyNestedError(line, column)


def _offset_of_bracket(text: str, index: int) -> int:
    """The string index of the ``index``-th bracket of ``text``."""
    for count, match in enumerate(re.finditer(r"[\[\](){}]", text)):
        if count == index:
            return match.start()
    return len(text)
