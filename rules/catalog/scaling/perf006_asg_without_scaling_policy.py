"""PERF006: Auto Scaling group has no scaling policy or scheduled action."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import (
    Context,
    Fix,
    FixAvailability,
    Link,
    Scope,
    Severity,
    Violation,
    rule,
)
from iacperf.rules.edits import Block, NewResource, Raw, Value, insert_resources_after
from iacperf.rules.lifecycle import handed_to_module, ignores_changes
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
    Syntax,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF02_BP05

TARGET_CPU = 50
#: Tag keys of groups that Kubernetes (Cluster Autoscaler, Karpenter) scales.
EXTERNAL_SCALER_TAGS = ("k8s.io/cluster-autoscaler", "kubernetes.io/cluster/", "karpenter.sh")
#: Lifecycle-ignored attributes that say the capacity is changed outside Terraform.
_CAPACITY_ATTRIBUTES = frozenset({"desired_capacity", "min_size", "max_size"})


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    min_size: str
    max_size: str
    group_name: str
    scalers: tuple[str, ...]  # policies and scheduled actions, naming the group
    scaler_group: str
    capacity_provider: str
    provider_group: str
    plans: str
    tags: str


_KEYS = {
    Format.TERRAFORM: _Keys(
        min_size="min_size",
        max_size="max_size",
        group_name="name",
        scalers=("aws_autoscaling_policy", "aws_autoscaling_schedule"),
        scaler_group="autoscaling_group_name",
        capacity_provider="aws_ecs_capacity_provider",
        provider_group="auto_scaling_group_provider.auto_scaling_group_arn",
        plans="aws_autoscalingplans_scaling_plan",
        tags="tag",
    ),
    Format.CLOUDFORMATION: _Keys(
        min_size="MinSize",
        max_size="MaxSize",
        group_name="AutoScalingGroupName",
        scalers=("AWS::AutoScaling::ScalingPolicy", "AWS::AutoScaling::ScheduledAction"),
        scaler_group="AutoScalingGroupName",
        capacity_provider="AWS::ECS::CapacityProvider",
        provider_group="AutoScalingGroupProvider.AutoScalingGroupArn",
        plans="AWS::AutoScalingPlans::ScalingPlan",
        tags="Tags",
    ),
}


@rule(
    code="PERF006",
    name="asg-without-scaling-policy",
    title="Auto Scaling group has no scaling policy or scheduled action",
    severity=Severity.WARNING,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_autoscaling_group",),
    cloudformation=("AWS::AutoScaling::AutoScalingGroup",),
    evidence=(
        Link(
            "Target tracking scaling policies for Amazon EC2 Auto Scaling",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html",
        ),
        Link(
            "Predictive scaling for Amazon EC2 Auto Scaling",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-predictive-scaling.html",
        ),
        Link(
            "Scheduled scaling for Amazon EC2 Auto Scaling",
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html",
        ),
    ),
    well_architected=(PERF02_BP05,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CP-2(2); SC-5(2)",
        "soc2_tsc": "A1.1",
    },
    tags=("autoscaling", "scaling", "ec2"),
)
def asg_without_scaling_policy(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Auto Scaling groups that are allowed to grow (`max_size` / `MaxSize` greater than
    `min_size` / `MinSize`) when nothing in the same Terraform module or CloudFormation
    template changes their capacity: no scaling policy (`aws_autoscaling_policy` /
    `AWS::AutoScaling::ScalingPolicy`) and no scheduled action (`aws_autoscaling_schedule`
    / `AWS::AutoScaling::ScheduledAction`) names the group. Not flagged: groups scaled by
    someone else, namely an ECS capacity provider, an AWS Auto Scaling plan, Kubernetes
    (groups tagged for Cluster Autoscaler, Karpenter or as a cluster's nodes), a Terraform
    module call or nested stack that is handed the group, or a Terraform group whose
    `desired_capacity` is in `lifecycle { ignore_changes }`. Fixed-size groups
    (`min_size` equal to `max_size`) are left alone: they are kept for self-healing.

    ## Why is this bad?
    A group whose capacity never changes replaces failed instances but does not follow the
    load: it is either over-provisioned all the time or overwhelmed at peaks, and the gap
    between its minimum and maximum is never used. The Well-Architected Framework lists
    "react to alarms by manually increasing capacity" as an anti-pattern.

    ## Fix safety
    Unsafe. Where the group can be named (Terraform without `count`, `for_each` or a
    provider alias, CloudFormation without a `Condition`), the fix adds a target tracking
    policy after it that keeps the group's average CPU at 50%; otherwise it is advice only.
    The policy then moves the desired capacity between the minimum and the maximum, which
    changes cost; choose the metric and the target for the workload (request count per
    target for web tiers, a custom metric for queue workers) and consider predictive or
    scheduled scaling for cyclical load.

    ## Known limitations
    Policies made in another Terraform directory or stack, or by tooling that calls the
    Auto Scaling API, cannot be seen: suppress the finding with a reason. A policy or
    scheduled action whose group name comes from a variable or parameter is assumed to
    scale this group. The catalog's variant for fixed fleets (`min_size` equal to `max_size`
    above 1) is not reported, because a rule has one severity and such groups are usually
    deliberate.
    """
    keys = _KEYS[resource.format]
    low, high = number(resource.get(keys.min_size)), number(resource.get(keys.max_size))
    if low is None or high is None or high <= low:
        return  # fixed size, or not known
    if _scaled_elsewhere(resource, context, keys):
        return
    for kind in keys.scalers:
        for scaler in context.module_of_kind(kind):
            if _may_name(scaler.get(keys.scaler_group), resource, context, keys):
                return
    yield Violation(
        f"Auto Scaling group may run {low:g} to {high:g} instances but no scaling policy or "
        "scheduled action changes its capacity; add a target tracking policy",
        resource.header_range,
        _fix(resource, context),
    )


def _may_name(entry: Entry | None, group: Resource, context: Context, keys: _Keys) -> bool:
    """False only when the value provably names another group (or nothing)."""
    if entry is None:
        return False
    literal = text(entry)
    if literal is not None:
        name = group.get(keys.group_name)
        if name is None:
            prefix = text(group.get("name_prefix")) if group.format is Format.TERRAFORM else None
            return prefix is not None and literal.startswith(prefix)
        written = text(name)  # a name, or an ARN ending in autoScalingGroupName/<name>
        return written is None or literal == written or literal.endswith(f"/{written}")
    if refers_to(entry.value, group):
        return True
    return not _names_other_group(entry.value, group, context)


def _names_other_group(node: Node, group: Resource, context: Context) -> bool:
    if group.format is Format.TERRAFORM:
        return bool(terraform_names(node, group.kind) - {group.name})
    groups = {r.name for r in context.module_of_kind(group.kind)}
    return bool((cloudformation_ids(node) & groups) - {group.name})


# ---------------------------------------------------------------------------
# Capacity managed by someone else


def _scaled_elsewhere(group: Resource, context: Context, keys: _Keys) -> bool:
    if any(True for _ in context.module_of_kind(keys.plans)):
        return True  # a scaling plan selects its groups by tag or stack
    for provider in context.module_of_kind(keys.capacity_provider):
        arn = next(provider.find(keys.provider_group), None)
        if arn is not None and _may_name(arn.entry, group, context, keys):
            return True
    if _tagged_for_kubernetes(group, keys):
        return True
    if group.format is Format.TERRAFORM:
        return ignores_changes(group, _CAPACITY_ATTRIBUTES) or handed_to_module(
            group, context.top_blocks("module"), ("scal",)
        )
    return any(
        group.name in cloudformation_ids(parameters.value)
        for stack in context.module_of_kind("AWS::CloudFormation::Stack")
        if (parameters := stack.get("Parameters")) is not None
    )


def _tagged_for_kubernetes(group: Resource, keys: _Keys) -> bool:
    written = [w for entry in group.body.entries for w in _tag_texts(entry, keys.tags)]
    return any(marker in w for w in written for marker in EXTERNAL_SCALER_TAGS)


def _tag_texts(entry: Entry, tags: str) -> Iterator[str]:
    """What is written in the group's tags: ``tag {}`` blocks (also ``dynamic "tag"``), the
    legacy ``tags = [...]`` list, or CloudFormation ``Tags``."""
    if entry.key in (tags, "tags") or (entry.key == "dynamic" and entry.labels == (tags,)):
        yield from _texts(entry.value)


def _texts(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform expressions, intrinsics."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, IntrinsicNode):
        yield from _texts(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _texts(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield entry.key
            yield from _texts(entry.value)


def _fix(group: Resource, context: Context) -> Fix:
    title = f"Add a target tracking policy (average CPU {TARGET_CPU}%)"
    advice = Fix.display_only(title)
    if group.format is Format.TERRAFORM:
        if group.syntax is Syntax.JSON or any(
            group.get(key) is not None for key in ("count", "for_each", "provider")
        ):
            return advice  # the policy would need the same count, keys or provider
        return Fix.unsafe(title, insert_resources_after(group, _terraform_policy(group, context)))
    if group.node.get("Condition") is not None:
        return advice  # the policy would need the same condition
    return Fix.unsafe(title, insert_resources_after(group, _cloudformation_policy(group, context)))


def _terraform_policy(group: Resource, context: Context) -> NewResource:
    taken = {r.name for r in context.module_of_kind("aws_autoscaling_policy")}
    body: dict[str, Value] = {
        "name": f"{group.name.replace('_', '-')}-cpu-target",
        "autoscaling_group_name": Raw(f"{group.kind}.{group.name}.name"),
        "policy_type": "TargetTrackingScaling",
        "target_tracking_configuration": Block(
            {
                "predefined_metric_specification": Block(
                    {"predefined_metric_type": "ASGAverageCPUUtilization"}
                ),
                "target_value": TARGET_CPU,
            }
        ),
    }
    return NewResource("aws_autoscaling_policy", _unused(f"{group.name}_cpu", taken, "_"), body)


def _cloudformation_policy(group: Resource, context: Context) -> NewResource:
    taken = {r.name for r in context.module_of_kind("AWS::AutoScaling::ScalingPolicy")}
    reference: Value = (
        {"Ref": group.name} if group.syntax is Syntax.JSON else Raw(f"!Ref {group.name}")
    )
    body: dict[str, Value] = {
        "AutoScalingGroupName": reference,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": TARGET_CPU,
        },
    }
    return NewResource(
        "AWS::AutoScaling::ScalingPolicy", _unused(f"{group.name}CpuTargetTracking", taken), body
    )


def _unused(name: str, taken: set[str], separator: str = "") -> str:
    candidate, count = name, 2
    while candidate in taken:
        candidate = f"{name}{separator}{count}"
        count += 1
    return candidate
