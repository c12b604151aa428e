"""Splits a CloudFormation template into resource chunks without parsing it.

JSON (``split_json``): a scanner that knows strings and escapes finds the members of the
top-level ``Resources`` object; see ``JsonChunk`` and ``JsonLayout``.

YAML (``split_yaml``): each entry of the top-level ``Resources`` mapping is one chunk of
whole lines: it starts at its logical id (blank and comment lines before it belong to
it) and runs until the next line at the section's child indentation or less. A chunk is
valid YAML alone, and since chunks are whole lines its columns are the file's: parsing
it needs only a line shift to land in the file. Everything else is the "rest": the text
with the resource lines emptied, so the rest keeps absolute line numbers.

``split_yaml`` returns None whenever cutting is not known to give the whole parse's
answer (anchors and aliases, flow ``Resources: {``, tabs in indentation, several
documents, unusual line breaks, no or several ``Resources`` keys); the caller then
parses the whole document.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from iacperf.rules.records import record
from iacperf.server.parsing.hcl_blocks import Chunk

_RESOURCES = re.compile(r"""(?:Resources|"Resources"|'Resources')[ \t]*:(?P<rest>[^\n]*)""")
# Aliases need their anchor in the same chunk, a directive or a document marker makes
# several documents, a tab in indentation changes what a line's indentation is.
_MARKERS = ("\n---", "\n...", "\n%")
_TAB_INDENT = re.compile(r"^ *\t", re.M)
_ALIAS_NAME = re.compile(r"[\w-]")
# YAML 1.1 line breaks that str.split("\n") would not count.
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")


@record
class YamlLayout:
    """``rest`` has the same lines as the text, the resource chunks' lines emptied."""

    rest: str
    chunks: tuple[Chunk, ...]
    indent: int  # the column of the logical ids; 0 when the section is empty


def split_yaml(text: str) -> YamlLayout | None:
    """The template's resource chunks and rest, or None when cutting is not safe."""
    # Plain substring searches: this runs on every keystroke, and regular expressions
    # that may match at any line start cost milliseconds on a big template.
    if any(b in text for b in _ODD_BREAKS) or text.count("\r") != text.count("\r\n"):
        return None
    if _several_documents(text) or _anchor_or_alias(text):
        return None
    if "\t" in text and _TAB_INDENT.search(text) is not None:
        return None
    margin = _root_indent(text)
    found = _resources_keys(text, margin)
    if len(found) != 1:
        return None
    after = found[0].group("rest").strip()
    if after and not after.startswith("#"):
        return None  # flow style or a value on the key's line
    lines = text.split("\n")
    first = text.count("\n", 0, found[0].start()) + 1  # the line below ``Resources:``
    starts = [0, *accumulate(len(line) + 1 for line in lines)]
    spans, indent, end = _entries(lines, first, margin)
    if spans is None:
        return None
    chunks = tuple(Chunk(a, text[starts[a] : starts[b]]) for a, b in spans)
    if not chunks:
        return YamlLayout(text, (), 0)
    section_start, section_end = starts[spans[0][0]], starts[end]
    blank = "\n" * text.count("\n", section_start, section_end)
    return YamlLayout(text[:section_start] + blank + text[section_end:], chunks, indent)


def _several_documents(text: str) -> bool:
    """A directive or a document marker, but for a "---" that opens the document."""
    for marker in ("---", "...", "%"):
        at = 0 if text.startswith(marker) else text.find("\n" + marker) + 1
        while at > 0 or (at == 0 and text.startswith(marker)):
            if not (marker == "---" and _only_trivia(text[:at])):
                return True
            at = text.find("\n" + marker, at + 1) + 1
            if at == 0:
                break
    return False


def _anchor_or_alias(text: str) -> bool:
    """``&name`` or ``*name`` where YAML reads an anchor or alias (after a blank, a
    bracket, a comma or at a line start)."""
    for char in "&*":
        at = text.find(char)
        while at >= 0:
            if (at == 0 or text[at - 1] in "\n \t[{,") and _ALIAS_NAME.match(text, at + 1):
                return True
            at = text.find(char, at + 1)
    return False


def _root_indent(text: str) -> int:
    """The column of the top-level keys (some templates indent the whole document)."""
    for line in text.split("\n", 200)[:200]:
        content = line.lstrip(" ")
        if content.strip() and not content.startswith(("#", "---", "%")):
            return len(line) - len(content)
    return 0


def _resources_keys(text: str, margin: int) -> list[re.Match[str]]:
    """The top-level ``Resources:`` keys (at the start of a line, after ``margin`` blanks)."""
    found = []
    for name in ("Resources", '"Resources"', "'Resources'"):
        at = text.find(name)
        while at >= 0:
            start = at - margin
            if (start == 0 or (start > 0 and text[start - 1] == "\n")) and (
                text[start:at] == " " * margin
            ):
                match = _RESOURCES.match(text, at)
                if match is not None:
                    found.append(match)
            at = text.find(name, at + 1)
    return found


def _only_trivia(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def _entries(
    lines: list[str], first: int, margin: int
) -> tuple[list[tuple[int, int]] | None, int, int]:
    """(line spans of the section's entries, their column, the line after the section);
    ``margin``: the column of the top-level keys."""
    spans: list[tuple[int, int]] = []
    indent = -1
    start = first  # where the current entry's chunk starts
    trivia: int | None = None  # first blank/comment line after the last content line
    opened = False
    for index in range(first, len(lines)):
        line = lines[index]
        content = line.lstrip(" ")
        if not content.strip() or content.startswith("#"):
            if trivia is None:
                trivia = index
            continue
        column = len(line) - len(content)
        if indent < 0:
            if column <= margin:
                return [], 0, first  # an empty section: the next key follows
            if content.startswith("-"):
                return None, 0, 0  # a list, not a mapping
            indent = column
        if column < indent:
            if column > margin:
                return None, 0, 0  # back out to neither the entries nor the top level
            return spans + ([(start, trivia or index)] if opened else []), indent, trivia or index
        if column == indent:
            if opened:
                boundary = trivia if trivia is not None else index
                spans.append((start, boundary))
                start = boundary
            opened = True
        trivia = None
    end = trivia if trivia is not None else len(lines)
    if opened:
        spans.append((start, end))
    return spans, max(indent, 0), end


# ---------------------------------------------------------------------------
# JSON

# Strings (escapes included) and the punctuation that gives a JSON document its shape; a
# lone quote is a string that does not close (or holds a raw control character).
_JSON_TOKEN = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"|[{}\[\]:,]|"')


@record
class JsonChunk:
    """One member of ``Resources``: ``text`` runs from its key to the end of its value, as
    a one-member object whose columns are the file's (the line before the key blanked)."""

    start_line: int
    text: str


@record
class JsonLayout:
    """``rest`` is the text with the members of ``Resources`` (and the commas between
    them) blanked: the same lines and, after them, the same columns."""

    rest: str
    chunks: tuple[JsonChunk, ...]
    #: The text cut and each member's (key start, value end): the next keystroke re-scans
    #: only the member it falls in.
    text: str = ""
    spans: tuple[tuple[int, int], ...] = ()


def split_json(text: str, previous: JsonLayout | None = None) -> JsonLayout | None:
    """The template's ``Resources`` members and rest, or None when cutting is not known to
    be safe: no or several ``Resources`` keys, a member whose value is not an object, an
    ``Fn::``/``Ref`` key, odd separators between members, anything that does not scan."""
    spans = _respanned(previous, text) if previous is not None else None
    if spans is None:
        spans = _json_members(text)
    if not spans:
        return None
    chunks: list[JsonChunk] = []
    line = 0
    scanned = 0
    for index, (key, end) in enumerate(spans):
        if index and text[spans[index - 1][1] : key].strip(" \t\r\n") != ",":
            return None  # a missing or doubled comma: the whole parse reports it
        line += text.count("\n", scanned, key)
        scanned = key
        column = key - (text.rfind("\n", 0, key) + 1)
        if column < 1:
            return None  # no room for the "{" that makes the member a document
        chunks.append(JsonChunk(line, "{" + " " * (column - 1) + text[key:end] + "}"))
    first, last = spans[0][0], spans[-1][1]
    breaks = text.count("\n", first, last)
    tail = last - (text.rfind("\n", first, last) + 1) if breaks else last - first
    blank = "\n" * breaks + " " * tail
    return JsonLayout(text[:first] + blank + text[last:], tuple(chunks), text, tuple(spans))


def _respanned(previous: JsonLayout, text: str) -> list[tuple[int, int]] | None:
    """The member spans of ``text`` from those of ``previous``, when the change lies
    inside one member and that member still scans as one object; else None (scan all)."""
    old = previous.text
    if not previous.spans or not old:
        return None
    start, old_end, new_end = _changed_region(old, text)
    spans = previous.spans
    # Strictly after the key's quote: text inserted before it would move the key.
    index = next((i for i, (a, b) in enumerate(spans) if a < start and old_end <= b), None)
    if index is None:
        return None
    delta = new_end - old_end
    key, end = spans[index]
    if _member_end(text, key) != end + delta:
        return None
    moved = [(a + delta, b + delta) for a, b in spans[index + 1 :]]
    return [*spans[:index], (key, end + delta), *moved]


def _changed_region(old: str, new: str) -> tuple[int, int, int]:
    """(start, end in ``old``, end in ``new``) of the text that differs; slices compare in
    C, so a binary search beats a character loop on a big template."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, min(len(old), len(new)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return prefix, len(old) - low, len(new) - low


def _member_end(text: str, key: int) -> int | None:
    """Where the member ``"Key": {...}`` that starts at ``key`` ends, or None when it does
    not scan as a key and one object."""
    depth = 0
    step = 0  # 0: the key, 1: the colon, 2: the object
    for match in _JSON_TOKEN.finditer(text, key):
        token = match.group()
        if token == '"':
            return None
        if step == 0:
            name = _decode(token) if token[0] == '"' else None
            if name is None or name == "Ref" or name.startswith("Fn::"):
                return None
            step = 1
        elif step == 1:
            if token != ":":
                return None
            step = 2
        elif token in "{[":
            if depth == 0 and token != "{":
                return None
            depth += 1
        elif token in "}]":
            depth -= 1
            if depth == 0:
                return match.end()
            if depth < 0:
                return None
        elif depth == 0:
            return None  # something between the colon and the object
    return None


def _json_members(text: str) -> list[tuple[int, int]] | None:
    """(key start, value end) offsets of each member of the top-level ``Resources``."""
    depth = 0
    expect_key = False  # the next string at this depth is a key
    key: str | None = None  # the top-level key whose value comes next
    in_resources = False
    found: list[tuple[int, int]] | None = None
    member_start = -1
    previous = ""
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == '"':
            return None
        char = token[0]
        if char == '"':
            if expect_key and depth == 1:
                key = token if "\\" not in token else _decode(token)
            elif expect_key and depth == 2 and in_resources:
                name = _decode(token)
                if name is None or name == "Ref" or name.startswith("Fn::"):
                    return None
                member_start = match.start()
            elif previous == ":" and depth == 2 and in_resources:
                return None  # a resource that is not an object
            expect_key = False
        elif char in "{[":
            if previous == ":" and depth == 1 and key in ('"Resources"', "Resources"):
                if char != "{" or found is not None:
                    return None  # not an object, or a second Resources
                in_resources, found = True, []
                expect_key = True
            elif previous == ":" and depth == 2 and in_resources and char != "{":
                return None  # a resource that is not an object
            elif depth == 0 and char == "{":
                expect_key = True
            elif depth == 0:
                return None
            depth += 1
        elif char in "}]":
            if depth == 2 and member_start >= 0:
                return None  # the last member's value was not an object
            depth -= 1
            if depth == 2 and in_resources and found is not None and member_start >= 0:
                found.append((member_start, match.end()))
                member_start = -1
            elif depth == 1 and in_resources:
                in_resources = False
            elif depth < 0:
                return None
        elif char == ",":
            if depth == 2 and member_start >= 0:
                return None
            expect_key = depth in (1, 2)
        elif char == ":" and depth == 2 and in_resources and member_start < 0:
            return None
        previous = char
    if depth != 0:
        return None
    return found


def _decode(token: str) -> str | None:
    if "\\" not in token:
        return token[1:-1]
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None
