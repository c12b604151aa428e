"""PERF015: Fargate task cpu/memory is not a supported combination."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.containers._fargate import (
    GIB,
    KEYS,
    VCPU,
    TaskKeys,
    cpu_units,
    describe,
    fargate_linux,
    memory_mib,
    memory_sizes,
    written_like,
)
from iacperf.rules.edits import Edit, replace_value
from iacperf.rules.model import Entry, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP04


@rule(
    code="PERF015",
    name="fargate-invalid-cpu-memory",
    title="Fargate task cpu/memory is not a supported combination",
    severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_ecs_task_definition",),
    cloudformation=("AWS::ECS::TaskDefinition",),
    evidence=(
        Link(
            "Amazon ECS task definition parameters for Fargate: task size",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
            "task_definition_parameters.html#task_size",
        ),
    ),
    well_architected=(PERF02_BP04,),
    compliance={"cfn-lint": "E3047"},
    tags=("ecs", "fargate", "containers", "right-sizing"),
)
def fargate_invalid_cpu_memory(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ECS task definitions for Fargate (`requires_compatibilities` /
    `RequiresCompatibilities` contains `FARGATE`) on Linux (no operating system family,
    or `LINUX`) whose task-level `cpu` and `memory` are missing or are not a size Fargate
    offers: 256 CPU units with 512, 1024 or 2048 MiB, 512 with 1-4 GB, 1024 with 2-8 GB,
    2048 with 4-16 GB and 4096 with 8-30 GB in 1 GB steps, 8192 with 16-60 GB in 4 GB
    steps and 16384 with 32-120 GB in 8 GB steps. Both numbers (`"1024"`) and units
    (`"1 vCPU"`, `"2 GB"`) are read.

    ## Why is this bad?
    Fargate runs tasks only in these sizes: registering the task definition fails
    ("No Fargate configuration exists for given values", "Invalid 'cpu' setting for
    task"), so the deployment breaks before anything runs.

    ## Fix safety
    Unsafe, as every change to a task definition registers a new revision and
    redeploys the services that use it. The fix never lowers a value: it keeps the CPU
    and rounds the memory up to the next size allowed with it, or, when that CPU cannot
    have this much memory, moves to the smallest larger CPU that can (the message also
    names the largest memory the current CPU allows). A missing `cpu` or `memory` is
    advice only: the sizes to choose from are named, the choice is the workload's.

    ## Known limitations
    Windows tasks and tasks for other launch types are not checked. The 32 vCPU row
    (61440, 122880 or 249856 MiB) of cfn-lint's table is accepted although the Fargate
    developer guide stops at 16 vCPU. cfn-lint reports the same defect in
    CloudFormation as E3047 / E3048.
    """
    if not fargate_linux(resource):
        return
    keys = KEYS[resource.format]
    cpu_entry, memory_entry = resource.get(keys.cpu), resource.get(keys.memory)
    if cpu_entry is None or memory_entry is None:
        yield _missing(resource, keys, cpu_entry, memory_entry)
        return
    cpu, memory = cpu_units(cpu_entry.value), memory_mib(memory_entry.value)
    if cpu is None or memory is None:
        return  # not known
    if memory in memory_sizes().get(cpu, ()):
        return
    yield _invalid(resource, keys, (cpu_entry, cpu), (memory_entry, memory))


def _missing(
    resource: Resource, keys: TaskKeys, cpu_entry: Entry | None, memory_entry: Entry | None
) -> Violation:
    table = memory_sizes()
    if cpu_entry is None and memory_entry is None:
        message = (
            f"Fargate task definition has no task-level {keys.cpu} or {keys.memory}, which "
            f"Fargate requires; set both (the smallest size is {keys.cpu} 256 with "
            f"{keys.memory} 512)"
        )
        return Violation(message, resource.header_range, Fix.display_only("Set a task size"))
    if cpu_entry is None:
        assert memory_entry is not None
        memory = memory_mib(memory_entry.value)
        cpus = [str(cpu) for cpu, sizes in table.items() if memory in sizes]
        choice = f"; {keys.memory} {memory} goes with {keys.cpu} {_joined(cpus)}" if cpus else ""
        message = f"Fargate task definition has no task-level {keys.cpu}, which Fargate requires"
        return Violation(
            message + choice, resource.header_range, Fix.display_only(f"Set {keys.cpu}")
        )
    cpu = cpu_units(cpu_entry.value)
    sizes = table.get(cpu) if cpu is not None else None
    choice = f"; {keys.cpu} {cpu} allows {keys.memory} {describe(sizes)}" if sizes else ""
    message = f"Fargate task definition has no task-level {keys.memory}, which Fargate requires"
    return Violation(
        message + choice, resource.header_range, Fix.display_only(f"Set {keys.memory}")
    )


def _invalid(
    resource: Resource,
    keys: TaskKeys,
    cpu_given: tuple[Entry, int],
    memory_given: tuple[Entry, int],
) -> Violation:
    (cpu_entry, cpu), (memory_entry, memory) = cpu_given, memory_given
    table = memory_sizes()
    target = _nearest(cpu, memory)
    if cpu in table:
        allowed = describe(table[cpu])
        cpu_shown, memory_shown = _shown(cpu_entry, cpu), _shown(memory_entry, memory)
        fact = f"Fargate {keys.cpu} {cpu_shown} allows {keys.memory} {allowed}, not {memory_shown}"
        where = memory_entry.value.range
    else:
        sizes = _joined([str(size) for size in table])
        fact = f"Fargate has no {keys.cpu} size {_shown(cpu_entry, cpu)} (sizes: {sizes})"
        where = cpu_entry.value.range
    if target is None:
        return Violation(
            f"{fact}; choose a supported size",
            where,
            Fix.display_only("Choose a supported Fargate task size"),
        )
    new_cpu, new_memory = target
    edits: list[Edit] = []
    changes: list[str] = []
    if new_cpu != cpu:
        value = written_like(cpu_entry.value, new_cpu, "vCPU", VCPU)
        edits.append(replace_value(resource, cpu_entry.value, value))
        changes.append(f"{keys.cpu} {value}")
    if new_memory != memory:
        value = written_like(memory_entry.value, new_memory, "GB", GIB)
        edits.append(replace_value(resource, memory_entry.value, value))
        changes.append(f"{keys.memory} {value}")
    remedy = " with ".join(changes)
    lower = [size for size in table.get(cpu, ()) if size < memory]
    alternative = f" (or {keys.memory} {lower[-1]})" if new_cpu != cpu and lower else ""
    return Violation(
        f"{fact}; use {remedy}{alternative}",
        where,
        Fix.unsafe(f"Use {remedy}", *edits),
    )


def _nearest(cpu: int, memory: int) -> tuple[int, int] | None:
    """The smallest supported size with at least this CPU and this memory."""
    for size_cpu, sizes in memory_sizes().items():
        if size_cpu < cpu:
            continue
        fitting = [size for size in sizes if size >= memory]
        if fitting:
            return size_cpu, fitting[0]
    return None


def _shown(entry: Entry, amount: int) -> str:
    """The value as written, with the number it stands for when written with units."""
    written = (text(entry) or "").strip()
    return written if written == str(amount) else f"{written} ({amount})"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
