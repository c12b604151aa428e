"""Project rules find the same on the project cut down to what they say they read.

A project rule declares the resources (``project_reads``) and Terraform block types
(``project_blocks``) its check reads; the CLI's workers hand the main process only those
(``parallel.slim``). These tests run every project rule on whole projects and on their
cut-down copies and require the same findings: rule fixtures one by one and rule by rule,
the examples, hand-written projects with suppressions, and corpus folders when present.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from iacperf.rules.api import Rule, Scope
from iacperf.rules.model import Format, Template
from iacperf.rules.registry import all_rules
from iacperf.server.engine import Finding, lint
from iacperf.server.parallel import slim
from iacperf.server.parsing import detect, parse_text
from tests.rules.fixture_support import FIXTURES, fixture_files

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
PROJECT_RULES = [r for r in all_rules() if r.scope is Scope.PROJECT]


def _parse(path: Path) -> Template | None:
    if detect(str(path)) is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    template, _ = parse_text(str(path), text)
    return template


def _both(templates: Sequence[Template], rule: Rule) -> tuple[list[Finding], list[Finding]]:
    """What ``rule`` finds on ``templates`` whole, and on their cut-down copies (which hold
    no parse errors: those are found with the other rules)."""
    whole = [f for f in lint(templates, rules=[rule]) if f.rule is rule]
    cut = lint([slim(t, [rule]) for t in templates], rules=[rule])
    return whole, cut


def _projects_of_fixtures() -> Iterator[tuple[str, list[Template]]]:
    """Each fixture alone, then each rule's fixtures of one format together."""
    parsed = {path: _parse(path) for path in fixture_files()}
    for path, template in parsed.items():
        if template is not None:
            yield f"{path.parent.name}/{path.name}", [template]
    for folder in sorted(FIXTURES.iterdir()):
        for fmt in Format:
            together = [
                t
                for p, t in parsed.items()
                if t is not None and p.parent == folder and t.format is fmt
            ]
            if len(together) > 1:
                yield f"{folder.name}/*.{fmt.value}", together


@pytest.mark.parametrize("rule", PROJECT_RULES, ids=lambda r: r.code)
def test_rule_fixtures_give_the_same_findings_cut_down(rule: Rule) -> None:
    assert rule.project_reads is not None, f"{rule.code} reads every resource: say what it reads"
    found = 0
    dropped = 0
    for name, templates in _projects_of_fixtures():
        whole, cut = _both(templates, rule)
        assert cut == whole, name
        found += len(whole)
        dropped += sum(len(t.resources) - len(slim(t, [rule]).resources) for t in templates)
    # The comparison means something only when the rule finds things and the copies lack
    # resources.
    assert found and dropped


@pytest.mark.parametrize("rule", PROJECT_RULES, ids=lambda r: r.code)
def test_examples_give_the_same_findings_cut_down(rule: Rule) -> None:
    templates = [t for p in sorted((ROOT / "examples").rglob("*")) if (t := _parse(p))]
    whole, cut = _both(templates, rule)
    assert cut == whole


DATABASE_AND_POLICY = """
    Resources:
      Orders:
        Type: AWS::DynamoDB::Table
        Properties:
          BillingMode: PAY_PER_REQUEST
      Reader:
        Type: AWS::IAM::ManagedPolicy
        Properties:
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: !GetAtt Orders.Arn
      # iacperf:ignore PERF010 -- on a resource no project rule reads: left out with it
      Topic:
        Type: AWS::SNS::Topic
"""


def _template(path: str, text: str) -> Template:
    template, _ = parse_text(path, textwrap.dedent(text))
    assert template is not None and not template.errors
    return template


def test_a_table_read_by_a_policy_keeps_the_policy() -> None:
    perf036 = next(r for r in PROJECT_RULES if r.code == "PERF036")
    template = _template("/p/app.yaml", DATABASE_AND_POLICY)
    kept = slim(template, [perf036])
    assert [r.address for r in kept.resources] == ["Orders", "Reader"]
    whole, cut = _both([template], perf036)
    assert len(whole) == 1 and cut == whole


def test_suppressions_on_kept_resources_still_hide_project_findings() -> None:
    perf036 = next(r for r in PROJECT_RULES if r.code == "PERF036")
    suppressed = DATABASE_AND_POLICY.replace(
        "  Orders:\n", "  # iacperf:ignore PERF036 -- read rarely\n      Orders:\n", 1
    )
    template = _template("/p/app.yaml", suppressed)
    kept = slim(template, [perf036])
    assert [s.codes for s in template.suppressions] == [("PERF036",), ("PERF010",)]
    # The one on the topic, which the copy leaves out, goes with it; the table's stays.
    assert [s.codes for s in kept.suppressions] == [("PERF036",)]
    whole, cut = _both([template], perf036)
    assert whole == [] and cut == []


INSTANCE_AND_BALANCER = """
    Resources:
      Web:
        Type: AWS::EC2::Instance
        Properties:
          InstanceType: m7g.large
          UserData: !Base64 |
            #!/bin/bash
            yum install -y nginx
      Balancer:
        Type: AWS::ElasticLoadBalancingV2::LoadBalancer
        Properties:
          Type: network
"""

SWITCHED_OFF = """
    variable "enabled" {
      default = false
    }
    resource "aws_instance" "web" {
      count         = 0
      instance_type = "m7g.large"
      user_data     = "#!/bin/bash"
    }
"""


def test_what_a_rule_reads_only_the_place_of_comes_without_its_values() -> None:
    perf049 = next(r for r in PROJECT_RULES if r.code == "PERF049")
    template = _template("/p/app.yaml", INSTANCE_AND_BALANCER)
    web, balancer = slim(template, [perf049]).resources
    assert web.body.entries == () and [e.key for e in web.node.entries] == ["Type"]
    assert web.range == template.resources[0].range
    # Whose values it reads keeps them: the hint names a network load balancer's metric.
    assert balancer == template.resources[1]
    whole, cut = _both([template], perf049)
    assert len(whole) == 1 and "UnHealthyHostCount" in repr(whole[0].fix) and cut == whole


def test_without_its_values_a_resource_keeps_what_says_it_exists() -> None:
    perf049 = next(r for r in PROJECT_RULES if r.code == "PERF049")
    template = _template("/p/main.tf", SWITCHED_OFF)
    (web,) = slim(template, [perf049]).resources
    assert [e.key for e in web.body.entries] == ["count"]
    whole, cut = _both([template], perf049)
    assert whole == [] and cut == []


def _corpus_folders() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*/*") if p.is_dir())[::8]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_corpus_folders_give_the_same_findings_cut_down() -> None:
    found = 0
    for folder in _corpus_folders():
        templates = [
            t for p in sorted(folder.rglob("*")) if p.is_file() and (t := _parse(p)) is not None
        ]
        for rule in PROJECT_RULES:
            whole, cut = _both(templates, rule)
            assert cut == whole, f"{rule.code} on {folder}"
            found += len(whole)
    assert found
