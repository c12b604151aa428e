"""Random single-character edits inside resource blocks that keep the file parseable.

An edit inserts a letter inside a string value or a space between tokens, or deletes a
character an earlier edit inserted (at random, not the last one: a text seen before would
hit the server's block cache and flatter the numbers). Lines are never added or removed,
so the resource regions found at the start stay valid.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_TF_RESOURCE = re.compile(r'resource\s+"')
_TF_ANY_BLOCK = re.compile(r'[a-z_]+(?:\s+"[^"]*")*\s*\{\s*$')
_HEREDOC = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\s*$")
_TF_STRING = re.compile(r'"[^"\\$%]*"')
_JSON_STRING = re.compile(r'"[^"\\]*"')
_YAML_PLAIN = re.compile(r"^\s*(?:- )?(?:[A-Za-z0-9_.:/-]+:[ ]+)?([A-Za-z0-9][^#\n]*?)\s*$")
_YAML_QUOTED = re.compile(r"""'[^'\n]*'|"[^"\\\n]*\"""")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Edit:
    """Replace ``[character, end)`` of ``line`` with ``text`` (code points)."""

    line: int
    character: int
    end: int
    text: str


def resource_lines(kind: str, lines: list[str]) -> list[int]:
    """Indexes of the lines inside resource blocks (outside heredocs for Terraform)."""
    if kind == "terraform":
        # A file of variables or outputs only: its blocks stand in for resources.
        return _terraform_lines(lines, _TF_RESOURCE) or _terraform_lines(lines, _TF_ANY_BLOCK)
    if kind == "yaml":
        return _yaml_lines(lines)
    return _json_lines(lines)


def _terraform_lines(lines: list[str], header: re.Pattern[str]) -> list[int]:
    inside, heredoc, found = False, None, []
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if heredoc is not None:
            if body.strip() == heredoc:
                heredoc = None
            continue
        if not inside:
            inside = header.match(body) is not None
            continue
        if body.startswith("}"):
            inside = False
            continue
        opener = _HEREDOC.search(body)
        if opener is not None:
            heredoc = opener.group(1)
        if body.strip() and not body.lstrip().startswith(("#", "//")):
            found.append(index)
    return found


def _yaml_lines(lines: list[str]) -> list[int]:
    indent: int | None = None  # of the "Resources:" key (some templates indent everything)
    found = []
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        stripped = body.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(body) - len(stripped)
        if indent is not None and depth <= indent:
            break
        if indent is not None:
            found.append(index)
        elif re.match(r"Resources:\s*(#.*)?$", stripped):
            indent = depth
    return found


def _json_lines(lines: list[str]) -> list[int]:
    start, indent = None, 0
    for index, line in enumerate(lines):
        match = re.match(r'(\s*)"Resources"\s*:\s*\{\s*$', line)
        if match:
            start, indent = index, len(match.group(1))
            break
    if start is None:
        return [i for i, line in enumerate(lines) if line.strip()]
    found = []
    for index in range(start + 1, len(lines)):
        body = lines[index].rstrip("\r\n")
        stripped = body.lstrip()
        if stripped.startswith("}") and len(body) - len(stripped) <= indent:
            break
        if stripped:
            found.append(index)
    return found


class EditStream:
    """Deterministic edits for one document; ``apply`` keeps the client's copy in step."""

    def __init__(self, kind: str, text: str, seed: int) -> None:
        self.kind = kind
        self.lines = text.splitlines(keepends=True)
        self.rng = random.Random(seed)
        self.eligible = resource_lines(kind, self.lines)
        if not self.eligible:
            raise ValueError("no line inside a resource block to edit")
        self.inserted: list[list[int]] = []  # [line, character] of characters we added

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def next(self) -> Edit:
        if self.inserted and self.rng.random() < 0.5:
            line, character = self.inserted.pop(self.rng.randrange(len(self.inserted)))
            return Edit(line, character, character + 1, "")
        for _ in range(50):
            line = self.rng.choice(self.eligible)
            spot = self._spot(line)
            if spot is not None:
                return Edit(line, spot[0], spot[0], spot[1])
        line = self.rng.choice(self.eligible)  # nothing clever found: a trailing space
        return Edit(line, self._line_length(line), self._line_length(line), " ")

    def apply(self, edit: Edit) -> None:
        body = self.lines[edit.line]
        self.lines[edit.line] = body[: edit.character] + edit.text + body[edit.end :]
        delta = len(edit.text) - (edit.end - edit.character)
        for mark in self.inserted:
            if mark[0] == edit.line and mark[1] >= edit.end:
                mark[1] += delta
        if edit.text:
            self.inserted.append([edit.line, edit.character])

    def _line_length(self, line: int) -> int:
        return len(self.lines[line].rstrip("\r\n"))

    def _spot(self, line: int) -> tuple[int, str] | None:
        body = self.lines[line].rstrip("\r\n")
        letter = self.rng.choice(_LETTERS)
        want_string = self.rng.random() < 0.7
        if self.kind == "yaml":
            return self._yaml_spot(body, letter, want_string)
        strings = list((_TF_STRING if self.kind == "terraform" else _JSON_STRING).finditer(body))
        if want_string and strings:
            match = self.rng.choice(strings)
            return self.rng.randint(match.start() + 1, match.end() - 1), letter
        indent = len(body) - len(body.lstrip(" \t"))
        return indent, " "  # a space before the first token moves nothing that matters

    def _yaml_spot(self, body: str, letter: str, want_string: bool) -> tuple[int, str] | None:
        if want_string:
            quoted = list(_YAML_QUOTED.finditer(body))
            if quoted and self.rng.random() < 0.5:
                match = self.rng.choice(quoted)
                return self.rng.randint(match.start() + 1, match.end() - 1), letter
            plain = _YAML_PLAIN.match(body)
            value = plain.group(1) if plain is not None else ""
            if plain is not None and ": " not in value and not value.endswith(":"):
                # After the value's first character: it stays a plain scalar.
                return self.rng.randint(plain.start(1) + 1, plain.end(1)), letter
            return None
        return len(body), " "  # trailing blanks mean nothing in YAML
