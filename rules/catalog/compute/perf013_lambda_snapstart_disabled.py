"""PERF013: SnapStart-eligible Lambda runtime without SnapStart."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.compute._lambda import (
    PUBLISHED_VERSIONS,
    keys,
    managed_instances,
    paid_snapstart,
    provisioned,
    setting,
    snapstart_runtime,
    snapstart_state,
)
from iacperf.rules.edits import Block, Edit, insert_entries, insert_value, replace_value
from iacperf.rules.model import Format, MappingNode, Node, Resource
from iacperf.rules.sam import FUNCTION, Setting
from iacperf.rules.values import boolean, number, text
from iacperf.rules.wellarchitected import PERF02_BP02

#: SnapStart does not support ephemeral storage above the default 512 MB.
MAX_EPHEMERAL_MB = 512
ALIAS = "live"


@rule(
    code="PERF013",
    name="lambda-snapstart-disabled",
    title="SnapStart-eligible Lambda runtime without SnapStart",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Improving startup performance with Lambda SnapStart",
            "https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html",
        ),
    ),
    well_architected=(PERF02_BP02,),
    compliance={"cfn-lint": "I2530"},
    tags=("lambda", "compute", "snapstart", "cold-start"),
)
def lambda_snapstart_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions on a managed runtime that supports SnapStart (Java 11 and
    later, Python 3.12 and later, .NET 8 and later) whose SnapStart is absent or
    `ApplyOn` / `apply_on` is `None`. SAM functions inherit `Runtime` and `SnapStart`
    from `Globals.Function`. Not flagged: functions that use a feature SnapStart does
    not support: container images, provisioned concurrency (a config, version or alias
    of the same module or template, or a `lambda` Application Auto Scaling target, that
    names the function), an Amazon EFS file system, ephemeral storage above 512 MB, or
    Lambda Managed Instances (a capacity provider, where environments are not started
    on demand).

    ## Why is this bad?
    Most of a cold start is initialisation: starting the runtime, loading classes or
    modules, building clients. SnapStart runs it once when a version is published and
    resumes new execution environments from a snapshot, which AWS reports can cut
    startup latency from seconds to sub-second. For Java it costs nothing extra.

    ## Fix safety
    Unsafe. The fix enables SnapStart for published versions and makes the function
    publish them (`publish = true` in Terraform, `AutoPublishAlias: live` for SAM), but
    only invocations of a published version or alias benefit, so callers must move off
    `$LATEST` (plain CloudFormation needs an `AWS::Lambda::Version`). Code that creates
    unique values, random seeds or network connections during initialisation must
    re-create them after a restore (runtime hooks). For Python and .NET, Lambda bills
    for caching each snapshot and for every restore.

    ## Known limitations
    Regions without SnapStart cannot be detected from the template. Catalog correction:
    the rule reads provisioned-concurrency resources of the module, so its scope is
    module, not resource.
    """
    runtime = text(_value(setting(resource, context, keys(resource, "runtime", "Runtime"))))
    if runtime is None or not snapstart_runtime(runtime):
        return  # an image (no runtime), an ineligible runtime, or not known
    if _unsupported(resource, context):
        return
    if snapstart_state(resource, context) is not False:
        return  # enabled, or not known
    yield _violation(resource, context, runtime)


def _unsupported(resource: Resource, context: Context) -> bool:
    """Container images, managed instances, EFS, large ephemeral storage, provisioned
    concurrency."""
    package_key = keys(resource, "package_type", "PackageType")
    package = text(_value(setting(resource, context, package_key)))
    if package == "Image" or managed_instances(resource, context):
        return True
    efs = keys(resource, "file_system_config", "FileSystemConfigs")
    if setting(resource, context, efs) is not None or next(resource.find(efs), None):
        return True
    if resource.format is Format.TERRAFORM:
        sizes = [m.value for m in resource.find("ephemeral_storage.size")]
    else:
        storage = setting(resource, context, "EphemeralStorage")
        node = storage.entry.value if storage is not None else None
        if node is not None and not isinstance(node, MappingNode):
            return True  # not known
        size = node.get("Size") if isinstance(node, MappingNode) else None
        sizes = [size.value] if size is not None else []
    for size_node in sizes:
        size_mb = number(size_node)
        if size_mb is None or size_mb > MAX_EPHEMERAL_MB:
            return True
    return provisioned(resource, context)


def _violation(resource: Resource, context: Context, runtime: str) -> Violation:
    paid = paid_snapstart(runtime)
    cost = "" if paid else " at no extra cost"
    billing = " (snapshots are billed for caching and restores)" if paid else ""
    remedy = f"enable SnapStart for published versions and invoke a version or alias{billing}"
    own = _own_apply_on(resource)
    fix = Fix.unsafe("Enable SnapStart for published versions", *_edits(resource, context, own))
    if own is not None:
        return Violation(
            f"Lambda runtime {runtime} supports SnapStart{cost}, but ApplyOn is None; {remedy}",
            own.range,
            fix,
        )
    found = setting(resource, context, "SnapStart") if resource.kind == FUNCTION else None
    return Violation(
        f"Lambda runtime {runtime} supports SnapStart{cost}, and it is off; {remedy}",
        resource.header_range,
        fix,
        related=found.related(resource) if found is not None else (),
    )


def _own_apply_on(resource: Resource) -> Node | None:
    """The function's own ``ApplyOn`` value (``None`` here, as SnapStart is off)."""
    path = keys(resource, "snap_start.apply_on", "SnapStart.ApplyOn")
    match = next(resource.find(path), None)
    return match.value if match is not None else None


def _edits(resource: Resource, context: Context, own: Node | None) -> list[Edit]:
    """Apply SnapStart to published versions, and make the function publish them. A SAM
    function that inherits ``ApplyOn: None`` gets its own setting, which wins over it."""
    extra = _publishing(resource, context)
    edits: list[Edit] = []
    if own is not None:
        edits.append(replace_value(resource, own, PUBLISHED_VERSIONS))
    elif resource.format is Format.TERRAFORM:
        extra.append(("snap_start", Block({"apply_on": PUBLISHED_VERSIONS})))
    else:
        extra.append(("SnapStart", {"ApplyOn": PUBLISHED_VERSIONS}))
    no_properties = resource.format is Format.CLOUDFORMATION and not resource.node.get("Properties")
    if extra and no_properties:
        edits.append(insert_value(resource, [extra[-1][0]], extra[-1][1]))
    elif extra:
        edits.append(insert_entries(resource, resource.body, _indent(resource), extra))
    publish = resource.get("publish") if resource.format is Format.TERRAFORM else None
    if publish is not None and boolean(publish) is False:
        edits.append(replace_value(resource, publish.value, True))
    return edits


def _publishing(resource: Resource, context: Context) -> list[tuple[str, object]]:
    """What the function needs to publish versions: ``publish = true`` in Terraform,
    ``AutoPublishAlias`` for SAM; nothing for plain CloudFormation (a Version resource)."""
    if resource.format is Format.TERRAFORM:
        return [] if resource.get("publish") is not None else [("publish", True)]
    if resource.kind == FUNCTION and setting(resource, context, "AutoPublishAlias") is None:
        return [("AutoPublishAlias", ALIAS)]
    return []


def _indent(resource: Resource) -> int:
    if resource.body.indent is not None:
        return resource.body.indent
    return resource.header_range.start.character + resource.indent_unit


def _value(found: Setting | None) -> Node | None:
    return found.entry.value if found is not None else None
