"""EC2 instance type names as the compute rules read them: family, size and what they imply."""

from __future__ import annotations

import re
from functools import cache

from iacperf.rules.tables import table as data_table

#: Burstable families that earn and spend CPU credits (T1 predates credit specifications).
BURSTABLE = frozenset({"t2", "t3", "t3a", "t4g"})

#: Where each resource names the instance type it launches.
TYPE_PATHS: dict[str, str] = {
    "aws_instance": "instance_type",
    "aws_launch_template": "instance_type",
    "aws_launch_configuration": "instance_type",
    "AWS::EC2::Instance": "InstanceType",
    "AWS::EC2::LaunchTemplate": "LaunchTemplateData.InstanceType",
    "AWS::AutoScaling::LaunchConfiguration": "InstanceType",
}

# Graviton families carry a "g" right after the generation digit (m7g, c6gn, x2gd, im4gn,
# is4gen, g5g, hpc7g); a1 is the first Graviton family.
_ARM_FAMILY = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)$")


def split(value: str) -> tuple[str, str] | None:
    """``("m5", "large")`` for ``m5.large``; None when the text is not ``family.size``."""
    family, dot, size = value.strip().lower().partition(".")
    if not dot or not family or not size:
        return None
    return family, size


def is_arm(family: str) -> bool:
    """True for Graviton (arm64) families."""
    return bool(_ARM_FAMILY.match(family))


@cache
def ebs_optimization_optional() -> frozenset[str]:
    """Instance types that support EBS optimization without enabling it by default."""
    table = data_table("ec2_ebs_optimization.json")
    return frozenset(table["optional"])
