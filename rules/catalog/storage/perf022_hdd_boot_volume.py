"""PERF022: Throughput/Cold HDD (st1/sc1) used as a boot volume."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import replace_value
from iacperf.rules.model import MappingNode, Node, Resource, SequenceNode, find_path
from iacperf.rules.records import record
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF03_BP01

HDD_TYPES = frozenset({"st1", "sc1"})
SUCCESSOR = "gp3"
#: Root device names of the common AMIs: /dev/xvda (Amazon Linux, most HVM Linux images),
#: /dev/sda1 (Ubuntu, Debian, RHEL, SUSE, Windows). The AMI itself is not known statically.
ROOT_DEVICE_NAMES = frozenset({"/dev/xvda", "/dev/sda1"})


@record
class _Mappings:
    """Where a resource lists its volumes, and how to tell the root volume."""

    items: str  # the block device mappings, from the body
    volume_type: str  # the volume type, from one mapping
    #: The device name of one mapping; None when ``items`` is the root volume itself
    #: (Terraform ``root_block_device``).
    device: str | None
    in_place: bool  # whether changing the type keeps the resource


_MAPPINGS: dict[str, _Mappings] = {
    "aws_instance": _Mappings("root_block_device", "volume_type", None, True),
    "aws_launch_configuration": _Mappings("root_block_device", "volume_type", None, False),
    "aws_launch_template": _Mappings(
        "block_device_mappings", "ebs.volume_type", "device_name", True
    ),
    "AWS::EC2::Instance": _Mappings("BlockDeviceMappings", "Ebs.VolumeType", "DeviceName", False),
    "AWS::EC2::LaunchTemplate": _Mappings(
        "LaunchTemplateData.BlockDeviceMappings", "Ebs.VolumeType", "DeviceName", True
    ),
    "AWS::AutoScaling::LaunchConfiguration": _Mappings(
        "BlockDeviceMappings", "Ebs.VolumeType", "DeviceName", False
    ),
}


@rule(
    code="PERF022",
    name="hdd-boot-volume",
    title="Throughput/Cold HDD (st1/sc1) used as a boot volume",
    severity=Severity.ERROR,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_instance", "aws_launch_configuration", "aws_launch_template"),
    cloudformation=(
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::AutoScaling::LaunchConfiguration",
    ),
    evidence=(
        Link(
            "Amazon EBS Throughput Optimized HDD and Cold HDD volumes",
            "https://docs.aws.amazon.com/ebs/latest/userguide/hdd-vols.html",
        ),
        Link(
            "Amazon EBS volume types",
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html",
        ),
    ),
    well_architected=(PERF03_BP01,),
    tags=("ebs", "storage", "boot-volume"),
)
def hdd_boot_volume(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags a Throughput Optimized HDD (`st1`) or Cold HDD (`sc1`) volume used as the boot
    volume: the `root_block_device` of `aws_instance` and `aws_launch_configuration`,
    and block device mappings of launch templates, CloudFormation instances and launch
    configurations whose device name is the usual root device (`/dev/xvda` or
    `/dev/sda1`).

    ## Why is this bad?
    AWS does not support st1 and sc1 as boot volumes: the instance fails to launch. These
    HDD volumes suit large sequential reads and writes; booting needs small random I/O,
    which they serve at a few hundred IOPS at best.

    ## Fix safety
    The fix sets the volume type to `gp3`. Safe for `aws_instance` root volumes and launch
    templates (a new template version): no running instance can have such a root volume.
    Unsafe for launch configurations and CloudFormation instance mappings, which are
    replaced when their block device mappings change.

    ## Known limitations
    The AMI's root device name is not known statically. Mappings are taken for the root
    volume only when their device name is `/dev/xvda` or `/dev/sda1`; an HDD mapping on
    one of those names for an AMI whose root device is the other one is a data volume,
    and is reported all the same.

    Catalog correction: `AWS::AutoScaling::LaunchConfiguration` is checked too, the
    CloudFormation counterpart of `aws_launch_configuration`.
    """
    mappings = _MAPPINGS.get(resource.kind)
    if mappings is None:
        return
    for items in resource.find(mappings.items):
        for mapping in _mappings_in(items.value):
            device = _root_device(mapping, mappings.device)
            if device is None:
                continue
            for match in find_path(mapping, mappings.volume_type):
                volume_type = text(match.value)
                if volume_type is not None and volume_type.lower() in HDD_TYPES:
                    yield _violation(resource, match.value, volume_type, device, mappings.in_place)


def _mappings_in(node: Node) -> Iterator[MappingNode]:
    """One mapping per volume: a Terraform block, or each item of a CloudFormation list."""
    if isinstance(node, MappingNode):
        yield node
    elif isinstance(node, SequenceNode):
        for item in node.items:
            if isinstance(item, MappingNode):
                yield item


def _root_device(mapping: MappingNode, device_key: str | None) -> str | None:
    """How the boot volume is named in messages, or None when ``mapping`` is not known to
    be the boot volume."""
    if device_key is None:
        return "root_block_device"
    name = text(mapping.get(device_key))
    if name is None or name.strip() not in ROOT_DEVICE_NAMES:
        return None
    return f"root device {name.strip()}"


def _violation(
    resource: Resource, node: Node, volume_type: str, device: str, in_place: bool
) -> Violation:
    edit = replace_value(resource, node, SUCCESSOR)
    title = f"Change the boot volume type to {SUCCESSOR}"
    return Violation(
        f"Boot volume ({device}) is {volume_type}, which EC2 cannot boot from, so the launch "
        f"fails; use {SUCCESSOR}",
        node.range,
        Fix.safe(title, edit) if in_place else Fix.unsafe(title, edit),
    )
