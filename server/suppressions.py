"""Inline suppressions: which findings they hide, which ones they cannot, and new ones.

``apply_suppressions`` runs after the rules (``engine.lint`` calls it). A suppression covers
the findings of one resource: all of them when it stands above the resource's header or
inside its block, or only those starting on the lines of the attribute (or nested block,
or list item) right below it. ``ignore-file`` covers the whole file. An expired
suppression, or one that cannot be read, hides nothing, and the findings it would have
hidden say so. With PERF900 selected, suppressions that hide nothing and malformed ones
are reported too.

``suppression_edit`` writes the edit behind the editor's "Ignore PERF019 for this
resource" code action.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence

from iacperf.rules.api import Fix, Related
from iacperf.rules.builtin import UNUSED_SUPPRESSION
from iacperf.rules.edits import (
    Edit,
    insert_entry,
    insert_in_resource,
    render_inline,
    replace_value,
)
from iacperf.rules.model import (
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Position,
    Resource,
    SequenceNode,
    SourceRange,
    Suppression,
    Syntax,
    Template,
)
from iacperf.rules.records import field, record, replace
from iacperf.rules.registry import by_code_or_name
from iacperf.server.engine import Finding, Selection


@record(frozen=False)
class _Scope:
    """One suppression placed in its file: what it covers and what it hid."""

    suppression: Suppression
    path: str
    #: (code as written, rule code or None when unknown), in written order.
    written: tuple[tuple[str, str | None], ...]
    every_rule: bool  # ``ignore-file`` without codes
    resource: str | None  # the resource it covers; None: every resource (file level)
    lines: tuple[int, int] | None  # only findings starting on these lines
    codes: frozenset[str] = frozenset()  # the rule codes it names
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        if finding.path != self.path:
            return False
        if not self.every_rule and finding.rule.code not in self.codes:
            return False
        if self.resource is None:
            return True
        if finding.resource != self.resource:
            return False
        return self.lines is None or self.lines[0] <= finding.range.start.line <= self.lines[1]

    def hides(self, today: datetime.date) -> bool:
        until = self.suppression.until
        return not self.suppression.problems and (until is None or today <= until)


def apply_suppressions(
    findings: Iterable[Finding],
    templates: Sequence[Template],
    selection: Selection,
    judged: Collection[str] | None = None,
    today: datetime.date | None = None,
) -> list[Finding]:
    """The findings no suppression hides, plus PERF900 findings when ``judged`` is given:
    the codes of the rules that ran, the only ones a suppression can be found unused for."""
    scopes = [scope for t in templates if t.suppressions for scope in _scopes(t)]
    if not scopes:
        return list(findings)
    today = today or datetime.date.today()
    # Findings name their file and resource: look only at the suppressions that can apply.
    index: dict[tuple[str, str | None], list[_Scope]] = {}
    for scope in scopes:
        index.setdefault((scope.path, scope.resource), []).append(scope)

    def covering(finding: Finding) -> list[_Scope]:
        candidates = [
            *index.get((finding.path, None), ()),
            *index.get((finding.path, finding.resource), ()),
        ]
        return [scope for scope in candidates if scope.covers(finding)]

    kept: list[Finding] = []
    for finding in findings:
        found = covering(finding)
        for scope in found:
            scope.used.add(finding.rule.code)
        if any(scope.hides(today) for scope in found):
            continue
        kept.append(_annotated(finding, found[0]) if found else finding)
    if judged is None:
        return kept
    broken = {t.path for t in templates if t.errors}
    for scope in scopes:
        for report in _reports(scope, judged, scope.path not in broken, selection):
            # PERF900 findings are hidden only by suppressions that name PERF900 itself.
            if not any(
                UNUSED_SUPPRESSION.code in other.codes and other.hides(today)
                for other in covering(report)
            ):
                kept.append(report)
    return kept


def _annotated(finding: Finding, scope: _Scope) -> Finding:
    """A finding an expired or unreadable suppression failed to hide says why."""
    suppression = scope.suppression
    if suppression.problems:
        why = f"suppression ignored: {suppression.problems[0]}"
    else:
        why = f"suppression expired {suppression.until}"
    related = Related(why[0].upper() + why[1:], scope.path, suppression.range)
    return replace(
        finding, message=f"{finding.message} ({why})", related=(*finding.related, related)
    )


def _scopes(template: Template) -> list[_Scope]:
    index = by_code_or_name()
    scopes = []
    for suppression in template.suppressions:
        written = []
        for token in suppression.codes:
            found = index.get(token) or index.get(token.upper())  # perf019 works too
            written.append((token, None if found is None else found.code))
        resource, lines = _placement(suppression, template)
        scopes.append(
            _Scope(
                suppression=suppression,
                path=template.path,
                written=tuple(written),
                every_rule=suppression.file_level and not suppression.codes,
                resource=resource,
                lines=lines,
                codes=frozenset(code for _, code in written if code is not None),
            )
        )
    return scopes


_NOWHERE = "\0"  # a resource address no finding carries


def surviving(template: Template, kept: Collection[str]) -> tuple[Suppression, ...]:
    """``template``'s suppressions but those placed on a resource whose address is not in
    ``kept``: what a copy of ``template`` cut down to those resources keeps."""
    return tuple(
        suppression
        for suppression in template.suppressions
        if (placed := _placement(suppression, template)[0]) in (None, _NOWHERE) or placed in kept
    )


def _placement(
    suppression: Suppression, template: Template
) -> tuple[str | None, tuple[int, int] | None]:
    """(resource address or None for the whole file, line span or None for all of it)."""
    if suppression.file_level:
        return None, None
    if suppression.resource:
        return suppression.resource, None
    for resource in template.resources:
        offset = resource.line_offset
        first = resource.range.start.line + offset
        last = resource.range.end.line + offset
        if suppression.target == first:
            return resource.address, None
        if first <= suppression.line <= last:
            span = _span_on(resource.node, suppression.target - offset)
            if span is None:
                return resource.address, None
            return resource.address, (span[0] + offset, span[1] + offset)
    return _NOWHERE, None


def _span_on(node: Node, line: int) -> tuple[int, int] | None:
    """The lines of the outermost entry or list item that starts on ``line``."""
    children: list[tuple[SourceRange, Node]] = []
    if isinstance(node, MappingNode):
        children = [(entry.range, entry.value) for entry in node.entries]
    elif isinstance(node, SequenceNode):
        children = [(item.range, item) for item in node.items]
    elif isinstance(node, IntrinsicNode):
        return _span_on(node.argument, line)
    for source_range, value in children:
        if source_range.start.line == line:
            return source_range.start.line, source_range.end.line
        if source_range.start.line < line <= source_range.end.line:
            return _span_on(value, line)
    return None


def _reports(
    scope: _Scope, judged: Collection[str], judge_unused: bool, selection: Selection
) -> list[Finding]:
    suppression = scope.suppression
    messages = [f"Suppression {problem}" for problem in suppression.problems]
    messages += [
        f"Suppression names unknown rule {token!r}; see `iacperf rules`"
        for token, code in scope.written
        if code is None
    ]
    findings = [_report(scope, message, None, selection) for message in messages]
    if not judge_unused or suppression.problems:
        return findings
    if scope.every_rule:
        if not scope.used:
            fix = _removal_fix(suppression)
            findings.append(
                _report(scope, "Unused suppression: it hides no finding", fix, selection)
            )
        return findings
    unused = [
        (token, code)
        for token, code in scope.written
        if code is not None
        and code in judged
        and code != UNUSED_SUPPRESSION.code
        and code not in scope.used
    ]
    if not unused:
        return findings
    names = ", ".join(dict.fromkeys(code for _, code in unused))
    message = f"Unused suppression of {names}: no such finding in its scope; remove it"
    findings.append(_report(scope, message, _unused_fix(suppression, scope, unused), selection))
    return findings


def _report(scope: _Scope, message: str, fix: Fix | None, selection: Selection) -> Finding:
    resource = scope.resource if scope.resource not in (None, _NOWHERE) else ""
    return Finding(
        rule=UNUSED_SUPPRESSION,
        severity=selection.severity_of(UNUSED_SUPPRESSION),
        message=message,
        path=scope.path,
        range=scope.suppression.range,
        resource=resource or "",
        fix=fix,
    )


def _unused_fix(
    suppression: Suppression, scope: _Scope, unused: Sequence[tuple[str, str]]
) -> Fix | None:
    remaining = [token for token, code in scope.written if (token, code) not in unused]
    if not remaining:
        return _removal_fix(suppression)
    if suppression.codes_range is None:
        return None
    dropped = ", ".join(token for token, _ in unused)
    return Fix.safe(
        f"Remove {dropped} from the suppression",
        Edit(suppression.codes_range, ",".join(remaining)),
    )


def _removal_fix(suppression: Suppression) -> Fix | None:
    if suppression.removal is None:
        return None
    return Fix.safe("Remove the unused suppression", Edit(suppression.removal, ""))


# ---------------------------------------------------------------------------
# The "Ignore PERF019 for this resource" edit


def suppression_edit(
    resource: Resource,
    code: str,
    reason: str = "",
    existing: Sequence[Suppression] = (),
) -> Edit | None:
    """The edit that suppresses ``code`` for ``resource``; its range is absolute.

    Terraform and CloudFormation YAML: a ``# iacperf:ignore CODE -- reason`` line above the
    resource's header, at the header's indentation and with the file's line ending, or the
    code added to such a comment already there (``existing``: the template's
    suppressions). CloudFormation JSON: the resource's ``Metadata.iacperf.ignore`` list,
    created or extended. Terraform JSON: a ``"//"`` comment property in the resource.
    None when the resource's ``Metadata`` is not an object.
    """
    reason = " ".join(reason.split())
    header_line = resource.header_range.start.line + resource.line_offset
    for suppression in existing:
        extended = _extended(suppression, resource, header_line, code)
        if extended is not None:
            return extended
    directive = f"iacperf:ignore {code}" + (f" -- {reason}" if reason else "")
    if resource.syntax is Syntax.JSON:
        if resource.format is Format.TERRAFORM:
            edit = insert_entry(resource, resource.body, _json_indent(resource), "//", directive)
            return edit.shifted(resource.line_offset)
        metadata = _metadata_edit(resource, code, reason)
        return metadata.shifted(resource.line_offset) if metadata is not None else None
    pad = " " * resource.header_range.start.character
    at = Position(header_line, 0)
    return Edit(SourceRange(at, at), f"{pad}# {directive}{resource.newline}")


def ignore_finding_edit(template: Template, finding: Finding, reason: str = "") -> Edit | None:
    """``suppression_edit`` for a finding of ``template`` (None when it has no resource)."""
    for resource in template.resources:
        if resource.address == finding.resource and resource.path == finding.path:
            return suppression_edit(resource, finding.code, reason, template.suppressions)
    return None


def _extended(
    suppression: Suppression, resource: Resource, header_line: int, code: str
) -> Edit | None:
    """Adds ``code`` to a readable suppression already covering the whole resource."""
    if suppression.codes_range is None or suppression.problems or suppression.until:
        return None
    if suppression.file_level or code in suppression.codes:
        return None
    if resource.syntax is Syntax.JSON:
        if suppression.resource != resource.address:
            return None
    elif suppression.resource or suppression.target != header_line:
        return None
    end = suppression.codes_range.end
    return Edit(SourceRange(end, end), f",{code}")


def _json_indent(resource: Resource) -> int:
    if resource.body.indent is not None:
        return resource.body.indent
    return resource.header_range.start.character + resource.indent_unit


def _metadata_edit(resource: Resource, code: str, reason: str) -> Edit | None:
    item: object = {"code": code, "reason": reason} if reason else code
    metadata = resource.node.get("Metadata")
    if metadata is None:
        return insert_in_resource(resource, "Metadata", {"iacperf": {"ignore": [item]}})
    if not isinstance(metadata.value, MappingNode):
        return None
    section = metadata.value.get("iacperf")
    unit = resource.indent_unit
    if section is None:
        indent = metadata.key_range.start.character + unit
        return insert_entry(resource, metadata.value, indent, "iacperf", {"ignore": [item]})
    if not isinstance(section.value, MappingNode):
        return replace_value(resource, section.value, {"ignore": [item]})
    ignore = section.value.get("ignore")
    if ignore is None:
        indent = section.key_range.start.character + unit
        return insert_entry(resource, section.value, indent, "ignore", [item])
    items = ignore.value
    if not isinstance(items, SequenceNode):
        return replace_value(resource, items, [item])
    rendered = render_inline(Syntax.JSON, item)
    if items.items:
        end = items.items[-1].range.end
        return Edit(SourceRange(end, end), f", {rendered}")
    close = Position(items.range.end.line, items.range.end.character - 1)  # before "]"
    return Edit(SourceRange(close, close), rendered)
