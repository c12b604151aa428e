"""PERF049: No CloudWatch alarms defined for a project with compute/data resources."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.model import MappingNode, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF05_BP01, PERF05_BP05

# The compute and data resources whose performance needs alarms, with the metric an alarm
# on them usually starts from (the hint names those of the first few kinds found).
_INVENTORY: dict[str, str] = {
    "aws_instance": "EC2 CPUUtilization",
    "aws_autoscaling_group": "Auto Scaling group CPUUtilization",
    "aws_lambda_function": "Lambda Duration p99",
    "aws_ecs_service": "ECS service CPUUtilization",
    "aws_db_instance": "RDS CPUUtilization",
    "aws_rds_cluster": "Aurora CPUUtilization",
    "aws_dynamodb_table": "DynamoDB ThrottledRequests",
    "aws_lb": "ALB TargetResponseTime p99",
    "aws_alb": "ALB TargetResponseTime p99",  # the provider's alias of aws_lb
    "aws_api_gateway_stage": "API Gateway Latency p99",
    "AWS::EC2::Instance": "EC2 CPUUtilization",
    "AWS::AutoScaling::AutoScalingGroup": "Auto Scaling group CPUUtilization",
    "AWS::Lambda::Function": "Lambda Duration p99",
    "AWS::Serverless::Function": "Lambda Duration p99",
    "AWS::ECS::Service": "ECS service CPUUtilization",
    "AWS::RDS::DBInstance": "RDS CPUUtilization",
    "AWS::RDS::DBCluster": "Aurora CPUUtilization",
    "AWS::DynamoDB::Table": "DynamoDB ThrottledRequests",
    "AWS::Serverless::SimpleTable": "DynamoDB ThrottledRequests",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "ALB TargetResponseTime p99",
    "AWS::ApiGateway::Stage": "API Gateway Latency p99",
    "AWS::Serverless::Api": "API Gateway Latency p99",
}
_TERRAFORM = tuple(kind for kind in _INVENTORY if not kind.startswith("AWS::"))
_CLOUDFORMATION = tuple(kind for kind in _INVENTORY if kind.startswith("AWS::"))
_ALARMS = (
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_composite_alarm",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
)
# Scaling policies and where their type is; target tracking creates its own alarms.
_POLICY_TYPES = {
    "aws_autoscaling_policy": "policy_type",
    "aws_appautoscaling_policy": "policy_type",
    "AWS::AutoScaling::ScalingPolicy": "PolicyType",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "PolicyType",
}
_TARGET_TRACKING = "TargetTrackingScaling"
# Network and Gateway Load Balancers have no response time metric.
_LOAD_BALANCER_TYPES = {
    "aws_lb": "load_balancer_type",
    "aws_alb": "load_balancer_type",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Type",
}
_HINTS_SHOWN = 3
_KINDS_SHOWN = 4
_READ = frozenset({*_INVENTORY, *_ALARMS, *_POLICY_TYPES})


def _read(resource: Resource) -> bool:
    """What the check reads of the project: the inventory, alarms and scaling policies."""
    return resource.kind in _READ


def _reads_values(resource: Resource) -> bool:
    """Of those, whose values it reads: a load balancer's type and a policy's. Of the
    rest it reads the kind and the place (the resources of a project are mostly these,
    with their user data and init scripts)."""
    return resource.kind in _LOAD_BALANCER_TYPES or resource.kind in _POLICY_TYPES


@rule(
    code="PERF049",
    name="no-cloudwatch-alarms",
    title="No CloudWatch alarms defined for a project with compute/data resources",
    severity=Severity.INFORMATION,
    scope=Scope.PROJECT,
    terraform=_TERRAFORM,
    cloudformation=_CLOUDFORMATION,
    evidence=(
        Link(
            "Using Amazon CloudWatch alarms",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        ),
    ),
    well_architected=(PERF05_BP01, PERF05_BP05),
    compliance={"iso_27001_2022": "A.8.6", "nist_800_53_r5": "SI-4; CA-7", "soc2_tsc": "A1.1"},
    tags=("cloudwatch", "alarms", "monitoring"),
    project_reads=_read,
    project_blocks=("module",),
    project_values=_reads_values,
)
def no_cloudwatch_alarms(context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Looks at everything scanned together, Terraform and CloudFormation separately. When
    there is at least one compute or data resource (EC2 instances, Auto Scaling groups,
    Lambda functions, ECS services, RDS instances and clusters, DynamoDB tables, load
    balancers, API Gateway REST stages; SAM functions, simple tables and APIs) but no
    CloudWatch alarm (`aws_cloudwatch_metric_alarm`, `aws_cloudwatch_composite_alarm`,
    `AWS::CloudWatch::Alarm`, `AWS::CloudWatch::CompositeAlarm`) and no target tracking
    scaling policy (which creates its own alarms), it reports one finding on the first
    of those resources, by file path and then line.

    ## Why is this bad?
    Without alarms, performance KPIs have no thresholds: nobody learns that latency
    grew or capacity ran out until users notice, and nothing can start remediation
    automatically (scaling, rollback, paging).

    ## Fix safety
    No automatic fix: an alarm needs a threshold that fits the workload. The hint names
    metrics to start from for the resources found (for example Lambda Duration p99,
    ALB TargetResponseTime, RDS CPUUtilization).

    ## Known limitations
    Alarms kept in a central observability repository, made by AWS Control Tower or an
    observability accelerator, or monitors of a third-party tool cannot be seen; suppress
    the finding there. A Terraform module call whose name or source mentions alarms
    counts as alarms, and so does a scaling policy whose type is computed.
    """
    inventory = list(context.project_of_kind(*_INVENTORY))
    if not inventory or _has_alarms(context):
        return
    inventory.sort(key=_position)
    first = inventory[0]
    found = list(dict.fromkeys(r.kind for r in inventory))
    kinds = ", ".join(found[:_KINDS_SHOWN]) + (", ..." if len(found) > _KINDS_SHOWN else "")
    metrics = _first_metrics(inventory)
    if len(inventory) == 1:
        what, whose = f"the compute/data resource scanned ({kinds})", "its"
    else:
        what, whose = f"the {len(inventory)} compute/data resources scanned ({kinds})", "their"
    yield Violation(
        f"No CloudWatch alarms are defined for {what}; add alarms on {whose} performance KPIs",
        first.header_range,
        Fix.display_only(f"Add CloudWatch alarms, for example on {', '.join(metrics)}"),
        resource=first,
    )


def _first_metrics(inventory: list[Resource]) -> list[str]:
    """The first few different metrics to alarm on, in file order (a project has
    thousands of resources; the hint names three)."""
    metrics: list[str] = []
    for resource in inventory:
        metric = _metric(resource)
        if metric not in metrics:
            metrics.append(metric)
            if len(metrics) == _HINTS_SHOWN:
                break
    return metrics


def _metric(resource: Resource) -> str:
    """The metric an alarm on ``resource`` usually starts from."""
    if resource.kind in _LOAD_BALANCER_TYPES:
        kind = text(resource.get(_LOAD_BALANCER_TYPES[resource.kind]))
        if kind in ("network", "gateway"):
            return "load balancer UnHealthyHostCount"
    return _INVENTORY[resource.kind]


def _position(resource: Resource) -> tuple[str, int, int]:
    start = resource.range.start  # relative to the resource's first line
    return (resource.path, resource.line_offset + start.line, start.character)


def _has_alarms(context: Context) -> bool:
    if any(True for _ in context.project_of_kind(*_ALARMS)):
        return True
    for resource in context.project_of_kind(*_POLICY_TYPES):
        if _target_tracking(resource, _POLICY_TYPES[resource.kind]) is not False:
            return True
    return any(_about_alarms(labels, body) for labels, body in context.blocks_of("module"))


def _target_tracking(policy: Resource, key: str) -> bool | None:
    """Whether a scaling policy is target tracking; None when its type is computed."""
    entry = policy.get(key)
    if entry is None:
        return False  # simple scaling (EC2 Auto Scaling) or step scaling (Application)
    value = text(entry)
    return None if value is None else value == _TARGET_TRACKING


def _about_alarms(labels: tuple[str, ...], body: MappingNode) -> bool:
    source = text(body.get("source")) or ""
    return "alarm" in f"{' '.join(labels)} {source}".lower()
