"""PERF007: Simple scaling policy used instead of target tracking."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Severity, Violation, rule
from iacperf.rules.model import Format, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP05

SIMPLE = "SimpleScaling"
TARGET_TRACKING = "TargetTrackingScaling"


@rule(
    code="PERF007",
    name="simple-scaling-policy",
    title="Simple scaling policy used instead of target tracking",
    severity=Severity.INFORMATION,
    terraform=("aws_autoscaling_policy",),
    cloudformation=("AWS::AutoScaling::ScalingPolicy",),
    evidence=(
        Link(
            "Target tracking scaling policies for Amazon EC2 Auto Scaling",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html",
        ),
        Link(
            "Predictive scaling for Amazon EC2 Auto Scaling",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-predictive-scaling.html",
        ),
    ),
    well_architected=(PERF02_BP05,),
    compliance={"iso_27001_2022": "A.8.6", "soc2_tsc": "A1.1"},
    tags=("autoscaling", "scaling", "ec2"),
)
def simple_scaling_policy(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags EC2 Auto Scaling policies of type `SimpleScaling`: `policy_type` / `PolicyType`
    absent (simple scaling is the default) or set to `SimpleScaling`. Step, target
    tracking and predictive scaling policies are not flagged, nor a type that comes from a
    variable or parameter.

    ## Why is this bad?
    A simple scaling policy adds or removes a fixed number of instances when its alarm
    fires, then ignores every alarm until the cooldown has passed, so it reacts late and
    coarsely to fast-changing load. A target tracking policy keeps a metric (average CPU,
    requests per target) at a target and sizes each adjustment to the gap; AWS recommends
    it for most workloads, with step scaling for metrics that are not a utilisation and
    predictive scaling for cyclical load.

    ## Fix safety
    No automatic fix: target tracking needs a metric and a target value that suit the
    workload, and it replaces the CloudWatch alarms that trigger the simple policy. The
    hint suggests `TargetTrackingScaling` with a `target_tracking_configuration` /
    `TargetTrackingConfiguration`.
    """
    key = "policy_type" if resource.format is Format.TERRAFORM else "PolicyType"
    config = (
        "target_tracking_configuration"
        if resource.format is Format.TERRAFORM
        else "TargetTrackingConfiguration"
    )
    advice = Fix.display_only(f"Use {key} {TARGET_TRACKING} with a {config}")
    entry = resource.get(key)
    if entry is None:
        yield Violation(
            f"Scaling policy has no {key}, so it is {SIMPLE}: it adds a fixed step and then "
            f"waits out a cooldown; use {TARGET_TRACKING}",
            resource.header_range,
            advice,
        )
    elif text(entry) == SIMPLE:
        yield Violation(
            f"Scaling policy is {SIMPLE}: it adds a fixed step and then waits out a cooldown; "
            f"use {TARGET_TRACKING}",
            entry.value.range,
            advice,
        )
