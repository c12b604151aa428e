"""PERF002: x86 EC2 family with a Graviton (arm64) equivalent."""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.compute._instance_types import TYPE_PATHS, is_arm, split
from iacperf.rules.generations import load
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Match,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.references import cloudformation_ids, terraform_names
from iacperf.rules.values import boolean, strings, text
from iacperf.rules.wellarchitected import PERF02_BP01, PERF02_BP04

#: x86 family -> Graviton equivalents, with the sizes those offer.
GRAVITON = load("ec2_graviton_equivalents.json")

_OVERRIDE_PATHS = {
    "aws_autoscaling_group": "mixed_instances_policy.launch_template.override.instance_type",
    "AWS::AutoScaling::AutoScalingGroup": (
        "MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType"
    ),
}
_IMAGE_PATHS = {
    "aws_instance": "ami",
    "aws_launch_template": "image_id",
    "aws_launch_configuration": "image_id",
    "AWS::EC2::Instance": "ImageId",
    "AWS::EC2::LaunchTemplate": "LaunchTemplateData.ImageId",
    "AWS::AutoScaling::LaunchConfiguration": "ImageId",
}
_TEMPLATE_KINDS = {
    "aws_autoscaling_group": "aws_launch_template",
    "AWS::AutoScaling::AutoScalingGroup": "AWS::EC2::LaunchTemplate",
}
#: Words in an AMI name, filter or SSM parameter that pin it to x86 (or to Windows, which
#: has no arm64 AMIs on EC2).
_X86_IMAGE = re.compile(r"x86_64|amd64|windows", re.IGNORECASE)
_X86_ARCHITECTURES = frozenset({"x86_64", "x86_64_mac", "i386"})


@rule(
    code="PERF002",
    name="ec2-x86-graviton-available",
    title="x86 EC2 family with a Graviton (arm64) equivalent",
    severity=Severity.HINT,
    scope=Scope.MODULE,
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
        Link("AWS Graviton Processor", "https://aws.amazon.com/ec2/graviton/"),
        Link("AWS Graviton Technical Guide", "https://github.com/aws/aws-graviton-getting-started"),
        Link(
            "What is AWS Compute Optimizer?",
            "https://docs.aws.amazon.com/compute-optimizer/latest/ug/what-is-compute-optimizer.html",
        ),
    ),
    well_architected=(PERF02_BP01, PERF02_BP04),
    tags=("ec2", "compute", "graviton"),
    # Its verdict rests on the AMI, which a module call usually passes in from a data
    # source of the caller: through a call it would guess.
    through_module_calls=False,
)
def ec2_x86_graviton_available(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags x86 instance types whose family has a like-for-like AWS Graviton (arm64)
    equivalent (`t3` -> `t4g`, `m5`/`m6i` -> `m7g`, `c5` -> `c7g`, `r6i` -> `r7g`,
    `i3` -> `i4g` ...) on instances, launch templates, launch configurations and the
    instance type overrides of Auto Scaling groups, and names the Graviton type of the
    same size. Not flagged: an image pinned to x86 (a Terraform `data "aws_ami"` filtered
    on architecture `x86_64` or on a name with `x86_64`/`amd64`/`Windows`, an SSM
    parameter path saying so, or an instance with `get_password_data`, which only Windows
    uses), and Auto Scaling groups whose overrides already mix in a Graviton type.

    ## Why is this bad?
    Graviton instances give up to 40% better price-performance than comparable x86
    instances and use less energy for the same work. Most Linux workloads (interpreted
    languages, JVM, containers built for both architectures) move with an image rebuild.

    ## Fix safety
    No automatic fix: the instance needs an arm64 AMI, and native binaries, agents and
    container images must be built for arm64, so the change is a migration to benchmark
    first. The hint names the Graviton type of the same size (`m6i.large` -> `m7g.large`);
    where no equivalent family offers that size, it names the families.

    ## Known limitations
    Catalog correction: CloudFormation Auto Scaling group overrides
    (`MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType`) are checked like
    their Terraform counterpart, which the catalog lists alone. An AMI passed in through a
    variable, parameter or mapping is not read yet (a CloudFormation parameter whose
    default is an `x86_64` SSM path, for instance, still gets the hint), and x86-only
    software (commercial agents, Windows from a custom AMI, SQL Server licensing) cannot be
    seen: suppress those findings with a reason. Sizes are checked against the instance
    types offered in us-east-1.
    """
    if _x86_only_image(resource, context):
        return
    path = TYPE_PATHS.get(resource.kind) or _OVERRIDE_PATHS[resource.kind]
    matches = list(resource.find(path))
    values = [(match, text(match.value)) for match in matches]
    if resource.kind in _OVERRIDE_PATHS and any(
        (parts := split(value)) is not None and is_arm(parts[0])
        for _, value in values
        if value is not None
    ):
        return  # the group mixes architectures on purpose (EKS/ECS capacity)
    for match, value in values:
        if value is not None:
            violation = _x86_type(match, value)
            if violation is not None:
                yield violation


def _x86_type(match: Match, value: str) -> Violation | None:
    parts = split(value)
    if parts is None or not GRAVITON.is_previous(parts[0]):
        return None
    family, size = parts
    candidates = GRAVITON.candidates(family, size)
    message = f"EC2 instance type {value} is x86; "
    if candidates:
        return Violation(
            message + f"its Graviton equivalent {candidates[0]} gives better "
            "price-performance (needs an arm64 AMI)",
            match.value.range,
            Fix.display_only(f"Consider {candidates[0]} (Graviton) with an arm64 AMI"),
        )
    families = " or ".join(GRAVITON.successors[family])
    return Violation(
        message + f"Graviton families {families} give better price-performance, in a size "
        f"they offer (needs an arm64 AMI)",
        match.value.range,
        Fix.display_only(f"Consider a Graviton type ({families}) with an arm64 AMI"),
    )


# ---------------------------------------------------------------------------
# Images pinned to x86


def _x86_only_image(resource: Resource, context: Context) -> bool:
    if resource.format is Format.TERRAFORM and boolean(resource.get("get_password_data")):
        return True  # the Windows administrator password: a Windows AMI
    for launcher in _launchers(resource, context):
        image = next(launcher.find(_IMAGE_PATHS[launcher.kind]), None)
        if image is not None and _pinned_to_x86(image.value, launcher, context):
            return True
    return False


def _launchers(resource: Resource, context: Context) -> Iterator[Resource]:
    """The resource, or for an Auto Scaling group the launch templates it names."""
    template_kind = _TEMPLATE_KINDS.get(resource.kind)
    if template_kind is None:
        yield resource
        return
    terraform = resource.format is Format.TERRAFORM
    policy = resource.get("mixed_instances_policy" if terraform else "MixedInstancesPolicy")
    if policy is None:
        return
    if terraform:
        named = terraform_names(policy.value, template_kind)
    else:
        named = cloudformation_ids(policy.value)
    for template in context.module_of_kind(template_kind):
        if template.name in named:
            yield template


def _pinned_to_x86(node: Node, launcher: Resource, context: Context) -> bool:
    literal = text(node)
    if literal is not None:
        return bool(_X86_IMAGE.search(literal))  # {{resolve:ssm:/aws/service/...}}
    if isinstance(node, IntrinsicNode):  # !Sub '{{resolve:ssm:...x86_64...}}'
        return any(_X86_IMAGE.search(written) for written in _literals(node))
    if not isinstance(node, ExpressionNode) or launcher.format is not Format.TERRAFORM:
        return False
    sources = {_data_source(reference) for reference in node.references}
    for labels, body in context.blocks_of("data"):
        if labels[:2] in sources and _data_pins_x86(labels[0], body):
            return True
    return False


def _data_source(reference: str) -> tuple[str, ...]:
    """``("aws_ami", "ubuntu")`` for ``data.aws_ami.ubuntu.id``."""
    parts = reference.split(".")
    return tuple(parts[1:3]) if len(parts) >= 3 and parts[0] == "data" else ()


def _data_pins_x86(kind: str, body: MappingNode) -> bool:
    if kind == "aws_ssm_parameter":
        return _says_x86(body.get("name"))
    if kind != "aws_ami":
        return False
    if _says_x86(body.get("name_regex")):
        return True
    for entry in body.all("filter"):
        if not isinstance(entry.value, MappingNode):
            continue
        name = text(entry.value.get("name"))
        values = entry.value.get("values")
        if name == "architecture":
            written = strings(values)
            if written and set(written) <= _X86_ARCHITECTURES:
                return True
        elif name in ("name", "description", "platform") and _says_x86(values):
            return True
    return False


def _says_x86(entry: Entry | None) -> bool:
    """True when the text written (templates included: ``"ubuntu-${var.v}-amd64-*"``)
    names x86 or Windows."""
    return entry is not None and any(_X86_IMAGE.search(w) for w in _literals(entry.value))


def _literals(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform templates, intrinsic arguments."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, IntrinsicNode):
        yield from _literals(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _literals(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _literals(entry.value)
