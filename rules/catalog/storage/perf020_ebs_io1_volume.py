"""PERF020: EBS io1 volume (consider io2 Block Express)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import replace_value
from iacperf.rules.model import Node, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF03_BP02

IO1 = "io1"
IO2 = "io2"
# Where each resource keeps its volume types (EBS) or storage type (RDS).
_PATHS: dict[str, tuple[str, ...]] = {
    "aws_ebs_volume": ("type",),
    "aws_instance": ("root_block_device.volume_type", "ebs_block_device.volume_type"),
    "aws_launch_template": ("block_device_mappings.ebs.volume_type",),
    "aws_launch_configuration": ("root_block_device.volume_type", "ebs_block_device.volume_type"),
    "aws_db_instance": ("storage_type",),
    "AWS::EC2::Volume": ("VolumeType",),
    "AWS::EC2::Instance": ("BlockDeviceMappings[].Ebs.VolumeType",),
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType",),
    "AWS::AutoScaling::LaunchConfiguration": ("BlockDeviceMappings[].Ebs.VolumeType",),
    "AWS::RDS::DBInstance": ("StorageType",),
}
_RDS_KINDS = frozenset({"aws_db_instance", "AWS::RDS::DBInstance"})


@rule(
    code="PERF020",
    name="ebs-io1-volume",
    title="EBS io1 volume (consider io2 Block Express)",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=(
        "aws_ebs_volume",
        "aws_instance",
        "aws_launch_template",
        "aws_launch_configuration",
        "aws_db_instance",
    ),
    cloudformation=(
        "AWS::EC2::Volume",
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
        "AWS::RDS::DBInstance",
    ),
    evidence=(
        Link(
            "Amazon EBS Provisioned IOPS SSD volumes",
            "https://docs.aws.amazon.com/ebs/latest/userguide/provisioned-iops.html",
        ),
        Link(
            "Amazon RDS DB instance storage",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html",
        ),
    ),
    well_architected=(PERF03_BP02,),
    tags=("ebs", "rds", "storage"),
)
def ebs_io1_volume(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Provisioned IOPS storage of type `io1`: EBS volumes (`aws_ebs_volume` /
    `AWS::EC2::Volume`), the block device mappings of instances, launch templates and
    launch configurations, and RDS DB instances (`storage_type` / `StorageType`). Aurora
    instances are skipped: their storage belongs to the cluster.

    ## Why is this bad?
    io2 Block Express costs the same per GiB and per provisioned IOPS as io1 (less above
    32,000 IOPS) and gives more for it: 99.999% durability instead of 99.8-99.9%,
    sub-millisecond latency on Nitro instances, up to 1,000 IOPS per GiB instead of 50,
    and up to 256,000 IOPS and 64 TiB per volume instead of 64,000 IOPS and 16 TiB.

    ## Fix safety
    Unsafe. The fix changes `io1` to `io2` and keeps the provisioned IOPS, which are valid
    for io2 at any size. An existing volume or RDS instance changes type in place, without
    a restart, but the volume cannot be modified again for six hours (RDS: while storage is
    optimised), and `ebs_block_device`, launch configurations and CloudFormation instance
    mappings are replaced. On instances that are not built on the Nitro system io2 performs
    like io1; check Multi-Attach setups (io2 uses NVMe reservations) and, for RDS, that
    the engine version and instance class support io2.

    Catalog correction: `AWS::AutoScaling::LaunchConfiguration` is checked too, the
    CloudFormation counterpart of `aws_launch_configuration`, which the catalog lists only
    for Terraform.
    """
    if resource.kind == "AWS::RDS::DBInstance" and _is_aurora_member(resource):
        return
    for path in _PATHS.get(resource.kind, ()):
        for match in resource.find(path):
            if text(match.value) == IO1:
                yield _violation(resource, match.value)


def _violation(resource: Resource, node: Node) -> Violation:
    what = "RDS storage type" if resource.kind in _RDS_KINDS else "EBS volume type"
    return Violation(
        f"{what} is {IO1}; use {IO2} (Block Express): the same price for the same IOPS, "
        "with 100 times the durability and lower latency",
        node.range,
        Fix.unsafe(f"Change {what.split()[1]} type to {IO2}", replace_value(resource, node, IO2)),
    )


def _is_aurora_member(resource: Resource) -> bool:
    """Aurora instances ignore StorageType: the cluster manages storage."""
    engine = (text(resource.get("Engine")) or "").lower()
    return resource.get("DBClusterIdentifier") is not None or engine.startswith("aurora")
