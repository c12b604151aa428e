"""Suppressions written as data, for formats without comments.

CloudFormation (JSON, and YAML too): a resource's ``Metadata: {"iacperf": {"ignore":
["PERF019", {"code": "PERF021", "until": "2027-03-31", "reason": "..."}]}}`` and the
template's ``Metadata: {"iacperf": {"ignore-file": [...]}}``.

Terraform JSON: the comment property ``"//": "iacperf:ignore PERF019 -- reason"`` in a
resource object (``"//"`` is ignored by Terraform in any block object, the root included),
and ``"//": "iacperf:ignore-file PERF049"`` anywhere.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence

from iacperf.rules.model import (
    MappingNode,
    Node,
    Position,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Suppression,
)
from iacperf.server.parsing.suppression_comments import parse_date, read_directive

_JSON_COMMENT = re.compile(r"[ \t]*iacperf:ignore(-file)?(?=[ \t]|$)")


def cloudformation_suppressions(
    root: MappingNode, resources: Sequence[Resource], block_lists: bool
) -> tuple[Suppression, ...]:
    """``block_lists``: YAML, where an item of a block list is removed with its line."""
    found: list[Suppression] = []
    for resource in resources:
        section = _iacperf(resource.node)
        if section is not None:
            found.extend(_items(section, "ignore", resource.address, block_lists))
    section = _iacperf(root)
    if section is not None:
        found.extend(_items(section, "ignore-file", "", block_lists))
    return tuple(found)


def _iacperf(mapping: MappingNode) -> MappingNode | None:
    metadata = mapping.get("Metadata")
    if metadata is None or not isinstance(metadata.value, MappingNode):
        return None
    section = metadata.value.get("iacperf")
    if section is None or not isinstance(section.value, MappingNode):
        return None
    return section.value


def _items(section: MappingNode, key: str, address: str, block: bool) -> Iterator[Suppression]:
    entry = section.get(key)
    if entry is None:
        return
    file_level = key == "ignore-file"
    value = entry.value
    if not isinstance(value, SequenceNode):
        problem = f"Metadata iacperf {key} must be a list of rule codes"
        yield _item(value, (), address, file_level, None, problems=(problem,))
        return
    for index, item in enumerate(value.items):
        removal = _item_removal([i.range for i in value.items], index, block and not value.flow)
        if isinstance(item, ScalarNode) and isinstance(item.value, str):
            yield _item(item, (item.value,), address, file_level, removal)
        elif isinstance(item, MappingNode):
            yield _object_item(item, address, file_level, removal)
        else:
            problem = "an ignore item is a rule code or {code, until, reason}"
            yield _item(item, (), address, file_level, removal, problems=(problem,))


def _object_item(
    item: MappingNode, address: str, file_level: bool, removal: SourceRange
) -> Suppression:
    fields = {e.key: e.value for e in item.entries}
    problems: list[str] = []
    codes: tuple[str, ...] = ()
    code = fields.get("code")
    if isinstance(code, ScalarNode) and isinstance(code.value, str) and code.value:
        codes = (code.value,)
    else:
        problems.append("names no rule; give a code")
    until = None
    raw = fields.get("until")
    if raw is not None:
        text = str(raw.value) if isinstance(raw, ScalarNode) else ""
        until = parse_date(text)
        if until is None:
            problems.append(f"invalid date {text!r}; write YYYY-MM-DD")
    reason = fields.get("reason")
    why = str(reason.value) if isinstance(reason, ScalarNode) and reason.value else ""
    unknown = sorted(set(fields) - {"code", "until", "reason"})
    if unknown:
        problems.append(f"unknown field {', '.join(unknown)}; use code, until and reason")
    return _item(item, codes, address, file_level, removal, until, why, tuple(problems))


def _item(
    node: Node,
    codes: tuple[str, ...],
    address: str,
    file_level: bool,
    removal: SourceRange | None,
    until: datetime.date | None = None,
    reason: str = "",
    problems: tuple[str, ...] = (),
) -> Suppression:
    return Suppression(
        codes=codes,
        line=node.range.start.line,
        range=node.range,
        until=until,
        reason=reason,
        file_level=file_level,
        target=node.range.start.line,
        resource=address,
        removal=removal,
        problems=problems,
    )


def _item_removal(ranges: Sequence[SourceRange], index: int, whole_lines: bool) -> SourceRange:
    """What to delete to remove one member of a list or object, separator included."""
    here = ranges[index]
    if whole_lines:
        return SourceRange(Position(here.start.line, 0), Position(here.end.line + 1, 0))
    if index > 0:
        return SourceRange(ranges[index - 1].end, here.end)
    if len(ranges) > 1:
        return SourceRange(here.start, ranges[1].start)
    return here


def terraform_json_suppressions(
    root: MappingNode, resources: Sequence[Resource]
) -> tuple[Suppression, ...]:
    """``"//"`` comment properties of the root object and of each resource object."""
    found = list(_json_comments(root, ""))
    for resource in resources:
        found.extend(_json_comments(resource.body, resource.address))
    return tuple(found)


def _json_comments(mapping: MappingNode, address: str) -> Iterator[Suppression]:
    ranges = [entry.range for entry in mapping.entries]
    for index, entry in enumerate(mapping.entries):
        value = entry.value
        if entry.key != "//" or not isinstance(value, ScalarNode):
            continue
        if not isinstance(value.value, str):
            continue
        match = _JSON_COMMENT.match(value.value)
        if match is None:
            continue
        file_level = match.group(1) is not None
        directive = read_directive(value.value, match.end(), file_level)
        start = value.range.start
        # JSON strings stay on one line; the text starts after the opening quote.
        span = directive.codes_span
        codes_range = None
        if span is not None and "\\" not in value.value:
            column = start.character + 1
            codes_range = SourceRange.of(start.line, column + span[0], start.line, column + span[1])
        yield Suppression(
            codes=directive.codes,
            line=start.line,
            range=entry.range,
            until=directive.until,
            reason=directive.reason,
            file_level=file_level,
            target=start.line,
            resource=address,
            removal=_item_removal(ranges, index, whole_lines=False),
            codes_range=codes_range,
            problems=directive.problems,
        )
