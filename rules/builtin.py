"""Rules the engine itself reports (not part of the catalog of checks)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Rule, Severity, Violation, rule


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
