"""Rules the engine itself reports (not part of the catalog of checks)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, FixAvailability, Rule, Severity, Violation, rule


def _reported_by_the_parser(_: Context) -> Iterator[Violation]:
    """
    ## What it does
    Reports a file, or a top-level block of a Terraform file, that cannot be parsed, with
    the parser's line and column and a short reason.

    ## Why is this bad?
    Nothing in a block that does not parse can be checked. Terraform files are parsed
    block by block, so one broken block hides only its own findings.

    ## Fix safety
    No fix: correct the syntax at the reported position.
    """
    return iter(())


PARSE_ERROR: Rule = rule(
    code="PERF000",
    name="parse-error",
    title="File or block could not be parsed",
    severity=Severity.ERROR,
    terraform=("*",),
    cloudformation=("*",),
)(_reported_by_the_parser)


def _reported_by_the_engine(_: Context) -> Iterator[Violation]:
    """
    ## What it does
    Reports an `iacperf:ignore` suppression that suppresses nothing: a rule it names
    produced no finding in its scope (the resource, the attribute below it, or the file).
    Also reports a suppression that cannot be read as written: an unknown rule code or
    name, a date that is not `until=YYYY-MM-DD`, a comment that names no rule.

    This rule is off by default, like ruff's RUF100: it runs only when selected explicitly
    (`iacperf check --select PERF900`). While it is selected every rule runs behind the
    scenes, so whether a suppression is used does not depend on the other selected rules;
    only the selected rules are reported. Files with a syntax error are not judged for
    unused suppressions, since a block that does not parse has no findings.

    ## Why is this bad?
    A suppression outlives its reason: the resource was fixed, renamed or removed, and the
    comment stays behind. A stale suppression hides the next real finding on that resource,
    and a misspelt code or date silently suppresses nothing. Removing unused suppressions
    keeps every remaining one meaningful.

    ## Fix safety
    The fix deletes the suppression: the comment line, a trailing comment, the
    CloudFormation `Metadata` list item, or the Terraform JSON `"//"` property. When only
    some of its codes are unused, it drops just those codes. The fix is safe: it changes no
    resource. Malformed suppressions have no fix.
    """
    return iter(())


UNUSED_SUPPRESSION: Rule = rule(
    code="PERF900",
    name="unused-suppression",
    title="Suppression that suppresses nothing, or cannot be read",
    severity=Severity.INFORMATION,
    terraform=("*",),
    cloudformation=("*",),
    fix=FixAvailability.SOMETIMES,
)(_reported_by_the_engine)


def _reported_for_unknown_values(_: Context) -> Iterator[Violation]:
    """
    ## What it does
    Reports, once per resource and rule, a rule that could not decide because a value it
    reads is unknown: `var.instance_type` with no default or tfvars value, a CloudFormation
    parameter without a `Default`, a resource attribute or a function known only when
    Terraform or CloudFormation runs. The finding names the rule, the attribute and the
    value, and sits on that value. A rule that reports something on the resource anyway
    is not repeated here.

    This rule is off by default: `report_unknown: true` in `.iacperf.yaml` (or the
    editor's `iacperf.reportUnknown` setting, or selecting `PERF901` by code or name)
    turns it on. Unknown values never produce warnings on their own (DESIGN.md, Values).

    ## Why is this bad?
    A check that cannot see a value stays silent, and silence reads like a pass. Listing
    what could not be evaluated shows where a default, a tfvars entry or a literal would
    let the checks run, and which resources were not really checked.

    ## Fix safety
    No fix: give the value a default, a tfvars entry or a literal where that is right, or
    leave it; the finding is information only.
    """
    return iter(())


UNKNOWN_VALUE: Rule = rule(
    code="PERF901",
    name="unknown-value",
    title="Rule could not be evaluated: a value it reads is unknown",
    severity=Severity.INFORMATION,
    terraform=("*",),
    cloudformation=("*",),
)(_reported_for_unknown_values)

#: Rules that run only when selected by code or name (or, PERF901, ``report_unknown``).
OPT_IN: frozenset[str] = frozenset({UNUSED_SUPPRESSION.code, UNKNOWN_VALUE.code})
