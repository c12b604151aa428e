"""Hover text: the evidence behind a finding, or what was checked on a resource."""

from __future__ import annotations

from collections.abc import Sequence

from iacperf.rules.api import Rule
from iacperf.rules.docgen import first_paragraph, page_url
from iacperf.rules.model import Resource
from iacperf.server import __version__
from iacperf.server.engine import Finding
from iacperf.server.unknowns import unknown_values

_COMPLIANCE_NAMES = {
    "iso_27001_2022": "ISO/IEC 27001:2022",
    "nist_800_53_r5": "NIST SP 800-53 Rev. 5",
    "soc2_tsc": "SOC 2 TSC",
}


def finding_markdown(finding: Finding, value_text: str) -> str:
    """Everything a reader needs to trust (or dismiss) one finding."""
    rule = finding.rule
    lines = [
        f"**{rule.code} · {rule.title}** ({finding.severity.value})",
        "",
        finding.message,
        "",
    ]
    why = first_paragraph(rule.doc, "Why is this bad?")
    if why:
        lines += [why, ""]
    if value_text:
        lines.append(f"Evaluated value: `{_one_line(value_text)}`")
        for related in finding.related:
            lines.append(f"- from {related.message} ({_where(related.path, related.range)})")
        lines.append("")
    if rule.well_architected:
        lines.append("Well-Architected:")
        lines += [f"- [{bp.id}]({bp.url}) {bp.title}" for bp in rule.well_architected]
        lines.append("")
    if rule.evidence:
        lines.append("Evidence:")
        lines += [f"- [{link.title}]({link.url})" for link in rule.evidence]
        lines.append("")
    if rule.compliance:
        names = [f"{_COMPLIANCE_NAMES.get(k, k)} {v}" for k, v in rule.compliance]
        lines += ["Compliance: " + "; ".join(names), ""]
    fix = finding.fix
    if fix is not None:
        lines.append(f"Fix ({fix.applicability.value}): {fix.title}")
        added = [edit.new_text for edit in fix.edits if edit.new_text.strip()]
        if added:
            lines += ["```", *(text.strip("\r\n") for text in added), "```"]
        lines.append("")
    lines.append(f"[{rule.code} documentation]({page_url(rule.code, __version__)})")
    return "\n".join(lines)


def resource_markdown(
    resource: Resource, rules: Sequence[Rule], findings: Sequence[Finding] = ()
) -> str:
    """For a resource header without a finding on it: the rules checked, the findings
    elsewhere in the resource, and what stayed unknown."""
    if findings:
        where = ", ".join(f"{f.code} (line {f.range.start.line + 1})" for f in findings)
        lines = [f"**{resource.address}** ({resource.kind}): {where}", ""]
    else:
        lines = [f"**{resource.address}** ({resource.kind}): no iacperf findings", ""]
    if rules:
        lines.append("Checked: " + ", ".join(f"{r.code} {r.title}" for r in rules))
    else:
        lines.append("No iacperf rule applies to this resource type.")
    unknown = sorted({path for path, _ in unknown_values(resource.body)})
    if unknown and rules:
        lines += [
            "",
            "Not known without running Terraform/CloudFormation, so checks that need them "
            "stay silent: " + ", ".join(f"`{p}`" for p in unknown[:12]),
        ]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def _where(path: str, source_range: object) -> str:
    start = source_range.start  # type: ignore[attr-defined]
    return f"{path}:{start.line + 1}:{start.character + 1}"
