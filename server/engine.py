"""Runs the rules over parsed templates and turns violations into findings.

Rules are indexed by (format, resource kind). Resource and module rules run per
resource with the other resources of the same Terraform directory or CloudFormation
template in view; project rules run once per format over everything. A rule that
raises loses only its own findings: the error is reported through ``on_rule_error``.
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

from iacperf.rules.api import Context, Facts, Fix, Related, Rule, Scope, Severity, Violation
from iacperf.rules.builtin import OPT_IN, PARSE_ERROR, UNKNOWN_VALUE, UNUSED_SUPPRESSION
from iacperf.rules.model import (
    Format,
    MappingNode,
    Resource,
    SourceRange,
    Template,
)
from iacperf.rules.records import field, record, replace
from iacperf.rules.registry import all_rules
from iacperf.rules.values import node_of, unknown_reads
from iacperf.server.module_calls import (
    ModuleCall,
    at_the_caller,
    bound_resources,
    call_bindings,
    call_key,
    call_switched_off,
    local_calls,
    module_templates,
)
from iacperf.server.resolve import (
    ALLOWED_VALUES,
    Resolver,
    TerraformScope,
    Value,
    origins,
    switched_off,
)
from iacperf.server.unknowns import Explainer, blocked

if TYPE_CHECKING:
    # The language server's; a CLI run does without it (7 ms to import).
    from iacperf.server.rule_memo import RuleMemo


@record(slots=False)
class Finding:
    """A violation placed in its file: every range here is absolute."""

    rule: Rule
    severity: Severity
    message: str
    path: str
    range: SourceRange
    resource: str
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    _sort_key: tuple[str, int, int, str, str] = field(init=False, repr=False, compare=False)

    @property
    def code(self) -> str:
        return self.rule.code

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return self._sort_key

    def __post_init__(self) -> None:
        # Computed once: the language server sorts every finding of a file per keystroke,
        # most of them the same objects as before.
        start = self.range.start
        key = (self.path, start.line, start.character, self.rule.code, self.message)
        object.__setattr__(self, "_sort_key", key)


_SORT_KEY = attrgetter("_sort_key")


@record(slots=False)
class Selection:
    """Which rules run and how loud they are."""

    select: frozenset[str] = frozenset()  # empty: every rule
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    #: Per-rule options (rule code -> options), handed to the rule as ``Context.options``.
    options: dict[str, dict[str, object]] = field(default_factory=dict)
    #: Terraform var files read after terraform.tfvars and *.auto.tfvars (value resolution).
    var_files: tuple[str, ...] = ()
    #: Report rules that could not decide because a value is unknown (PERF901).
    report_unknown: bool = False

    def enabled(self, rule: Rule) -> bool:
        names = {rule.code, rule.name}
        if names & self.ignore:
            return False
        if rule.code in OPT_IN:  # PERF900 and PERF901 run only when selected by code or name
            asked = self.report_unknown and rule.code == UNKNOWN_VALUE.code
            return asked or bool(names & self.select)
        return not self.select or bool(names & self.select)

    def severity_of(self, rule: Rule) -> Severity:
        return self.severity.get(rule.code, self.severity.get(rule.name, rule.severity))


RuleErrorHandler = Callable[[Rule, str, BaseException], None]


def _ignore_error(rule: Rule, where: str, error: BaseException) -> None:
    return None


def lint(
    templates: Sequence[Template],
    selection: Selection | None = None,
    rules: Iterable[Rule] | None = None,
    on_rule_error: RuleErrorHandler = _ignore_error,
    project: Sequence[Template] | None = None,
    memo: RuleMemo | None = None,
) -> list[Finding]:
    """Every finding for ``templates`` that no suppression hides, sorted by path,
    position and code.

    ``project`` is everything project rules see (the language server passes the whole
    workspace while it re-checks one module); only findings in ``templates`` are kept.
    ``memo`` (the language server's) reuses what resource and module rules found for
    resources that did not change.
    """
    from iacperf.server.suppressions import apply_suppressions

    selection = selection or Selection()
    candidates = tuple(all_rules() if rules is None else rules)
    # Whether a suppression is used must not depend on what else is selected: with
    # PERF900 on, every rule runs and the selection filters the findings afterwards.
    judge = selection.enabled(UNUSED_SUPPRESSION)
    active = list(candidates) if judge else [r for r in candidates if selection.enabled(r)]
    findings: list[Finding] = []
    if judge or selection.enabled(PARSE_ERROR):
        for template in templates:
            findings.extend(_parse_error_findings(template, selection))
    if memo is not None:
        by_kind, project_rules = memo.rule_index(tuple(active), _rule_index)
    else:
        by_kind, project_rules = _rule_index(tuple(active))

    def existing(template: Template) -> tuple[Resource, ...]:
        return memo.existing(template, _exists) if memo is not None else _existing(template)

    # Facts about single resources (``Context.fact``): the language server keeps them
    # between keystrokes, a one-off lint shares them between the rules of this lint.
    facts = memo.facts if memo is not None else Facts()
    resolver = memo.resolver if memo is not None else Resolver()
    seen = templates if project is None else project
    by_folder: dict[str, list[Template]] = {}

    def folders() -> dict[str, list[Template]]:
        """Terraform templates by folder, built once per lint when a module call asks."""
        if not by_folder:
            for template in seen:
                if template.format is Format.TERRAFORM:
                    by_folder.setdefault(os.path.dirname(template.path), []).append(template)
        return by_folder

    report_unknown = selection.enabled(UNKNOWN_VALUE)
    # Without resource or module rules (a lint of the project rules alone, as the CLI's
    # process pool ends) there is nothing to resolve modules or module calls for.
    for group in _modules(templates) if by_kind else ():
        check = functools.partial(_check, explainer=Explainer.of(group) if report_unknown else None)
        context = Context(
            module=resolver.module(group, selection.var_files, _exists),
            blocks=tuple(chain.from_iterable(t.blocks for t in group)),
            globals=_sam_globals(group),
            facts=facts,
        )
        remembered = memo.module([t.path for t in group], context) if memo else None
        module = context.module
        todo: Sequence[int] = range(len(module))
        unkept: list[int] = []
        if remembered is not None:
            todo, reused_findings = remembered.plan(module, by_kind, selection)
            findings.extend(reused_findings)
        for position in todo:
            resource = module[position]
            kind_rules = by_kind.get((resource.format, resource.kind))
            if not kind_rules:
                continue
            if remembered is not None:
                reused = remembered.group(resource, kind_rules, selection)
                if reused is not None:
                    findings.extend(reused)
                    continue
            found: list[Finding] = []
            failed = False
            for r in kind_rules:
                rule_context = _for_rule(context, r, selection)
                try:
                    if remembered is None:
                        placed = check(r, resource, rule_context, selection)
                    else:
                        placed = remembered.findings(r, resource, rule_context, selection, check)
                except Exception as error:  # noqa: BLE001 - one rule must not stop the rest
                    on_rule_error(r, f"{resource.path}: {resource.address}", error)
                    failed = True
                    continue
                found.extend(placed)
            if remembered is not None and not failed:
                remembered.keep_group(resource, kind_rules, selection, found)
            if failed:
                unkept.append(position)
            findings.extend(found)
        if remembered is not None:
            remembered.finish(module, by_kind, selection, unkept)
        findings.extend(
            _module_call_findings(
                group, folders, resolver, by_kind, selection, facts, on_rule_error
            )
        )
    kept = {t.path for t in templates}
    for fmt in Format:
        everything = tuple(chain.from_iterable(existing(t) for t in seen if t.format is fmt))
        if not everything:
            continue
        blocks = tuple(chain.from_iterable(t.blocks for t in seen if t.format is fmt))
        whole = Context(project=everything, blocks=blocks, facts=facts)
        whole_memo = memo.module(("project", fmt.value), whole) if memo is not None else None
        for r in project_rules:
            if not r.kinds(fmt):
                continue
            rule_context = _for_rule(whole, r, selection)
            try:
                if whole_memo is None:
                    placed = _check_project(r, rule_context, selection)
                else:
                    placed = whole_memo.project_findings(
                        r, rule_context, selection, lambda rr, cc: _check_project(rr, cc, selection)
                    )
            except Exception as error:  # noqa: BLE001
                on_rule_error(r, f"{fmt.value} project", error)
                continue
            findings.extend(f for f in placed if f.path in kept)
    if memo is not None:
        memo.forget_replaced(seen)
    judged = {r.code for r in active} | {PARSE_ERROR.code} if judge else None
    findings = apply_suppressions(findings, templates, selection, judged)
    if judge:
        findings = [f for f in findings if selection.enabled(f.rule)]
    findings.sort(key=_SORT_KEY)
    return findings


def _module_call_findings(
    group: Sequence[Template],
    folders: Callable[[], dict[str, list[Template]]],
    resolver: Resolver,
    by_kind: dict[tuple[Format, str], tuple[Rule, ...]],
    selection: Selection,
    facts: Facts,
    on_rule_error: RuleErrorHandler,
) -> list[Finding]:
    """Findings inside local modules that come from the arguments ``group`` passes them,
    reported at those arguments (see ``module_calls``). Remembered per call: a keystroke
    that changes neither the call, its arguments' values nor the module reuses them."""
    scope = resolver.scope(group)
    if not isinstance(scope, TerraformScope):
        return []
    found: list[Finding] = []
    for call in local_calls(group):
        if call.folder == os.path.dirname(call.caller.path):
            continue  # a module calling itself
        if call_switched_off(call, scope):
            continue  # (before the memory of calls: its key leaves the caller's values out)
        bindings = call_bindings(call, scope)
        if not bindings:
            continue
        module = module_templates(call.folder, folders())
        key = (*call_key(call, bindings, module), _selection_key(selection))
        cached = resolver.calls.get(key)
        if cached is not None:
            found.extend(cached[1])
            continue
        placed = _check_call(call, bindings, module, by_kind, selection, facts, on_rule_error)
        if len(resolver.calls) > 1000:
            resolver.calls.clear()
        resolver.calls[key] = ((call.body, tuple(module), bindings), placed)
        found.extend(placed)
    return found


def _check_call(
    call: ModuleCall,
    bindings: dict[str, Value],
    module: Sequence[Template],
    by_kind: dict[tuple[Format, str], tuple[Rule, ...]],
    selection: Selection,
    facts: Facts,
    on_rule_error: RuleErrorHandler,
) -> list[Finding]:
    found: list[Finding] = []
    everything, affected = bound_resources(call, bindings, module)
    context = Context(
        module=tuple(r for r in everything if _exists(r)),
        blocks=tuple(chain.from_iterable(t.blocks for t in module)),
        facts=facts,
    )
    for resource in affected:
        if not _exists(resource):
            continue
        for r in by_kind.get((resource.format, resource.kind), ()):
            if r.scope is Scope.PROJECT or not r.through_module_calls:
                continue
            try:
                violations = list(r.check_resource(resource, _for_rule(context, r, selection)))
            except Exception as error:  # noqa: BLE001 - one rule must not stop the rest
                on_rule_error(r, f"{call.caller.path}: module.{call.label}", error)
                continue
            for violation in violations:
                moved = at_the_caller(call, violation.resource or resource, violation)
                if moved is None:
                    continue
                where, message, address, fix, related = moved
                found.append(
                    Finding(
                        rule=r,
                        severity=selection.severity_of(r),
                        message=message,
                        path=call.caller.path,
                        range=where,
                        resource=address,
                        fix=fix,
                        related=related,
                    )
                )
    return found


def _selection_key(selection: Selection) -> tuple[object, ...]:
    return (
        selection.select,
        selection.ignore,
        tuple(sorted((k, v.value) for k, v in selection.severity.items())),
        repr(sorted(selection.options.items())),
        selection.var_files,
    )


def _check(
    r: Rule,
    resource: Resource,
    context: Context,
    selection: Selection,
    explainer: Explainer | None = None,
) -> list[Finding]:
    """What ``r`` finds on ``resource``; with an ``explainer`` (``report_unknown``), a
    PERF901 finding instead when it found nothing and read an unknown value of it."""
    if explainer is None:
        return _run(r, resource, context, selection)
    with unknown_reads() as reads:
        placed = _run(r, resource, context, selection)
    if placed or not reads:
        return placed
    unknown = blocked(r, resource.variants[0] if resource.variants else resource, reads, explainer)
    if unknown is None:
        return placed
    where, message = unknown
    finding = Finding(
        rule=UNKNOWN_VALUE,
        severity=selection.severity_of(UNKNOWN_VALUE),
        message=message,
        path=resource.path,
        range=where.shifted(resource.line_offset),
        resource=resource.address,
    )
    return [finding]


def _run(r: Rule, resource: Resource, context: Context, selection: Selection) -> list[Finding]:
    if resource.variants:
        found = _on_every_variant(r, resource.variants, context)
        return _place(r, selection, resource_default=resource.variants[0], found=found)
    violations = list(r.check_resource(resource, context))
    return _place(r, selection, resource_default=resource, found=violations)


def _on_every_variant(r: Rule, variants: Sequence[Resource], context: Context) -> list[Violation]:
    """What ``r`` finds at the same place on every variant (one per allowed value of a
    parameter without a default): a value that might be good is not reported. The
    violations are the first variant's; a message that names its value says the others
    are alike."""
    first, *others = (list(r.check_resource(v, context)) for v in variants)
    kept = []
    for violation in first:
        alike = [next((o for o in run if o.range == violation.range), None) for run in others]
        if any(o is None for o in alike):
            continue
        if any(o is not None and o.message != violation.message for o in alike):
            violation = _unlike(violation, variants[0])
        kept.append(violation)
    return kept


def _unlike(violation: Violation, variant: Resource) -> Violation:
    """``violation`` of the first variant, when the other variants say something else.

    When the value at the violation is the one that varies, its message names it and the
    others are alike. Otherwise a value the rule reads elsewhere varies (the engine, for
    an instance class), and so does the remedy: keep the fact, and give no edit, which
    would fit one of the allowed values only."""
    here = next(origins(variant, violation.range), None)
    if here is not None and ALLOWED_VALUES in here.description:
        message = f"{violation.message}; so does every other value in {here.description}"
        return replace(violation, message=message)
    varying = next(
        (r.description for r in variant.resolved if ALLOWED_VALUES in r.description), None
    )
    source = varying[varying.index(ALLOWED_VALUES) :] if varying else "the allowed parameter values"
    fact = violation.message.partition("; ")[0]
    title = violation.fix.title if violation.fix is not None else "Fix it"
    message = f"{fact}; the remedy depends on {source}, which the template leaves open"
    fix = Fix.display_only(f"{title} (for one of {source}; check the others)")
    return replace(violation, message=message, fix=fix)


RuleIndex = tuple[dict[tuple[Format, str], tuple[Rule, ...]], tuple[Rule, ...]]


def _rule_index(active: tuple[Rule, ...]) -> RuleIndex:
    """Resource and module rules by (format, resource kind), and the project rules."""
    listed: dict[tuple[Format, str], list[Rule]] = defaultdict(list)
    project_rules: list[Rule] = []
    for r in active:
        if r.scope is Scope.PROJECT:
            project_rules.append(r)
            continue
        for fmt in Format:
            for kind in r.kinds(fmt):
                listed[(fmt, kind)].append(r)
    return {key: tuple(value) for key, value in listed.items()}, tuple(project_rules)


def _check_project(r: Rule, context: Context, selection: Selection) -> list[Finding]:
    return _place(r, selection, resource_default=None, found=list(r.check_project(context)))


def _for_rule(context: Context, r: Rule, selection: Selection) -> Context:
    options = selection.options.get(r.code)
    return replace(context, options=options) if options else context


def _modules(templates: Sequence[Template]) -> list[list[Template]]:
    """Terraform: one group per directory. CloudFormation: one group per template."""
    groups: dict[tuple[str, str], list[Template]] = defaultdict(list)
    for template in templates:
        if template.format is Format.TERRAFORM:
            key = ("tf", os.path.dirname(template.path))
        else:
            key = ("cfn", template.path)
        groups[key].append(template)
    return list(groups.values())


def _sam_globals(group: Sequence[Template]) -> MappingNode | None:
    """The ``Globals`` section of a CloudFormation template (a group holds one template)."""
    for template in group:
        if template.format is Format.CLOUDFORMATION and template.root is not None:
            section = template.root.get("Globals")
            if section is not None and isinstance(section.value, MappingNode):
                return section.value
    return None


def _existing(template: Template) -> tuple[Resource, ...]:
    return tuple(r for r in template.resources if _exists(r))


def _exists(resource: Resource) -> bool:
    """False when a literal ``count = 0`` or empty ``for_each`` switches a resource off."""
    if resource.format is not Format.TERRAFORM:
        return True
    count, for_each = resource.body.get("count"), resource.body.get("for_each")
    return not switched_off(node_of(count), node_of(for_each))


def _place(
    r: Rule, selection: Selection, resource_default: Resource | None, found: list[Violation]
) -> list[Finding]:
    placed = []
    for violation in found:
        resource = violation.resource or resource_default
        assert resource is not None, f"{r.code}: a project rule must name its resource"
        offset = resource.line_offset
        fix = violation.fix
        related = violation.related
        if resource.resolved:
            came_from = list(origins(resource, violation.range))
            related += tuple(
                Related(f"the value comes from {item.description}", item.path, item.range)
                for item in came_from
            )
            if fix is not None:
                fix = _retarget(fix, resource)
        if fix is not None and offset:
            fix = Fix(fix.title, fix.applicability, tuple(e.shifted(offset) for e in fix.edits))
        placed.append(
            Finding(
                rule=r,
                severity=selection.severity_of(r),
                message=violation.message,
                path=resource.path,
                range=violation.range.shifted(offset),
                resource=resource.address,
                fix=fix,
                related=related,
            )
        )
    return placed


def _retarget(fix: Fix, resource: Resource) -> Fix:
    """A fix that replaces a resolved value edits it where it is set: the variable's
    default, the parameter's default (same file). Where that is another file, or the use
    is only made from the value (an interpolation), the fix becomes advice."""
    edits = []
    for edit in fix.edits:
        hit = next(
            (
                item
                for item in resource.resolved
                if item.use.start < edit.range.end
                and edit.range.start < item.use.end
                or item.use == edit.range
            ),
            None,
        )
        if hit is None:
            edits.append(edit)
        elif hit.exact and hit.use == edit.range and hit.path == resource.path:
            where = hit.range.shifted(-resource.line_offset)  # edits are resource-relative
            edits.append(replace(edit, range=where))
        else:
            name = os.path.basename(hit.path)
            line = hit.range.start.line + 1
            title = f"{fix.title} where the value is set ({hit.description}, {name}:{line})"
            return Fix.display_only(title)
    return replace(fix, edits=tuple(edits))


def _parse_error_findings(template: Template, selection: Selection) -> list[Finding]:
    return [
        Finding(
            rule=PARSE_ERROR,
            severity=selection.severity_of(PARSE_ERROR),
            message=error.message,
            path=template.path,
            range=error.range,
            resource="",
        )
        for error in template.errors
    ]
