"""Rule metadata against ../shared/spec/rule-catalog.yaml: every compliance reference and
peer-tool anchor the catalog gives for a rule is on the rule, and nothing else is."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml

from iacperf.rules.api import cleandoc
from iacperf.rules.registry import all_rules

CATALOG = Path(__file__).parents[2].parent / "shared" / "spec" / "rule-catalog.yaml"
#: The catalog's tool names -> the rule metadata's keys.
TOOLS = {
    "checkov": "checkov",
    "cfn-lint": "cfn-lint",
    "AWS Config": "aws-config",
    "AWS Security Hub": "aws-security-hub",
    "tflint-ruleset-aws": "tflint-ruleset-aws",
}
#: Anchors the catalog lists that check something else, so they are not the rule's peers.
NOT_PEERS = {
    ("PERF013", "E2530"),  # validates which runtimes support SnapStart
    ("PERF039", "W3704"),  # ForwardedValues ignored next to a CachePolicyId
}
COMPLIANCE = ("iso_27001_2022", "nist_800_53_r5", "soc2_tsc")


def _from_catalog(code: str, entry: dict[str, object]) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    compliance = entry["compliance"]
    assert isinstance(compliance, dict)
    for key in COMPLIANCE:
        if compliance.get(key):
            found[key] = [str(compliance[key])]
    anchors = entry.get("anchors") or []
    assert isinstance(anchors, list)
    for anchor in anchors:
        key = TOOLS.get(anchor["tool"])  # Compute Optimizer: a run-time service, no rule id
        if key is None or (code, anchor["id"]) in NOT_PEERS:
            continue
        found.setdefault(key, []).extend(str(anchor["id"]).split(" / "))
        # Security Hub controls name the AWS Config rule behind them.
        config = re.search(r"\(Config: ([\w-]+)\)", str(anchor.get("note", "")))
        if config is not None:
            found.setdefault("aws-config", []).append(config.group(1))
    return {key: "; ".join(values) for key, values in found.items()}


@pytest.mark.skipif(not CATALOG.exists(), reason=f"no rule catalog at {CATALOG}")
def test_compliance_and_anchors_are_the_catalogs() -> None:
    catalog = {entry["id"]: entry for entry in yaml.safe_load(CATALOG.read_text())["rules"]}
    rules = all_rules()
    assert {r.code for r in rules} == set(catalog)
    for r in rules:
        assert dict(r.compliance) == _from_catalog(r.code, catalog[r.code]), r.code


@pytest.mark.parametrize(
    "doc",
    [
        "",
        "one line",
        "\n    indented\n      more\n\n    back\n   ",
        "  first\n\tTabbed\n\t  deeper\n",
        "\n\n\n",
        *(r.check.__doc__ or "" for r in all_rules()),
    ],
)
def test_cleandoc_is_inspects(doc: str) -> None:
    assert cleandoc(doc) == inspect.cleandoc(doc)
