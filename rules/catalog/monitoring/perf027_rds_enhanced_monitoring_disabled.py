"""PERF027: RDS Enhanced Monitoring disabled."""

from __future__ import annotations

from collections.abc import Iterator

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
from iacperf.rules.catalog.database._rds_cluster import cluster_of
from iacperf.rules.edits import Edit, Raw, Value, insert_entries, insert_value, replace_value
from iacperf.rules.model import (
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
    Syntax,
)
from iacperf.rules.records import record
from iacperf.rules.references import terraform_names
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP03, PERF05_BP02

INTERVAL = 60  # seconds: the cheapest setting that still gives OS metrics
MONITORING_PRINCIPAL = "monitoring.rds.amazonaws.com"
MONITORING_POLICY = "AmazonRDSEnhancedMonitoringRole"


@record
class _Keys:
    interval: str
    role: str
    engine: str
    #: Multi-AZ DB clusters only: the class their instances share (Aurora has none).
    cluster_class: str | None = None


_KEYS = {
    "aws_db_instance": _Keys("monitoring_interval", "monitoring_role_arn", "engine"),
    "aws_rds_cluster_instance": _Keys("monitoring_interval", "monitoring_role_arn", "engine"),
    "aws_rds_cluster": _Keys(
        "monitoring_interval", "monitoring_role_arn", "engine", "db_cluster_instance_class"
    ),
    "AWS::RDS::DBInstance": _Keys("MonitoringInterval", "MonitoringRoleArn", "Engine"),
    "AWS::RDS::DBCluster": _Keys(
        "MonitoringInterval", "MonitoringRoleArn", "Engine", "DBClusterInstanceClass"
    ),
}
_ROLE_KIND = {Format.TERRAFORM: "aws_iam_role", Format.CLOUDFORMATION: "AWS::IAM::Role"}
#: Where a role names who may assume it, and its managed policies.
_ROLE_KEYS = {
    Format.TERRAFORM: ("assume_role_policy", "managed_policy_arns"),
    Format.CLOUDFORMATION: ("AssumeRolePolicyDocument", "ManagedPolicyArns"),
}


@rule(
    code="PERF027",
    name="rds-enhanced-monitoring-disabled",
    title="RDS Enhanced Monitoring disabled",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_db_instance", "aws_rds_cluster_instance", "aws_rds_cluster"),
    cloudformation=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
    evidence=(
        Link(
            "Monitoring OS metrics with Enhanced Monitoring",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.html",
        ),
    ),
    well_architected=(PERF03_BP03, PERF05_BP02),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7; SI-2",
        "soc2_tsc": "A1.1",
        "checkov": "CKV_AWS_118",
        "aws-security-hub": "RDS.6",
        "aws-config": "rds-enhanced-monitoring-enabled",
    },
    tags=("rds", "aurora", "monitoring"),
)
def rds_enhanced_monitoring_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags RDS DB instances, Aurora cluster instances and Multi-AZ DB clusters that collect
    no Enhanced Monitoring metrics: `monitoring_interval` / `MonitoringInterval` absent
    (the default is 0) or 0. An instance of a cluster of the same module or template that
    turns Enhanced Monitoring on for the whole cluster is not flagged. Aurora clusters
    themselves are not flagged (their instances are), nor RDS Custom instances, which do
    not offer Enhanced Monitoring.

    ## Why is this bad?
    CloudWatch's standard RDS metrics come from the hypervisor once a minute. Enhanced
    Monitoring reads the operating system of the DB instance, down to 1-second granularity:
    CPU by process and by kind (user, system, I/O wait, steal), memory and swap, and disk
    I/O per device. That is what tells a slow query from a starved instance or a noisy
    process, and it cannot be collected after the fact.

    ## Fix safety
    Unsafe. Enhanced Monitoring is turned on in place, without a restart, but it needs an
    IAM role that RDS can assume (`monitoring.rds.amazonaws.com`, with the managed policy
    `AmazonRDSEnhancedMonitoringRole`), and the metrics are billed as CloudWatch Logs
    ingestion. The fix sets the interval to 60 seconds, and, when the instance has no
    role yet, uses a monitoring role that another database of the module already uses or
    that the module defines. Without one, the finding only advises.

    ## Known limitations
    Dev and test databases are flagged like production ones: suppress the finding there.

    Catalog correction: Terraform `aws_rds_cluster` is checked too, for Multi-AZ DB
    clusters (`db_cluster_instance_class` set), the counterpart of the catalog's
    `AWS::RDS::DBCluster`; such clusters have no instance resources to flag.
    """
    keys = _KEYS[resource.kind]
    engine = (text(resource.get(keys.engine)) or "").lower()
    if engine.startswith("custom-"):
        return
    if keys.cluster_class is not None and resource.get(keys.cluster_class) is None:
        return  # an Aurora cluster: its instances are checked
    interval = resource.get(keys.interval)
    if interval is not None and number(interval) != 0:
        return  # on, or not known
    cluster = cluster_of(resource, context)
    if cluster is not None:
        inherited = cluster.get(_KEYS[cluster.kind].interval)
        if inherited is not None and number(inherited) != 0:
            return
    yield _violation(resource, context, keys)


def _violation(resource: Resource, context: Context, keys: _Keys) -> Violation:
    entry = resource.get(keys.interval)
    noun = "DB cluster" if keys.cluster_class is not None else "DB instance"
    terraform = resource.format is Format.TERRAFORM
    setting = f"{keys.interval} = {INTERVAL}" if terraform else f"{keys.interval}: {INTERVAL}"
    remedy = f"set {setting} with a {keys.role} that RDS can assume"
    if entry is None:
        message = f"RDS {noun} has no {keys.interval}, so Enhanced Monitoring is off; {remedy}"
        where = resource.header_range
    else:
        message = f"Enhanced Monitoring is off ({keys.interval} is 0); {remedy}"
        where = entry.value.range
    return Violation(message, where, _fix(resource, context, keys))


def _fix(resource: Resource, context: Context, keys: _Keys) -> Fix:
    title = f"Enable Enhanced Monitoring every {INTERVAL} seconds"
    advice = Fix.display_only(
        f"{title} with a monitoring role ({MONITORING_POLICY} for {MONITORING_PRINCIPAL})"
    )
    own = resource.get(keys.role)
    role: Value | None = None
    if own is None:
        role = _known_role(resource, context)
        if role is None:
            return advice
    elif not _certain(own.value):
        return advice  # a role only under some condition: the interval alone could break it
    entry = resource.get(keys.interval)
    edits: list[Edit] = []
    if entry is not None:
        edits.append(replace_value(resource, entry.value, INTERVAL))
        if role is not None:
            edits.append(insert_value(resource, [keys.role], role))
    elif role is not None:
        entries: list[tuple[str, Value]] = [(keys.interval, INTERVAL), (keys.role, role)]
        edits.append(insert_entries(resource, resource.body, 0, entries))
    else:
        edits.append(insert_value(resource, [keys.interval], INTERVAL))
    return Fix.unsafe(title, *edits)


def _certain(node: Node) -> bool:
    """False for a value that may turn out empty (``!If``, ``cond ? arn : null``)."""
    if isinstance(node, IntrinsicNode):
        return node.function != "Fn::If"
    if isinstance(node, ExpressionNode):
        return "?" not in node.text and "null" not in node.text
    return True


def _known_role(resource: Resource, context: Context) -> Value | None:
    """A monitoring role to use: one another database of the module uses, else a role of
    the module that RDS monitoring can assume."""
    for address, role in context.summary(_roles_in_use):
        if address == resource.address:
            continue
        value = _portable(resource, role)
        if value is not None:
            return value
    for kind, name in context.summary(_monitoring_roles):
        if kind == _ROLE_KIND[resource.format]:
            return _arn_of(resource, kind, name)
    return None


def _roles_in_use(context: Context) -> tuple[tuple[str, Node], ...]:
    """(address, role) of every database of the module with Enhanced Monitoring on.

    A summary (see ``Context.summary``): computed once per lint for every database the
    rule flags, and an edit of one database re-checks the others only when it changes.
    """
    found = []
    for other in context.module_of_kind(*_KEYS):
        keys = _KEYS[other.kind]
        role, interval = other.get(keys.role), other.get(keys.interval)
        if role is not None and interval is not None and number(interval) != 0:
            found.append((other.address, role.value))
    return tuple(found)


def _monitoring_roles(context: Context) -> tuple[tuple[str, str], ...]:
    """(kind, name) of every role of the module that RDS monitoring can assume."""
    return tuple(
        (role.kind, role.name)
        for role in context.module_of_kind(*_ROLE_KIND.values())
        if _monitoring_role(role, context)
    )


def _portable(resource: Resource, node: Node) -> Value | None:
    """``node`` as a value to write into ``resource``, when it means the same there."""
    literal = text(node)
    if literal is not None:
        return literal
    if isinstance(node, ExpressionNode):
        if any(word in node.text for word in ("count.", "each.", "self.")):
            return None
        return Raw(node.text)
    if isinstance(node, IntrinsicNode) and node.function == "Fn::GetAtt":
        names = _getatt(node.argument)
        if names is not None and names[1] == "Arn":
            return _getatt_value(resource, names[0])
    return None


def _getatt(argument: Node) -> tuple[str, str] | None:
    if isinstance(argument, ScalarNode) and isinstance(argument.value, str):
        name, _, attribute = argument.value.partition(".")
        return name, attribute
    if isinstance(argument, SequenceNode) and len(argument.items) == 2:
        first, second = (text(item) for item in argument.items)
        if first is not None and second is not None:
            return first, second
    return None


def _monitoring_role(role: Resource, context: Context) -> bool:
    """True when the role trusts RDS monitoring or carries its managed policy."""
    trust_key, policies_key = _ROLE_KEYS[role.format]
    trust, policies = role.get(trust_key), role.get(policies_key)
    if trust is not None and _mentions(trust.value, MONITORING_PRINCIPAL):
        return True
    if policies is not None and _mentions(policies.value, MONITORING_POLICY):
        return True
    if role.format is not Format.TERRAFORM:
        return False
    return (trust is not None and _trusted_by_document(trust.value, context)) or _attached(
        role, context
    )


def _trusted_by_document(trust: Node, context: Context) -> bool:
    """``assume_role_policy = data.aws_iam_policy_document.<n>.json`` naming the principal."""
    documents = terraform_names(trust, "data.aws_iam_policy_document")
    return any(
        labels[1] in documents and _mentions(body, MONITORING_PRINCIPAL)
        for labels, body in context.blocks_of("data")
        if len(labels) == 2 and labels[0] == "aws_iam_policy_document"
    )


def _attached(role: Resource, context: Context) -> bool:
    """An ``aws_iam_role_policy_attachment`` of the monitoring policy to the role."""
    for attachment in context.module_of_kind("aws_iam_role_policy_attachment"):
        policy, target = attachment.get("policy_arn"), attachment.get("role")
        if policy is None or target is None or not _mentions(policy.value, MONITORING_POLICY):
            continue
        if role.name in terraform_names(target.value, role.kind):
            return True
    return False


def _mentions(node: Node, needle: str) -> bool:
    """True when ``needle`` is written anywhere in ``node`` (literals, expressions)."""
    if isinstance(node, ScalarNode):
        return isinstance(node.value, str) and needle in node.value
    if isinstance(node, ExpressionNode):
        return needle in node.text
    if isinstance(node, IntrinsicNode):
        return _mentions(node.argument, needle)
    if isinstance(node, SequenceNode):
        return any(_mentions(item, needle) for item in node.items)
    if isinstance(node, MappingNode):
        return any(_mentions(entry.value, needle) for entry in node.entries)
    return False


def _arn_of(resource: Resource, kind: str, name: str) -> Value:
    if resource.format is Format.TERRAFORM:
        return Raw(f"{kind}.{name}.arn")
    return _getatt_value(resource, name)


def _getatt_value(resource: Resource, name: str) -> Value:
    if resource.syntax is Syntax.YAML:
        return Raw(f"!GetAtt {name}.Arn")
    return {"Fn::GetAtt": [name, "Arn"]}
