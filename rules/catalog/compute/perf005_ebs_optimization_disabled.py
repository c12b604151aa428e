"""PERF005: EBS optimization explicitly disabled."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.compute._instance_types import TYPE_PATHS, ebs_optimization_optional
from iacperf.rules.edits import replace_value
from iacperf.rules.model import Node, Resource, ScalarNode
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF02_BP02

_FLAG_PATHS = {
    "aws_instance": "ebs_optimized",
    "aws_launch_template": "ebs_optimized",
    "aws_launch_configuration": "ebs_optimized",
    "AWS::EC2::Instance": "EbsOptimized",
    "AWS::EC2::LaunchTemplate": "LaunchTemplateData.EbsOptimized",
    "AWS::AutoScaling::LaunchConfiguration": "EbsOptimized",
}
#: Changing the flag in place: a launch template gets a new version. An instance is
#: stopped and started; a launch configuration is replaced.
_IN_PLACE = frozenset({"aws_launch_template", "AWS::EC2::LaunchTemplate"})


@rule(
    code="PERF005",
    name="ebs-optimization-disabled",
    title="EBS optimization explicitly disabled",
    severity=Severity.HINT,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_instance", "aws_launch_template", "aws_launch_configuration"),
    cloudformation=(
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
    ),
    evidence=(
        Link(
            "Amazon EBS-optimized instances",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ebs-optimized.html",
        ),
    ),
    well_architected=(PERF02_BP02,),
    compliance={"checkov": "CKV_AWS_135", "aws-config": "ebs-optimized-instance"},
    tags=("ec2", "compute", "ebs"),
)
def ebs_optimization_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags `ebs_optimized` / `EbsOptimized` (`LaunchTemplateData.EbsOptimized` in a
    CloudFormation launch template) set to false on instances, launch templates and
    launch configurations whose instance type supports EBS optimization without enabling
    it by default: `c1.xlarge`, `c3.xlarge`-`c3.4xlarge`, `g2.2xlarge`,
    `i2.xlarge`-`i2.4xlarge`, `m1.large`, `m1.xlarge`, `m2.2xlarge`, `m2.4xlarge`,
    `m3.xlarge`, `m3.2xlarge` and `r3.xlarge`-`r3.4xlarge`.

    ## Why is this bad?
    Without EBS optimization, EBS traffic shares the instance's network link with all
    other traffic, so volume throughput and latency vary with network load. An
    EBS-optimized instance has dedicated bandwidth to EBS; gp2 and io1 volumes are only
    designed to deliver their performance when attached to one.

    ## Fix safety
    Unsafe for instances and launch configurations: EC2 changes the attribute only on a
    stopped instance, and a launch configuration is replaced. Safe for launch templates,
    which get a new version. On these types EBS optimization adds a small hourly charge.

    ## Known limitations
    Catalog correction: the catalog flags every `false` except on families known to be
    EBS-optimized by default. Current-generation types are EBS-optimized by default and
    ignore the flag, while types that cannot be EBS-optimized at all (`t2`, `m1.small`,
    `c3.8xlarge` ...) fail to launch with it set to true. So the rule reports only the
    types above, and nothing when the instance type is unknown (a variable, a parameter,
    a launch template that leaves it to the launcher).
    """
    flag = next(resource.find(_FLAG_PATHS[resource.kind]), None)
    if flag is None or boolean(flag.value) is not False:
        return
    found = next(resource.find(TYPE_PATHS[resource.kind]), None)
    instance_type = text(found.value) if found is not None else None
    if instance_type is None or instance_type.strip().lower() not in ebs_optimization_optional():
        return
    edit = replace_value(resource, flag.value, _true_like(flag.value))
    title = "Enable EBS optimization"
    yield Violation(
        f"EBS optimization is off on {instance_type}, which supports it but does not enable "
        f"it by default, so EBS traffic shares the network link; set {flag.entry.key} to true",
        flag.value.range,
        Fix.safe(title, edit) if resource.kind in _IN_PLACE else Fix.unsafe(title, edit),
    )


def _true_like(node: Node) -> bool | str:
    """``true`` written the way the false was (Terraform launch templates take a string)."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return "true"
    return True
