"""PERF029: Aurora cluster with readers but no replica auto scaling."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from iacperf.rules.api import (
    Context,
    Fix,
    FixAvailability,
    Link,
    Scope,
    Severity,
    Violation,
    rule,
)
from iacperf.rules.catalog.database._rds_cluster import attribute_references, members_of
from iacperf.rules.catalog.database._scaling import (
    TARGET_KEYS,
    Wanted,
    may_scale,
    scaling_targets,
)
from iacperf.rules.edits import Block, NewResource, Raw, Value, insert_resources_after
from iacperf.rules.model import (
    ExpressionNode,
    Format,
    MappingNode,
    Node,
    Resource,
    SequenceNode,
    Syntax,
)
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP02

NAMESPACE = "rds"
DIMENSION = "rds:cluster:ReadReplicaCount"
METRIC = "RDSReaderAverageCPUUtilization"
TARGET_CPU = 70
MAX_REPLICAS = 15  # Aurora's limit of readers per cluster
SERVERLESS_CLASS = "db.serverless"
#: Readers from which the cluster evidently scales reads: one reader may be only a
#: failover target, two or more are not needed for failover.
READERS_FOR_READ_SCALING = 2

_KEYS = {
    Format.TERRAFORM: ("engine", "engine_mode", "cluster_identifier", "instance_class"),
    Format.CLOUDFORMATION: ("Engine", "EngineMode", "DBClusterIdentifier", "DBInstanceClass"),
}


@rule(
    code="PERF029",
    name="aurora-readers-without-autoscaling",
    title="Aurora cluster with readers but no replica auto scaling",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_rds_cluster",),
    cloudformation=("AWS::RDS::DBCluster",),
    evidence=(
        Link(
            "Amazon Aurora Auto Scaling with Aurora Replicas",
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Integrating.AutoScaling.html",
        ),
        Link(
            "Working with read replicas",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html",
        ),
    ),
    well_architected=(PERF03_BP02,),
    compliance={"iso_27001_2022": "A.8.6", "nist_800_53_r5": "CP-2(2)", "soc2_tsc": "A1.1"},
    tags=("aurora", "rds", "autoscaling", "database"),
)
def aurora_readers_without_autoscaling(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Aurora DB clusters (engine `aurora`, `aurora-mysql`, `aurora-postgresql`) that
    run provisioned readers of a fixed count, when no Application Auto Scaling target of
    the same module or template scales the cluster's replicas
    (`aws_appautoscaling_target` / `AWS::ApplicationAutoScaling::ScalableTarget` with
    service namespace `rds`, dimension `rds:cluster:ReadReplicaCount` and resource id
    `cluster:<identifier>`). Readers are the cluster's instances (`aws_rds_cluster_instance`
    / `AWS::RDS::DBInstance` that name it, `count` and `for_each` included) beyond the
    writer. A cluster is flagged with two or more readers, or with one reader when the
    module or template uses the cluster's reader endpoint.

    ## Why is this bad?
    Read replicas are Aurora's main lever for read throughput. A fixed number of readers is
    sized for one load: it either runs out under a read spike (latency rises on every
    reader) or pays for idle instances the rest of the time. Replica auto scaling adds and
    removes readers with the load.

    ## Fix safety
    Unsafe. The fix adds a scalable target that keeps at least the current number of
    readers, and a target-tracking policy on the readers' average CPU (70%). Readers that
    auto scaling adds are created and deleted outside the template and cost money while
    they run; review the maximum (twice the readers, up to 15). The fix is advice only
    for Terraform JSON and for clusters made with `count`, `for_each` or a condition.

    ## Known limitations
    Aurora Serverless v2 readers (`db.serverless`) and readers whose class or count comes
    from a variable or parameter are not counted. A cluster with a single reader that
    serves as a failover target is flagged only when its reader endpoint is used in the
    module or template. Catalog correction: the catalog flags every cluster with two
    instances; the one-reader case is narrowed as described, as the catalog's own
    false-positive note asks.
    """
    engine_key, mode_key, _, _ = _KEYS[resource.format]
    engine = (text(resource.get(engine_key)) or "").lower()
    mode = resource.get(mode_key)
    if not engine.startswith("aurora") or (mode is not None and text(mode) != "provisioned"):
        return
    instances = sum(_provisioned(member) for member in members_of(resource, context))
    readers = instances - 1
    if readers < 1 or readers < READERS_FOR_READ_SCALING and not _reads(resource, context):
        return
    wanted = Wanted(NAMESPACE, lambda d: d == DIMENSION, _literal_id(resource))
    if any(may_scale(t, resource, context, wanted) for t in scaling_targets(resource, context)):
        return
    noun = "reader" if readers == 1 else "readers"
    yield Violation(
        f"Aurora cluster runs {readers} provisioned {noun} and no replica auto scaling; "
        f"scale readers with an Application Auto Scaling target ({DIMENSION}) and a "
        f"target-tracking policy on {METRIC}",
        resource.header_range,
        _fix(resource, context, readers),
    )


def _provisioned(member: Resource) -> int:
    """How many provisioned instances ``member`` certainly makes (0 when not known)."""
    class_key = _KEYS[member.format][3]
    instance_class = text(member.get(class_key))
    if instance_class is None or instance_class.lower() == SERVERLESS_CLASS:
        return 0
    if member.format is Format.CLOUDFORMATION:
        return 0 if member.node.get("Condition") is not None else 1
    count, for_each = member.get("count"), member.get("for_each")
    if count is not None:
        value = number(count)
        return int(value) if value is not None else 0
    if for_each is not None:
        return _length(for_each.value)
    return 1


def _length(node: Node) -> int:
    if isinstance(node, MappingNode) and node.known:
        return len(node.entries)
    if isinstance(node, SequenceNode) and node.known:
        return len(node.items)
    return 0


def _literal_id(cluster: Resource) -> Callable[[str], bool] | None:
    identifier_key = _KEYS[cluster.format][2]
    entry = cluster.get(identifier_key)
    if entry is None:
        # Terraform and CloudFormation generate the name: no literal id can match it.
        return lambda literal: False
    name = text(entry)
    if name is None:
        return None
    return lambda literal: literal.lower() == f"cluster:{name}".lower()


def _reads(cluster: Resource, context: Context) -> bool:
    """True when something of the module uses the cluster's reader endpoint (any resource,
    local or output may: this reads the whole module, for one-reader clusters only)."""
    if cluster.format is Format.TERRAFORM:
        pattern = re.compile(
            rf"(?<![\w.-])aws_rds_cluster\.{re.escape(cluster.name)}"
            r"(?:\[[^\]]*\]|\.\*)?\.reader_endpoint\b"
        )
        nodes = [r.body for r in context.module] + [b.entry.value for b in context.blocks]
        return any(pattern.search(expression) for node in nodes for expression in _texts(node))
    return any(
        (cluster.name, "ReadEndpoint.Address") in set(attribute_references(other.body))
        for other in context.module
        if other is not cluster
    )


def _texts(node: Node) -> Iterator[str]:
    if isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _texts(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _texts(item)


def _fix(cluster: Resource, context: Context, readers: int) -> Fix:
    title = "Add Aurora replica auto scaling"
    advice = Fix.display_only(
        f"{title}: a scalable target ({DIMENSION}) and a {METRIC} target-tracking policy"
    )
    terraform = cluster.format is Format.TERRAFORM
    if terraform and (
        cluster.syntax is Syntax.JSON
        or any(cluster.get(key) is not None for key in ("count", "for_each"))
    ):
        return advice
    if not terraform and cluster.node.get("Condition") is not None:
        return advice
    maximum = min(MAX_REPLICAS, max(readers * 2, readers + 1))
    taken = _taken(cluster, context)
    if terraform:
        new = _terraform(cluster, _unused(f"{cluster.name}_replicas", taken), readers, maximum)
    else:
        new = _cfn(cluster, _unused(f"{cluster.name}ReplicaScaling", taken), readers, maximum)
    return Fix.unsafe(title, insert_resources_after(cluster, *new))


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken or f"{candidate}Policy" in taken:
        candidate = f"{name}{number}"
        number += 1
    return candidate


def _terraform(cluster: Resource, name: str, readers: int, maximum: int) -> list[NewResource]:
    target = f"{TARGET_KEYS[Format.TERRAFORM].kind}.{name}"
    target_body: dict[str, Value] = {
        "service_namespace": NAMESPACE,
        "scalable_dimension": DIMENSION,
        "resource_id": Raw(f'"cluster:${{{cluster.kind}.{cluster.name}.id}}"'),
        "min_capacity": readers,
        "max_capacity": maximum,
    }
    policy_body: dict[str, Value] = {
        "name": f"{cluster.name}-reader-cpu".replace("_", "-"),
        "policy_type": "TargetTrackingScaling",
        "service_namespace": Raw(f"{target}.service_namespace"),
        "scalable_dimension": Raw(f"{target}.scalable_dimension"),
        "resource_id": Raw(f"{target}.resource_id"),
        "target_tracking_scaling_policy_configuration": Block(
            {
                "target_value": TARGET_CPU,
                "predefined_metric_specification": Block({"predefined_metric_type": METRIC}),
            }
        ),
    }
    return [
        NewResource(TARGET_KEYS[Format.TERRAFORM].kind, name, target_body),
        NewResource(TARGET_KEYS[Format.TERRAFORM].policy_kind, name, policy_body),
    ]


def _cfn(cluster: Resource, target: str, readers: int, maximum: int) -> list[NewResource]:
    keys = TARGET_KEYS[Format.CLOUDFORMATION]
    yaml = cluster.syntax is Syntax.YAML
    resource_id: Value = (
        Raw(f"!Sub 'cluster:${{{cluster.name}}}'")
        if yaml
        else {"Fn::Sub": f"cluster:${{{cluster.name}}}"}
    )
    target_ref: Value = Raw(f"!Ref {target}") if yaml else {"Ref": target}
    target_body: dict[str, Value] = {
        "ServiceNamespace": NAMESPACE,
        "ScalableDimension": DIMENSION,
        "ResourceId": resource_id,
        "MinCapacity": readers,
        "MaxCapacity": maximum,
    }
    policy_body: dict[str, Value] = {
        "PolicyName": f"{cluster.name}-reader-cpu",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": target_ref,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": TARGET_CPU,
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
        },
    }
    return [
        NewResource(keys.kind, target, target_body),
        NewResource(keys.policy_kind, f"{target}Policy", policy_body),
    ]


def _taken(resource: Resource, context: Context) -> set[str]:
    """Names new resources must not reuse: Terraform names are per type, CloudFormation
    logical ids per template."""
    if resource.format is Format.TERRAFORM:
        keys = TARGET_KEYS[Format.TERRAFORM]
        return {r.name for r in context.module_of_kind(keys.kind, keys.policy_kind)}
    return {r.name for r in context.module}
