"""PERF001: EC2 previous-generation instance family."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import remove_item, replace_value
from iacperf.rules.generations import load
from iacperf.rules.model import Node, Resource, SequenceNode
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP01, PERF05_BP06

TYPES = load("ec2_previous_generation.json")

# Where each resource names instance types, and where it allows previous generations.
_TYPE_PATHS: dict[str, tuple[str, ...]] = {
    "aws_instance": ("instance_type",),
    "aws_launch_template": ("instance_type",),
    "aws_launch_configuration": ("instance_type",),
    "aws_autoscaling_group": ("mixed_instances_policy.launch_template.override.instance_type",),
    "AWS::EC2::Instance": ("InstanceType",),
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData.InstanceType",),
    "AWS::AutoScaling::LaunchConfiguration": ("InstanceType",),
    "AWS::AutoScaling::AutoScalingGroup": (
        "MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType",
    ),
}
_GENERATION_PATHS: dict[str, tuple[str, ...]] = {
    "aws_launch_template": ("instance_requirements.instance_generations",),
    "aws_autoscaling_group": (
        "mixed_instances_policy.launch_template.override.instance_requirements.instance_generations",
    ),
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData.InstanceRequirements.InstanceGenerations",),
    "AWS::AutoScaling::AutoScalingGroup": (
        "MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceRequirements.InstanceGenerations",
    ),
}


@rule(
    code="PERF001",
    name="ec2-previous-generation",
    title="EC2 previous-generation instance family",
    severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES,
    terraform=(
        "aws_instance",
        "aws_launch_template",
        "aws_launch_configuration",
        "aws_autoscaling_group",
    ),
    cloudformation=(
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
        "AWS::AutoScaling::AutoScalingGroup",
    ),
    evidence=(
        Link(
            "Amazon EC2 previous generation instance types",
            "https://docs.aws.amazon.com/ec2/latest/instancetypes/pg.html",
        ),
        Link(
            "Amazon EC2 previous generation instances",
            "https://aws.amazon.com/ec2/previous-generation/",
        ),
        Link(
            "What is AWS Compute Optimizer?",
            "https://docs.aws.amazon.com/compute-optimizer/latest/ug/what-is-compute-optimizer.html",
        ),
    ),
    well_architected=(PERF02_BP01, PERF05_BP06),
    compliance={"cfn-lint": "I3100", "tflint-ruleset-aws": "aws_instance_previous_type"},
    tags=("ec2", "compute", "previous-generation"),
)
def ec2_previous_generation(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags EC2 instance types of a previous-generation family (`m4`, `c4`, `r4`, `a1`, `t1`,
    `m1`-`m3`, `c1`, `c3`, `r3`, `i2`, `g3`, `p3` and the retired `cc2`, `cr1`, `hs1`, `p2` ...)
    on instances, launch templates, launch configurations and Auto Scaling group overrides,
    and attribute-based instance selection that allows the `previous` generation.
    T2 and D2 are current generation and are not flagged.

    ## Why is this bad?
    AWS recommends current-generation instances "for the best performance": they run on
    the Nitro system with faster processors, more memory bandwidth and enhanced networking,
    and usually cost less for the same size. Previous-generation capacity shrinks, so
    launches and scaling can fail.

    ## Fix safety
    Unsafe. The fix changes the type to the first current family of the same role that
    offers the same size and the same architecture (`m4.large` -> `m7i.large`; the
    Graviton choice, `m7g.large`, is named in the message because it needs an arm64 AMI).
    Changing the type stops and starts an instance and replaces a launch configuration;
    check that the AMI is HVM and has the ENA and NVMe drivers. Where no successor has the
    same size, the finding only names the current families; where another override of the
    same Auto Scaling group already lists (or is offered) the successor, it advises removing
    the override. For instance requirements the fix removes `previous` (or, when it is the
    only value, allows `current` instead).

    ## Known limitations
    Sizes are checked against the instance types offered in us-east-1.
    """
    for path in _TYPE_PATHS.get(resource.kind, ()):
        matches = list(resource.find(path))
        # Auto Scaling overrides: never suggest a type that is listed, or suggested, already.
        listed = {value.lower() for m in matches if (value := text(m.value)) is not None}
        for match in matches:
            value = text(match.value)
            if value is not None:
                violation = _previous_type(resource, match.value, value, listed)
                if violation is not None:
                    yield violation
    for path in _GENERATION_PATHS.get(resource.kind, ()):
        for match in resource.find(path):
            if isinstance(match.value, SequenceNode):
                yield from _previous_allowed(resource, match.value)


def _previous_type(
    resource: Resource, node: Node, value: str, listed: set[str]
) -> Violation | None:
    family, _, size = value.strip().lower().partition(".")
    if not size or not TYPES.is_previous(family):
        return None
    on_graviton = TYPES.is_graviton(value.lower())
    candidates = TYPES.candidates(family, size)
    same = [c for c in candidates if TYPES.is_graviton(c) == on_graviton]
    other = [c for c in candidates if TYPES.is_graviton(c) != on_graviton]
    message = f"EC2 instance type {value} is previous generation; "
    if same and same[0] in listed:
        return Violation(
            message + f"its successor {same[0]} is in the group already, so remove this override",
            node.range,
            Fix.display_only(f"Remove the {value} override"),
        )
    if same:
        listed.add(same[0])
        alternative = f" (or Graviton {other[0]}, with an arm64 AMI)" if other else ""
        edit = replace_value(resource, node, same[0])
        fix = Fix.unsafe(f"Change instance type to {same[0]}", edit)
        return Violation(message + f"use {same[0]}{alternative}", node.range, fix)
    families = _joined(TYPES.successors[family])
    advice = f"use a current family: {families}"
    if other:
        advice += f" ({other[0]} has the same size, on Graviton)"
    return Violation(
        message + advice,
        node.range,
        Fix.display_only(f"Choose a current-generation instance type ({families})"),
    )


def _previous_allowed(resource: Resource, generations: SequenceNode) -> Iterator[Violation]:
    for item in generations.items:
        if text(item) != "previous":
            continue
        if len(generations.items) > 1:
            edit = remove_item(resource, generations, item)
        else:
            edit = replace_value(resource, item, "current")
        yield Violation(
            'Instance requirements allow previous-generation instance types; allow only "current"',
            item.range,
            Fix.unsafe("Allow only current-generation instance types", edit),
        )


def _joined(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
