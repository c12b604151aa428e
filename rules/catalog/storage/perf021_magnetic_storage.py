"""PERF021: Magnetic ('standard') EBS or RDS storage."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Edit, replace_value
from iacperf.rules.model import Match, Node, Resource, ScalarNode
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP02, PERF05_BP06

MAGNETIC = "standard"
SUCCESSOR = "gp3"
# Where each resource keeps its volume types, and whether the change is in place. Magnetic
# volumes cannot be changed through Elastic Volumes, so only launch templates (which affect
# new launches only) change without replacing or copying existing storage.
_EBS_PATHS: dict[str, tuple[tuple[str, bool], ...]] = {
    "aws_ebs_volume": (("type", False),),
    "aws_instance": (
        ("root_block_device.volume_type", False),
        ("ebs_block_device.volume_type", False),
    ),
    "aws_launch_template": (("block_device_mappings.ebs.volume_type", True),),
    "aws_launch_configuration": (
        ("root_block_device.volume_type", False),
        ("ebs_block_device.volume_type", False),
    ),
    "AWS::EC2::Volume": (("VolumeType", False),),
    "AWS::EC2::Instance": (("BlockDeviceMappings[].Ebs.VolumeType", False),),
    "AWS::EC2::LaunchTemplate": (
        ("LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType", True),
    ),
    "AWS::AutoScaling::LaunchConfiguration": (("BlockDeviceMappings[].Ebs.VolumeType", False),),
}
_DATA_VOLUME_KINDS = frozenset({"aws_ebs_volume", "AWS::EC2::Volume"})
# RDS: (storage type key, allocated storage key).
_RDS_KEYS = {
    "aws_db_instance": ("storage_type", "allocated_storage"),
    "AWS::RDS::DBInstance": ("StorageType", "AllocatedStorage"),
}
RDS_GP3_MIN_GIB = 20  # gp3 starts at 20 GiB on every RDS engine; magnetic went down to 5 GiB


@rule(
    code="PERF021",
    name="magnetic-storage",
    title="Magnetic ('standard') EBS or RDS storage",
    severity=Severity.WARNING,
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
            "Amazon EBS volume types: previous generation volumes",
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html#vol-type-prev",
        ),
        Link(
            "Amazon RDS DB instance storage",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html",
        ),
        Link(
            "I/O-intensive storage modifications (Amazon RDS)",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.IOIntensive.html",
        ),
    ),
    well_architected=(PERF03_BP02, PERF05_BP06),
    tags=("ebs", "rds", "storage"),
)
def magnetic_storage(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags storage of type `standard` (Magnetic): EBS volumes (`aws_ebs_volume` /
    `AWS::EC2::Volume`), the block device mappings of instances, launch templates and
    launch configurations, and RDS DB instances (`storage_type` / `StorageType`).

    ## Why is this bad?
    Magnetic is a previous-generation volume type: about 100 IOPS on average with bursts to
    hundreds, and high, variable latency. gp3 gives 3,000 IOPS and 125 MiB/s at any size
    and usually costs less per GiB. For cold data that is read sequentially, `sc1` is the
    current-generation low-cost choice on EBS.

    ## Fix safety
    The fix sets the type to `gp3`. It is safe only for launch templates, where it changes
    what new instances get. Everywhere else it is unsafe: Elastic Volumes cannot modify
    magnetic volumes, so an EBS volume has to be recreated (for example from a snapshot),
    `ebs_block_device` and launch configurations are replaced, and RDS copies the whole
    database in an I/O-intensive operation that loads the instance while it runs. On RDS the
    fix also raises `allocated_storage` / `AllocatedStorage` to 20 GiB when it is smaller,
    the gp3 minimum.
    """
    for path, in_place in _EBS_PATHS.get(resource.kind, ()):
        for match in resource.find(path):
            if text(match.value) == MAGNETIC:
                yield _ebs_violation(resource, match, path, in_place)
    keys = _RDS_KEYS.get(resource.kind)
    if keys is not None and not _is_aurora_member(resource):
        entry = resource.get(keys[0])
        if entry is not None and text(entry) == MAGNETIC:
            yield _rds_violation(resource, entry.value, keys[1])


def _ebs_violation(resource: Resource, match: Match, path: str, in_place: bool) -> Violation:
    edit = replace_value(resource, match.value, SUCCESSOR)
    title = "Change volume type to gp3"
    # sc1 cannot boot an instance: suggest it only where the volume is surely a data volume.
    data_volume = resource.kind in _DATA_VOLUME_KINDS or path.startswith("ebs_block_device.")
    remedy = "use gp3, or sc1 for cold data" if data_volume else "use gp3"
    return Violation(
        f"EBS volume type is standard (previous-generation magnetic); {remedy}",
        match.value.range,
        Fix.safe(title, edit) if in_place else Fix.unsafe(title, edit),
    )


def _rds_violation(resource: Resource, value: Node, size_key: str) -> Violation:
    edits: list[Edit] = [replace_value(resource, value, SUCCESSOR)]
    title = "Change storage type to gp3"
    size = resource.get(size_key)
    allocated = number(size)
    if size is not None and allocated is not None and allocated < RDS_GP3_MIN_GIB:
        assert isinstance(size.value, ScalarNode)
        # Keep the value's type: CloudFormation templates often write sizes as strings.
        new_size: int | str = RDS_GP3_MIN_GIB
        if isinstance(size.value.value, str):
            new_size = str(RDS_GP3_MIN_GIB)
        edits.append(replace_value(resource, size.value, new_size))
        title = f"Change storage type to gp3 and allocated storage to {RDS_GP3_MIN_GIB} GiB"
    return Violation(
        "RDS storage type is standard (previous-generation magnetic); use gp3",
        value.range,
        Fix.unsafe(title, *edits),
    )


def _is_aurora_member(resource: Resource) -> bool:
    """Aurora instances ignore StorageType: the cluster manages storage."""
    if resource.kind != "AWS::RDS::DBInstance":
        return False
    engine = text(resource.get("Engine")) or ""
    return resource.get("DBClusterIdentifier") is not None or engine.startswith("aurora")
