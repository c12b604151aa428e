"""PERF050: CloudWatch alarm without actions (or actions disabled)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.edits import replace_value
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, terraform_names
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF05_BP05


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    alarm: str
    enabled: str
    actions: str
    name: str
    #: Resources that act on an alarm without being one of its actions: composite alarms,
    #: dashboards, deployment rollbacks, health checks, event rules.
    consumers: tuple[str, ...]
    event_rule: str
    event_pattern: str


_KEYS = {
    Format.TERRAFORM: _Keys(
        alarm="aws_cloudwatch_metric_alarm",
        enabled="actions_enabled",
        actions="alarm_actions",
        name="alarm_name",
        consumers=(
            "aws_cloudwatch_composite_alarm",
            "aws_cloudwatch_dashboard",
            "aws_codedeploy_deployment_group",
            "aws_ecs_service",
            "aws_route53_health_check",
            "aws_appconfig_environment",
            "aws_cloudwatch_event_rule",
        ),
        event_rule="aws_cloudwatch_event_rule",
        event_pattern="event_pattern",
    ),
    Format.CLOUDFORMATION: _Keys(
        alarm="AWS::CloudWatch::Alarm",
        enabled="ActionsEnabled",
        actions="AlarmActions",
        name="AlarmName",
        consumers=(
            "AWS::CloudWatch::CompositeAlarm",
            "AWS::CloudWatch::Dashboard",
            "AWS::CodeDeploy::DeploymentGroup",
            "AWS::ECS::Service",
            "AWS::Route53::HealthCheck",
            "AWS::AppConfig::Environment",
            "AWS::Serverless::Function",
            "AWS::Events::Rule",
        ),
        event_rule="AWS::Events::Rule",
        event_pattern="EventPattern",
    ),
}
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"


@rule(
    code="PERF050",
    name="cloudwatch-alarm-without-actions",
    title="CloudWatch alarm without actions (or actions disabled)",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_cloudwatch_metric_alarm",),
    cloudformation=("AWS::CloudWatch::Alarm",),
    evidence=(
        Link(
            "Using Amazon CloudWatch alarms",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        ),
    ),
    well_architected=(PERF05_BP05,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7; SI-4(12); AU-6(1); AU-6(5); SI-2",
        "soc2_tsc": "A1.1",
        "checkov": "CKV_AWS_319",
        "aws-security-hub": "CloudWatch.15; CloudWatch.17",
    },
    tags=("cloudwatch", "alarms", "monitoring"),
)
def cloudwatch_alarm_without_actions(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags CloudWatch metric alarms (`aws_cloudwatch_metric_alarm`,
    `AWS::CloudWatch::Alarm`) whose actions are switched off (`actions_enabled` /
    `ActionsEnabled` is false; the default is true), or that have no action for the
    `ALARM` state (`alarm_actions` / `AlarmActions` absent or empty).

    An alarm without actions is not flagged when something else of the same module or
    template acts on it: a composite alarm or a dashboard that shows it, a CodeDeploy
    deployment group, an ECS service, a SAM function's `DeploymentPreference` or an
    AppConfig environment that rolls back on it, a Route 53 health check that follows it,
    or an EventBridge rule on alarm state changes (for this alarm, or for every alarm).
    An action list from a variable or parameter counts as actions.

    ## Why is this bad?
    An alarm that notifies nobody and starts nothing changes state unseen: the threshold
    that marks a performance problem is crossed, and no one is paged and no scaling or
    remediation runs. AWS Security Hub controls CloudWatch.15 and CloudWatch.17 ask for an
    `ALARM` action and for actions to be switched on.

    ## Fix safety
    Unsafe. Where the alarm has actions but they are switched off, the fix switches them
    on: from then on the alarm pages, scales or runs what its actions name. Where actions
    are missing, the finding only advises: the right SNS topic, Auto Scaling policy or
    Lambda function is a decision.

    ## Known limitations
    Alarms watched from another repository (a central observability stack, a third-party
    tool that reads alarm states) cannot be seen; suppress the finding there. Catalog
    correction: a scaling policy does not name the alarms that trigger it (the alarm's
    `alarm_actions` names the policy), so an alarm that drives step scaling has actions
    and needs no exemption of its own.
    """
    keys = _KEYS[resource.format]
    enabled = resource.get(keys.enabled)
    actions = resource.get(keys.actions)
    has_actions = _has_items(actions)
    if enabled is not None and boolean(enabled) is False:
        yield _disabled(resource, keys, enabled, has_actions)
        return
    if has_actions is not False or _consumed(resource, context, keys):
        return
    where = resource.header_range if actions is None else actions.value.range
    state = "absent" if actions is None else "empty"
    yield Violation(
        f"CloudWatch alarm has no action for the ALARM state ({keys.actions} is {state}), "
        "so it notifies nobody and starts nothing; add an SNS topic, scaling policy or "
        "Lambda function",
        where,
        Fix.display_only(f"Add an SNS topic, scaling policy or Lambda ARN to {keys.actions}"),
    )


def _has_items(entry: Entry | None) -> bool | None:
    """Whether an action list names anything; None when it is not known."""
    if entry is None:
        return False
    value = entry.value
    if isinstance(value, SequenceNode):
        return bool(value.items)
    return None  # a variable, a function, an intrinsic


def _disabled(
    resource: Resource, keys: _Keys, enabled: Entry, has_actions: bool | None
) -> Violation:
    if has_actions is False:
        return Violation(
            f"CloudWatch alarm actions are switched off ({keys.enabled} is false) and it has "
            f"no {keys.actions}, so it notifies nobody and starts nothing",
            enabled.value.range,
            Fix.display_only(
                f"Add an action to {keys.actions} and set {keys.enabled} to true (or remove it)"
            ),
        )
    return Violation(
        f"CloudWatch alarm actions are switched off ({keys.enabled} is false), so its actions "
        "never run; set it to true",
        enabled.value.range,
        Fix.unsafe("Switch the alarm actions on", replace_value(resource, enabled.value, True)),
    )


def _consumed(alarm: Resource, context: Context, keys: _Keys) -> bool:
    """True when another resource of the module acts on the alarm."""
    name = text(alarm.get(keys.name))
    for consumer in context.module_of_kind(*keys.consumers):
        if consumer.kind == keys.event_rule:
            if _watches_alarm(consumer, keys, alarm, name):
                return True
        elif _names(consumer.body, alarm, keys, name):
            return True
    return False


def _names(node: Node, alarm: Resource, keys: _Keys, name: str | None) -> bool:
    """Whether ``node`` refers to the alarm, or writes its literal name."""
    if alarm.format is Format.TERRAFORM:
        if alarm.name in terraform_names(node, keys.alarm):
            return True
    elif alarm.name in cloudformation_ids(node):
        return True
    return name is not None and any(name in written for written in _strings(node))


def _watches_alarm(rule_: Resource, keys: _Keys, alarm: Resource, name: str | None) -> bool:
    """An EventBridge rule on alarm state changes, for every alarm or for this one."""
    pattern = rule_.get(keys.event_pattern)
    if pattern is None:
        return False
    written = " ".join(_strings(pattern.value)) + " " + " ".join(_keys_in(pattern.value))
    if ALARM_STATE_CHANGE not in written:
        return False
    return "alarmName" not in written or _names(pattern.value, alarm, keys, name)


def _strings(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform expressions, ``!Sub`` bodies."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, IntrinsicNode):
        yield from _strings(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _strings(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _strings(entry.value)


def _keys_in(node: Node) -> Iterator[str]:
    """Mapping keys below ``node`` (a YAML or JSON event pattern names fields as keys)."""
    if isinstance(node, MappingNode):
        for entry in node.entries:
            yield entry.key
            yield from _keys_in(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _keys_in(item)
    elif isinstance(node, IntrinsicNode):
        yield from _keys_in(node.argument)
