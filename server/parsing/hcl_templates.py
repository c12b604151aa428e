"""Terraform template text (``"${var.a}-x"``, heredocs, ``.tf.json`` strings): does it
interpolate, and which names does it reference.

python-hcl2 keeps a heredoc as one token and Terraform JSON keeps templates in plain
strings, so their references are found in the text rather than in a syntax tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: First names of a traversal that refers to something (resources have a "_" in their type).
REFERENCE_ROOTS = ("var", "local", "module", "data", "each", "count", "path", "self")

_TEMPLATE_OPEN = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")  # "$${" and "%%{" are escapes
_TRAVERSAL = re.compile(r"(?<![\w.-])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+")


def is_reference_root(name: str) -> bool:
    return name in REFERENCE_ROOTS or "_" in name


def interpolates(text: str) -> bool:
    """True when ``text`` has a ``${...}`` interpolation or a ``%{...}`` directive."""
    return _TEMPLATE_OPEN.search(text) is not None


def template_references(text: str) -> Iterator[str]:
    """References inside the interpolations and directives of ``text``, named as the
    HCL converter names them: each dotted chain, then its shorter prefixes."""
    for opening in _TEMPLATE_OPEN.finditer(text):
        depth, end = 1, opening.end()
        while depth and end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        for found in _TRAVERSAL.finditer(text, opening.end(), end):
            chain = found.group().split(".")
            if is_reference_root(chain[0]):
                for length in range(len(chain), 1, -1):
                    yield ".".join(chain[:length])
