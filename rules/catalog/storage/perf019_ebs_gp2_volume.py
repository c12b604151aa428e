"""PERF019: EBS gp2 volume (migrate to gp3)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Edit, insert_entry, insert_value, replace_value
from iacperf.rules.model import Format, Match, Resource
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP02, PERF05_BP06

# Where each resource keeps its volume types, and whether changing one is in place.
# aws_instance ebs_block_device and launch configurations force replacement.
_PATHS: dict[str, tuple[tuple[str, bool], ...]] = {
    "aws_ebs_volume": (("type", True),),
    "aws_instance": (
        ("root_block_device.volume_type", True),
        ("ebs_block_device.volume_type", False),
    ),
    "aws_launch_template": (("block_device_mappings.ebs.volume_type", True),),
    "aws_launch_configuration": (
        ("root_block_device.volume_type", False),
        ("ebs_block_device.volume_type", False),
    ),
    "AWS::EC2::Volume": (("VolumeType", True),),
    "AWS::EC2::Instance": (("BlockDeviceMappings[].Ebs.VolumeType", False),),
    "AWS::EC2::LaunchTemplate": (
        ("LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType", True),
    ),
    "AWS::AutoScaling::LaunchConfiguration": (("BlockDeviceMappings[].Ebs.VolumeType", False),),
}
_SIZE_KEYS = {"type": "size", "volume_type": "volume_size", "VolumeType": "Size"}
_IOPS_KEYS = {"type": "iops", "volume_type": "iops", "VolumeType": "Iops"}
_THROUGHPUT_KEYS = {"type": "throughput", "volume_type": "throughput", "VolumeType": "Throughput"}
GP2_IOPS_PER_GIB = 3
GP3_BASELINE_IOPS = 3000
GP3_MAX_IOPS = 16000
GP2_MAX_THROUGHPUT_FROM_GIB = 334  # gp2 reaches its 250 MiB/s baseline from 334 GiB


@rule(
    code="PERF019",
    name="ebs-gp2-volume",
    title="EBS gp2 volume (migrate to gp3)",
    severity=Severity.WARNING,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_ebs_volume", "aws_instance", "aws_launch_template", "aws_launch_configuration"),
    cloudformation=(
        "AWS::EC2::Volume",
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
    ),
    evidence=(
        Link(
            "Amazon EBS General Purpose SSD volumes",
            "https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html",
        ),
        Link(
            "Amazon EBS volume types",
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html",
        ),
    ),
    well_architected=(PERF03_BP02, PERF05_BP06),
    tags=("ebs", "storage"),
)
def ebs_gp2_volume(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags EBS volumes of type `gp2`: `aws_ebs_volume` / `AWS::EC2::Volume` (where `gp2` is
    also the default when no type is set) and the block device mappings of instances,
    launch templates and launch configurations.

    ## Why is this bad?
    gp2 ties performance to size: 3 IOPS per GiB with burst credits, so small volumes
    run out of I/O under load. gp3 gives 3,000 IOPS and 125 MiB/s at any size, lets you
    raise IOPS and throughput independently, and costs about 20% less per GiB.

    ## Fix safety
    Safe for volumes, instance root volumes and launch templates: the type changes in
    place through Elastic Volumes, without detaching the volume. Unsafe for launch
    configurations and `ebs_block_device` / CloudFormation instance mappings, where the
    change replaces the resource. For volumes above 1,000 GiB the fix also sets `iops`
    to the gp2 baseline (3 IOPS per GiB, up to 16,000), and from 334 GiB `throughput` to
    250 MiB/s, so no volume gets slower.
    """
    for path, in_place in _PATHS.get(resource.kind, ()):
        found = False
        for match in resource.find(path):
            found = True
            if text(match.value) == "gp2":
                yield _violation(resource, match, in_place)
        if not found and resource.kind in ("aws_ebs_volume", "AWS::EC2::Volume"):
            yield _absent(resource, path)


def _violation(resource: Resource, match: Match, in_place: bool) -> Violation:
    edits = [replace_value(resource, match.value, "gp3"), *_keep_performance(resource, match)]
    title = "Change volume type to gp3"
    fix = Fix.safe(title, *edits) if in_place else Fix.unsafe(title, *edits)
    return Violation("EBS volume type is gp2; use gp3", match.value.range, fix)


def _keep_performance(resource: Resource, match: Match) -> list[Edit]:
    """Carry the size-derived gp2 performance over to gp3 explicitly."""
    key = match.entry.key
    size = number(match.parent.get(_SIZE_KEYS[key]))
    edits: list[Edit] = []
    indent = match.entry.range.start.character
    if size is None:
        return edits
    iops = min(int(size) * GP2_IOPS_PER_GIB, GP3_MAX_IOPS)
    if iops > GP3_BASELINE_IOPS and match.parent.get(_IOPS_KEYS[key]) is None:
        edits.append(insert_entry(resource, match.parent, indent, _IOPS_KEYS[key], iops))
    if size >= GP2_MAX_THROUGHPUT_FROM_GIB and match.parent.get(_THROUGHPUT_KEYS[key]) is None:
        edits.append(insert_entry(resource, match.parent, indent, _THROUGHPUT_KEYS[key], 250))
    return _merged(edits)


def _merged(edits: list[Edit]) -> list[Edit]:
    """Two insertions at one point become one edit, so clients apply them in order."""
    if len(edits) == 2 and edits[0].range == edits[1].range:
        return [Edit(edits[0].range, _join(edits[0].new_text, edits[1].new_text))]
    return edits


def _join(first: str, second: str) -> str:
    # JSON insertions start with ",\n"; block insertions are whole lines.
    return first + second


def _absent(resource: Resource, path: str) -> Violation:
    edit = insert_value(resource, [path], "gp3")
    where = "type" if resource.format is Format.TERRAFORM else "VolumeType"
    return Violation(
        f"EBS volume has no {where}, so it defaults to gp2; set it to gp3",
        resource.header_range,
        Fix.safe("Set volume type to gp3", edit),
    )
