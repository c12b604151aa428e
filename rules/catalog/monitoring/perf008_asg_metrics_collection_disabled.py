"""PERF008: Auto Scaling group metrics collection not enabled."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Edit, insert_value, replace_value
from iacperf.rules.model import Format, Resource, SequenceNode
from iacperf.rules.wellarchitected import PERF02_BP03, PERF05_BP02

#: The group metrics the Terraform fix enables (``metrics_granularity`` defaults to 1Minute).
GROUP_METRICS = (
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupTotalInstances",
)
#: CloudFormation: a collection without ``Metrics`` collects every group metric.
ALL_METRICS = ({"Granularity": "1Minute"},)
_REMEDY = "collect them (GroupDesiredCapacity, GroupInServiceInstances ...) every minute"


@rule(
    code="PERF008",
    name="asg-metrics-collection-disabled",
    title="Auto Scaling group metrics collection not enabled",
    severity=Severity.HINT,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_autoscaling_group",),
    cloudformation=("AWS::AutoScaling::AutoScalingGroup",),
    evidence=(
        Link(
            "Monitor CloudWatch metrics for your Auto Scaling groups and instances",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html",
        ),
    ),
    well_architected=(PERF02_BP03, PERF05_BP02),
    compliance={"iso_27001_2022": "A.8.6", "nist_800_53_r5": "CA-7", "soc2_tsc": "A1.1"},
    tags=("autoscaling", "monitoring", "cloudwatch"),
)
def asg_metrics_collection_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Auto Scaling groups that collect no group metrics: `enabled_metrics` /
    `MetricsCollection` absent or an empty list. A list from a variable or parameter is
    not judged.

    ## Why is this bad?
    Group metrics (`GroupDesiredCapacity`, `GroupInServiceInstances`,
    `GroupPendingInstances` ...) show how the group's capacity follows the load: whether it
    scales out in time, hits its maximum, or keeps instances pending. Without them scaling
    behaviour cannot be reviewed or alarmed on. At 1-minute granularity they cost nothing.

    ## Fix safety
    Safe: metrics collection is switched on in place. In Terraform the fix enables the
    size and capacity metrics (`GroupMinSize`, `GroupMaxSize`, `GroupDesiredCapacity`,
    `GroupInServiceInstances`, `GroupTotalInstances`); in CloudFormation it adds one
    `MetricsCollection` entry with granularity `1Minute` and no metric list, which
    collects every group metric.
    """
    terraform = resource.format is Format.TERRAFORM
    key = "enabled_metrics" if terraform else "MetricsCollection"
    value: object = list(GROUP_METRICS) if terraform else list(ALL_METRICS)
    entry = resource.get(key)
    if entry is None:
        yield _violation(
            f"Auto Scaling group has no {key}, so it publishes no group metrics; {_REMEDY}",
            resource,
            insert_value(resource, [key], value),
        )
    elif isinstance(entry.value, SequenceNode) and not entry.value.items:
        yield Violation(
            f"{key} is empty, so the Auto Scaling group publishes no group metrics; {_REMEDY}",
            entry.value.range,
            _fix(replace_value(resource, entry.value, value)),
        )


def _violation(message: str, resource: Resource, edit: Edit) -> Violation:
    return Violation(message, resource.header_range, _fix(edit))


def _fix(edit: Edit) -> Fix:
    return Fix.safe("Enable Auto Scaling group metrics", edit)
