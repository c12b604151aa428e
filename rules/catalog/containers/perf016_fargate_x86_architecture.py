"""PERF016: Fargate task definition on X86_64 where ARM64 (Graviton) is available."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.containers._fargate import KEYS, LINUX, TaskKeys, fargate_linux
from iacperf.rules.edits import Block, insert_entry, insert_value, replace_value
from iacperf.rules.model import Format, MappingNode, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP01

X86 = "X86_64"
ARM64 = "ARM64"


@rule(
    code="PERF016",
    name="fargate-x86-architecture",
    title="Fargate task definition on X86_64 where ARM64 (Graviton) is available",
    severity=Severity.HINT,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_ecs_task_definition",),
    cloudformation=("AWS::ECS::TaskDefinition",),
    evidence=(
        Link(
            "Amazon ECS task definitions for 64-bit ARM workloads",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-arm64.html",
        ),
        Link("AWS Graviton Technical Guide", "https://github.com/aws/aws-graviton-getting-started"),
    ),
    well_architected=(PERF02_BP01,),
    tags=("ecs", "fargate", "containers", "graviton"),
)
def fargate_x86_architecture(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ECS task definitions for Fargate (`requires_compatibilities` /
    `RequiresCompatibilities` contains `FARGATE`) on Linux that run on `X86_64`: there is
    no `runtime_platform` / `RuntimePlatform`, it sets no CPU architecture (the default
    is `X86_64`), or it sets `X86_64`. Windows tasks are not flagged: Fargate runs them on
    x86 only.

    ## Why is this bad?
    Fargate on AWS Graviton (ARM64) costs about 20% less per vCPU-hour and GB-hour than
    on x86 and, for most workloads, delivers the same or better performance: better
    price-performance for the same task size.

    ## Fix safety
    Unsafe. Every container image of the task must be published for `linux/arm64`
    (or as a multi-architecture image) first, or the task fails to start with an
    `exec format error`. The fix sets the architecture to `ARM64` (adding
    `runtime_platform` with `operating_system_family = "LINUX"` when it is missing);
    the change registers a new task definition revision and redeploys its services.

    ## Known limitations
    Images built only for `linux/amd64` cannot be detected from the template, nor
    capacity provider strategies (such as `FARGATE_SPOT`) of the services that run the
    task, whose ARM64 support should be confirmed for the Region.
    """
    if not fargate_linux(resource):
        return
    keys = KEYS[resource.format]
    platforms = list(resource.find(keys.platform))
    if not platforms:
        yield _no_platform(resource, keys)
        return
    for platform in platforms:
        assert isinstance(platform.value, MappingNode)  # fargate_linux checked it
        architecture = platform.value.get(keys.architecture)
        if architecture is None:
            indent = platform.entry.key_range.start.character + resource.indent_unit
            edit = insert_entry(resource, platform.value, indent, keys.architecture, ARM64)
            yield Violation(
                f"Fargate task {keys.platform} sets no {keys.architecture}, so the task runs on "
                f"{X86}; use {ARM64} (Graviton) once its images are built for arm64",
                platform.entry.key_range,
                Fix.unsafe(f"Set {keys.architecture} to {ARM64}", edit),
            )
        elif text(architecture) == X86:
            yield Violation(
                f"Fargate task runs on {X86}; use {ARM64} (Graviton) once its images are "
                "built for arm64",
                architecture.value.range,
                Fix.unsafe(
                    f"Set {keys.architecture} to {ARM64}",
                    replace_value(resource, architecture.value, ARM64),
                ),
            )


def _no_platform(resource: Resource, keys: TaskKeys) -> Violation:
    settings = {keys.os_family: LINUX, keys.architecture: ARM64}
    value: object = Block(settings) if resource.format is Format.TERRAFORM else settings
    return Violation(
        f"Fargate task definition has no {keys.platform}, so it runs on {X86}; use {ARM64} "
        "(Graviton) once its images are built for arm64",
        resource.header_range,
        Fix.unsafe(f"Run on {ARM64}", insert_value(resource, [keys.platform], value)),
    )
