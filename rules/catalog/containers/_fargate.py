"""What the ECS task definition rules share: is it a Linux Fargate task, and the task
sizes Fargate offers (``rules/data/fargate_cpu_memory.json``)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from iacperf.rules.model import Format, MappingNode, Node, Resource, ScalarNode
from iacperf.rules.records import record
from iacperf.rules.tables import table as data_table
from iacperf.rules.values import strings, text

FARGATE = "FARGATE"
LINUX = "LINUX"
VCPU = 1024  # CPU units per vCPU
GIB = 1024  # MiB per GB, as ECS reads "2 GB"

_VCPU_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*vcpu\s*$", re.IGNORECASE)
_GB_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*gb\s*$", re.IGNORECASE)


@record
class TaskKeys:
    """The names one format gives to a task definition's settings."""

    compatibilities: str
    cpu: str
    memory: str
    platform: str
    os_family: str
    architecture: str


KEYS = {
    Format.TERRAFORM: TaskKeys(
        "requires_compatibilities",
        "cpu",
        "memory",
        "runtime_platform",
        "operating_system_family",
        "cpu_architecture",
    ),
    Format.CLOUDFORMATION: TaskKeys(
        "RequiresCompatibilities",
        "Cpu",
        "Memory",
        "RuntimePlatform",
        "OperatingSystemFamily",
        "CpuArchitecture",
    ),
}


def fargate_linux(resource: Resource) -> bool:
    """True when the task definition is known to run on Fargate, on Linux: its
    compatibilities list ``FARGATE`` and its operating system is absent or ``LINUX``."""
    keys = KEYS[resource.format]
    compatibilities = strings(resource.get(keys.compatibilities))
    if compatibilities is None or FARGATE not in compatibilities:
        return False  # EC2/EXTERNAL/managed instances only, absent (EC2), or not known
    platforms = [match.value for match in resource.find(keys.platform)]
    for platform in platforms:
        if not isinstance(platform, MappingNode):
            return False  # not known
        family = platform.get(keys.os_family)
        if family is not None and text(family) != LINUX:
            return False  # Windows, or not known
    return True


@cache
def memory_sizes() -> dict[int, tuple[int, ...]]:
    """Fargate CPU units -> the memory sizes (MiB) allowed with them, ascending."""
    table: dict[str, Any] = data_table("fargate_cpu_memory.json")
    sizes: dict[int, tuple[int, ...]] = {}
    for cpu, allowed in table["memory"].items():
        if isinstance(allowed, dict):
            values = range(allowed["min"], allowed["max"] + 1, allowed["step"])
            sizes[int(cpu)] = tuple(values)
        else:
            sizes[int(cpu)] = tuple(allowed)
    return dict(sorted(sizes.items()))


def cpu_units(node: Node) -> int | None:
    """CPU units from ``1024``, ``"1024"`` or ``"1 vCPU"``; None when not a literal size."""
    return _amount(node, _VCPU_TEXT, VCPU)


def memory_mib(node: Node) -> int | None:
    """MiB from ``2048``, ``"2048"`` or ``"2 GB"``; None when not a literal size."""
    return _amount(node, _GB_TEXT, GIB)


def _amount(node: Node, unit_form: re.Pattern[str], per_unit: int) -> int | None:
    literal = text(node)
    if literal is None:
        return None
    stripped = literal.strip()
    if stripped.isdigit():
        return int(stripped)
    match = unit_form.match(stripped)
    if match is None:
        return None
    amount = float(match.group(1)) * per_unit
    return int(amount) if amount.is_integer() else None


def written_like(node: Node, amount: int, unit_form: str, per_unit: int) -> object:
    """``amount`` in the form ``node`` is written in: a number, a string of digits, or a
    string with units (``"2 vCPU"``, ``"4 GB"``)."""
    if isinstance(node, ScalarNode) and isinstance(node.value, (int, float)):
        return amount
    literal = text(node) or ""
    if literal.strip().isdigit():
        return str(amount)
    number = f"{amount / per_unit:g}"
    if unit_form == "vCPU" and number.startswith("0."):
        number = number[1:]  # ".25 vCPU", as ECS documents it
    return f"{number} {unit_form}"


def describe(sizes: tuple[int, ...]) -> str:
    """``512, 1024 or 2048 MiB`` / ``4096-16384 MiB in 1024 MiB steps``."""
    steps = {b - a for a, b in zip(sizes, sizes[1:], strict=False)}
    if len(sizes) > 3 and len(steps) == 1:
        return f"{sizes[0]}-{sizes[-1]} MiB in {steps.pop()} MiB steps"
    names = [str(size) for size in sizes]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"{listed} MiB"
