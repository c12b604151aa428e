"""PERF017: ECS cluster without CloudWatch Container Insights."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Block, Edit, insert_value, replace_value
from iacperf.rules.model import Format, MappingNode, Node, Resource, SequenceNode
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP03, PERF05_BP02

CONTAINER_INSIGHTS = "containerInsights"
ENABLED = "enabled"
ON = frozenset({"enabled", "enhanced"})
_TITLE = "Enable CloudWatch Container Insights"


@rule(
    code="PERF017",
    name="ecs-container-insights-disabled",
    title="ECS cluster without CloudWatch Container Insights",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_ecs_cluster",),
    cloudformation=("AWS::ECS::Cluster",),
    evidence=(
        Link(
            "Monitor Amazon ECS containers using Container Insights with enhanced observability",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
            "cloudwatch-container-insights.html",
        ),
    ),
    well_architected=(PERF02_BP03, PERF05_BP02),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7; SI-2; AU-6(3); AU-6(4)",
        "soc2_tsc": "A1.1",
        "checkov": "CKV_AWS_65",
        "aws-security-hub": "ECS.12",
        "aws-config": "ecs-container-insights-enabled",
    },
    tags=("ecs", "containers", "monitoring", "cloudwatch"),
)
def ecs_container_insights_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ECS clusters without CloudWatch Container Insights: no `setting` block /
    `ClusterSettings` entry named `containerInsights`, or one whose value is `disabled`.
    `enabled` and `enhanced` (Container Insights with enhanced observability) pass; a
    setting whose name or value is not known is not flagged.

    ## Why is this bad?
    Without Container Insights, CloudWatch has no per-task and per-container CPU,
    memory, network and storage metrics: the data needed to right-size task definitions,
    tune service auto scaling and find the containers that slow a service down.

    ## Fix safety
    Safe: the setting is changed in place, without replacing the cluster or restarting
    its tasks. Container Insights is billed as custom metrics and log ingestion; the fix
    chooses `enabled`, and `enhanced` adds container-level detail at a higher cost.

    ## Known limitations
    An account-level default (`aws ecs put-account-setting-default --name
    containerInsights`) applies to clusters created without the setting and cannot be
    seen in the template; accounts that rely on it should ignore this rule in
    `.iacperf.yaml`.
    """
    if resource.format is Format.TERRAFORM:
        yield from _terraform(resource)
    else:
        yield from _cloudformation(resource)


def _terraform(resource: Resource) -> Iterator[Violation]:
    values: list[Node] = []
    for match in resource.find("setting"):  # also dynamic "setting" blocks
        if not isinstance(match.value, MappingNode):
            return  # not known
        name, value = match.value.get("name"), match.value.get("value")
        if name is None or value is None or text(name) is None:
            return  # not known
        if text(name) == CONTAINER_INSIGHTS:
            values.append(value.value)
    if not values:
        block = Block({"name": CONTAINER_INSIGHTS, "value": ENABLED})
        yield _absent(resource, "setting block", insert_value(resource, ["setting"], block))
        return
    yield from _disabled(resource, values)


def _cloudformation(resource: Resource) -> Iterator[Violation]:
    settings = resource.get("ClusterSettings")
    wanted = [{"Name": CONTAINER_INSIGHTS, "Value": ENABLED}]
    if settings is None:
        edit = insert_value(resource, ["ClusterSettings"], wanted)
        yield _absent(resource, "ClusterSettings entry", edit)
        return
    if not isinstance(settings.value, SequenceNode):
        return  # not known
    values: list[Node] = []
    for item in settings.value.items:
        if not isinstance(item, MappingNode):
            return  # not known
        name, value = item.get("Name"), item.get("Value")
        if name is None or value is None or text(name) is None:
            return  # not known
        if text(name) == CONTAINER_INSIGHTS:
            values.append(value.value)
    if values:
        yield from _disabled(resource, values)
    elif not settings.value.items:
        yield Violation(
            f"ECS cluster has no {CONTAINER_INSIGHTS} setting, so CloudWatch Container "
            f"Insights is off; set it to {ENABLED} (or enhanced)",
            settings.key_range,
            Fix.safe(_TITLE, replace_value(resource, settings.value, wanted)),
        )


def _absent(resource: Resource, what: str, edit: Edit) -> Violation:
    return Violation(
        f"ECS cluster has no {CONTAINER_INSIGHTS} {what}, so CloudWatch Container Insights is "
        f"off; add it with {ENABLED} (or enhanced)",
        resource.header_range,
        Fix.safe(_TITLE, edit),
    )


def _disabled(resource: Resource, values: list[Node]) -> Iterator[Violation]:
    for value in values:
        written = text(value)
        if written is None or written in ON:
            continue
        yield Violation(
            f"CloudWatch Container Insights is {written} for this ECS cluster; set "
            f"{CONTAINER_INSIGHTS} to {ENABLED} (or enhanced)",
            value.range,
            Fix.safe(_TITLE, replace_value(resource, value, ENABLED)),
        )
