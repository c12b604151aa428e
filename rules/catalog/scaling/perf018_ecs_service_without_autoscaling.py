"""PERF018: ECS service without Application Auto Scaling."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.edits import Block, NewResource, Raw, Value, insert_resources_after
from iacperf.rules.lifecycle import SCALING_WORDS, handed_to_module, ignores_changes
from iacperf.rules.model import (
    Entry,
    Format,
    Node,
    Resource,
    Syntax,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF02_BP05

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
DAEMON = "DAEMON"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
TARGET_CPU = 70


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    target_kind: str
    cluster_kind: str
    namespace: str
    dimension: str
    resource_id: str
    service_name: str
    cluster: str
    strategy: str
    desired: str


_KEYS = {
    Format.TERRAFORM: _Keys(
        target_kind="aws_appautoscaling_target",
        cluster_kind="aws_ecs_cluster",
        namespace="service_namespace",
        dimension="scalable_dimension",
        resource_id="resource_id",
        service_name="name",
        cluster="cluster",
        strategy="scheduling_strategy",
        desired="desired_count",
    ),
    Format.CLOUDFORMATION: _Keys(
        target_kind="AWS::ApplicationAutoScaling::ScalableTarget",
        cluster_kind="AWS::ECS::Cluster",
        namespace="ServiceNamespace",
        dimension="ScalableDimension",
        resource_id="ResourceId",
        service_name="ServiceName",
        cluster="Cluster",
        strategy="SchedulingStrategy",
        desired="DesiredCount",
    ),
}


@rule(
    code="PERF018",
    name="ecs-service-without-autoscaling",
    title="ECS service without Application Auto Scaling",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_ecs_service",),
    cloudformation=("AWS::ECS::Service",),
    evidence=(
        Link(
            "Automatically scale your Amazon ECS service",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html",
        ),
    ),
    well_architected=(PERF02_BP05,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CP-2(2); SC-5(2)",
        "soc2_tsc": "A1.1",
    },
    tags=("ecs", "containers", "autoscaling", "scaling"),
)
def ecs_service_without_autoscaling(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ECS services (replica scheduling) when no Application Auto Scaling target of
    the same Terraform module or CloudFormation template scales their desired count
    (`aws_appautoscaling_target` / `AWS::ApplicationAutoScaling::ScalableTarget` with
    service namespace `ecs`, dimension `ecs:service:DesiredCount` and a resource id
    `service/<cluster>/<service>` that names the service). Not flagged: `DAEMON`
    services (one task per instance), services with a desired count of 0, and Terraform
    services whose `desired_count` is in `lifecycle { ignore_changes }` or that a module
    call with "autoscal" or "scaling" in its name, source or inputs refers to: their
    task count is managed elsewhere.

    ## Why is this bad?
    A fixed desired count cannot follow demand: under load the tasks saturate and
    latency climbs, and off-peak the idle tasks are paid for. Target tracking on CPU,
    memory or request count adds and removes tasks as the load changes.

    ## Fix safety
    Unsafe, and offered where the cluster's name can be written down: the fix adds a
    scalable target (minimum = the current desired count, or 1; maximum = twice that)
    and a target-tracking policy that keeps average CPU at 70%, next to the service.
    Review the limits before applying: from then on Application Auto Scaling changes
    the desired count, so in Terraform add `desired_count` to the service's
    `lifecycle { ignore_changes }`, and tasks must be able to start and stop at any
    time.

    ## Known limitations
    Scaling configured in another stack or module, or by tools such as AWS Copilot or
    the CDK's `autoScaleTaskCount` in another stack, cannot be seen. A scalable target
    whose resource id or dimension comes from a variable or parameter is assumed to
    cover the service. Singleton workers and batch services driven by EventBridge
    should suppress the finding with a reason.
    """
    keys = _KEYS[resource.format]
    strategy = resource.get(keys.strategy)
    if strategy is not None and text(strategy) != "REPLICA":
        return  # DAEMON, or not known
    desired = resource.get(keys.desired)
    if desired is not None and number(desired) == 0:
        return
    if resource.format is Format.TERRAFORM and (
        ignores_changes(resource, ("desired_count",))
        or handed_to_module(resource, context.top_blocks("module"), SCALING_WORDS)
    ):
        return
    targets = context.module_of_kind(keys.target_kind)
    if any(_may_scale(target, resource, context, keys) for target in targets):
        return
    yield Violation(
        "ECS service has a fixed desired count: no Application Auto Scaling target scales it; "
        "add a scalable target and a target-tracking policy (e.g. on average CPU)",
        resource.header_range,
        _fix(resource, context, keys),
    )


def _may_scale(target: Resource, service: Resource, context: Context, keys: _Keys) -> bool:
    """False only when the target provably scales something other than this service."""
    namespace = target.get(keys.namespace)
    if namespace is None or text(namespace) not in (None, NAMESPACE):
        return False
    dimension = target.get(keys.dimension)
    if dimension is None or text(dimension) not in (None, DIMENSION):
        return False
    resource_id = target.get(keys.resource_id)
    if resource_id is None:
        return False
    literal = text(resource_id)
    if literal is not None:
        name = text(service.get(keys.service_name))
        return name is not None and literal.rsplit("/", 1)[-1] == name
    if refers_to(resource_id.value, service):
        return True
    # Naming another service of the module rules this one out; anything else may be it.
    return not _names_other_service(resource_id.value, service, context)


def _names_other_service(node: Node, service: Resource, context: Context) -> bool:
    if service.format is Format.TERRAFORM:
        return bool(terraform_names(node, service.kind) - {service.name})
    services = {r.name for r in context.module_of_kind(service.kind)}
    return bool((cloudformation_ids(node) & services) - {service.name})


def _fix(service: Resource, context: Context, keys: _Keys) -> Fix:
    advice = Fix.display_only("Add an Application Auto Scaling target and policy")
    if service.format is Format.TERRAFORM:
        if service.syntax is Syntax.JSON or any(
            service.get(key) is not None for key in ("count", "for_each", "provider")
        ):
            return advice
        new = _terraform(service, context, keys)
    else:
        if service.node.get("Condition") is not None:
            return advice
        new = _cloudformation(service, context, keys)
    if new is None:
        return advice
    return Fix.unsafe(
        "Add a scalable target and a CPU target-tracking policy",
        insert_resources_after(service, *new),
    )


def _capacity(service: Resource, keys: _Keys) -> tuple[int, int]:
    desired = number(service.get(keys.desired))
    low = int(desired) if desired is not None and desired >= 1 else 1
    return low, 2 * low


def _terraform(service: Resource, context: Context, keys: _Keys) -> list[NewResource] | None:
    cluster = _terraform_cluster(service.get(keys.cluster))
    if cluster is None:
        return None
    taken_targets = {r.name for r in context.module_of_kind("aws_appautoscaling_target")}
    taken_policies = {r.name for r in context.module_of_kind("aws_appautoscaling_policy")}
    target = _unused(service.name, taken_targets, "_")
    policy = _unused(f"{service.name}_cpu", taken_policies, "_")
    low, high = _capacity(service, keys)
    target_ref = f"aws_appautoscaling_target.{target}"
    target_body: dict[str, Value] = {
        "service_namespace": NAMESPACE,
        "scalable_dimension": DIMENSION,
        "resource_id": Raw(f'"service/{cluster}/${{aws_ecs_service.{service.name}.name}}"'),
        "min_capacity": low,
        "max_capacity": high,
    }
    policy_body: dict[str, Value] = {
        "name": Raw(f'"${{aws_ecs_service.{service.name}.name}}-cpu"'),
        "policy_type": "TargetTrackingScaling",
        "service_namespace": Raw(f"{target_ref}.service_namespace"),
        "scalable_dimension": Raw(f"{target_ref}.scalable_dimension"),
        "resource_id": Raw(f"{target_ref}.resource_id"),
        "target_tracking_scaling_policy_configuration": Block(
            {
                "target_value": TARGET_CPU,
                "predefined_metric_specification": Block({"predefined_metric_type": CPU_METRIC}),
            }
        ),
    }
    return [
        NewResource("aws_appautoscaling_target", target, target_body),
        NewResource("aws_appautoscaling_policy", policy, policy_body),
    ]


def _terraform_cluster(entry: Entry | None) -> str | None:
    """The cluster's name as it goes into a Terraform string template."""
    if entry is None:
        return "default"
    clusters = terraform_names(entry.value, "aws_ecs_cluster")
    if len(clusters) == 1:
        return f"${{aws_ecs_cluster.{clusters.pop()}.name}}"
    literal = text(entry)
    if literal is None or "${" in literal or "%{" in literal:
        return None
    return literal.rsplit("/", 1)[-1]  # a name, or the name at the end of an ARN


def _cloudformation(service: Resource, context: Context, keys: _Keys) -> list[NewResource] | None:
    cluster = _cfn_cluster(service.get(keys.cluster), context, keys)
    if cluster is None:
        return None
    taken = {r.name for r in context.module}
    target = _unused(f"{service.name}ScalableTarget", taken)
    policy = _unused(f"{service.name}CpuScaling", taken)
    low, high = _capacity(service, keys)
    template = f"service/{cluster}/${{{service.name}.Name}}"
    json = service.syntax is Syntax.JSON
    resource_id: Value = {"Fn::Sub": template} if json else Raw(f"!Sub '{template}'")
    target_ref: Value = {"Ref": target} if json else Raw(f"!Ref {target}")
    target_body: dict[str, Value] = {
        "ServiceNamespace": NAMESPACE,
        "ScalableDimension": DIMENSION,
        "ResourceId": resource_id,
        "MinCapacity": low,
        "MaxCapacity": high,
    }
    policy_body: dict[str, Value] = {
        "PolicyName": f"{service.name}-cpu",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": target_ref,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": TARGET_CPU,
            "PredefinedMetricSpecification": {"PredefinedMetricType": CPU_METRIC},
        },
    }
    return [
        NewResource("AWS::ApplicationAutoScaling::ScalableTarget", target, target_body),
        NewResource("AWS::ApplicationAutoScaling::ScalingPolicy", policy, policy_body),
    ]


def _cfn_cluster(entry: Entry | None, context: Context, keys: _Keys) -> str | None:
    """The cluster's name as it goes into a ``Fn::Sub`` template."""
    if entry is None:
        return "default"
    literal = text(entry)
    if literal is not None:
        return literal.rsplit("/", 1)[-1] if "${" not in literal else None
    clusters = {r.name for r in context.module_of_kind(keys.cluster_kind)}
    named = cloudformation_ids(entry.value) & clusters
    if len(named) == 1:
        return f"${{{named.pop()}}}"  # Ref of a cluster is its name
    return None


def _unused(name: str, taken: set[str], separator: str = "") -> str:
    candidate, count = name, 2
    while candidate in taken:
        candidate = f"{name}{separator}{count}"
        count += 1
    taken.add(candidate)
    return candidate
