"""PERF026: RDS Performance Insights / Database Insights not enabled."""

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
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import Entry, Format, Node, Resource
from iacperf.rules.records import record
from iacperf.rules.references import refers_to
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF03_BP03, PERF05_BP02


@record
class _Keys:
    """Where one resource type keeps the settings this rule reads."""

    enabled: str
    mode: str | None  # Database Insights mode; None where the cluster decides
    engine: str
    instance_class: str
    cluster: str | None = None  # a member's pointer to its cluster
    engine_mode: str | None = None


_KEYS = {
    "aws_db_instance": _Keys(
        "performance_insights_enabled", "database_insights_mode", "engine", "instance_class"
    ),
    "aws_rds_cluster_instance": _Keys(
        "performance_insights_enabled", None, "engine", "instance_class", "cluster_identifier"
    ),
    "aws_rds_cluster": _Keys(
        "performance_insights_enabled",
        "database_insights_mode",
        "engine",
        "db_cluster_instance_class",
        engine_mode="engine_mode",
    ),
    "AWS::RDS::DBInstance": _Keys(
        "EnablePerformanceInsights",
        "DatabaseInsightsMode",
        "Engine",
        "DBInstanceClass",
        "DBClusterIdentifier",
    ),
    "AWS::RDS::DBCluster": _Keys(
        "PerformanceInsightsEnabled",
        "DatabaseInsightsMode",
        "Engine",
        "DBClusterInstanceClass",
        engine_mode="EngineMode",
    ),
}
_CLUSTER_KIND = {
    "aws_rds_cluster_instance": "aws_rds_cluster",
    "AWS::RDS::DBInstance": "AWS::RDS::DBCluster",
}
_MEMBER_KIND = {cluster: member for member, cluster in _CLUSTER_KIND.items()}
_CLUSTER_ID = {
    "aws_rds_cluster": "cluster_identifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
}

# Classes without Performance Insights / Database Insights (USER_DatabaseInsights.Engines,
# RDS and Aurora user guides): RDS for MySQL and MariaDB on these, Aurora MySQL on these
# and on every db.t2 / db.t3 class.
_SMALL_BURSTABLE = frozenset(
    f"db.{family}.{size}" for family in ("t2", "t3", "t4g") for size in ("micro", "small")
)
_MYSQL_ENGINES = frozenset({"mysql", "mariadb"})
_AURORA_MYSQL_ENGINES = frozenset({"aurora-mysql", "aurora"})
ADVANCED = "advanced"


@rule(
    code="PERF026",
    name="rds-performance-insights-disabled",
    title="RDS Performance Insights / Database Insights not enabled",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_db_instance", "aws_rds_cluster_instance", "aws_rds_cluster"),
    cloudformation=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
    evidence=(
        Link(
            "Monitoring DB load with Performance Insights on Amazon RDS",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.html",
        ),
        Link(
            "Considerations for Database Insights",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Considerations.html",
        ),
        Link(
            "Amazon RDS DB engine and instance class support for Database Insights",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Engines.html",
        ),
    ),
    well_architected=(PERF03_BP03, PERF05_BP02),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7",
        "soc2_tsc": "A1.1",
        "checkov": "CKV_AWS_353",
    },
    tags=("rds", "aurora", "monitoring"),
)
def rds_performance_insights_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags RDS DB instances, Aurora cluster instances and DB clusters that collect no
    Performance Insights data: `performance_insights_enabled` / `EnablePerformanceInsights`
    (`PerformanceInsightsEnabled` on a cluster) absent or false, and Database Insights not
    in `advanced` mode. Aurora instances inherit the cluster's setting, so an instance is
    not flagged when its cluster in the same module or template turns Performance Insights
    on; a cluster is not flagged when one of its instances does.

    Engines and classes without Performance Insights are skipped: RDS for Db2, RDS Custom,
    Aurora Serverless v1, RDS for MySQL and MariaDB on `db.t2`/`db.t3`/`db.t4g` micro and
    small, and Aurora MySQL on `db.t2`, `db.t3`, `db.t4g.micro` and `db.t4g.small`.

    ## Why is this bad?
    Database load by wait event, top SQL and host is the primary evidence for database
    performance work. Without it, a slow query or lock contention shows only as high CPU or
    latency, with nothing to say why, and the data cannot be collected after the fact.
    The default 7-day retention is free of charge.

    ## Fix safety
    Safe: turning Performance Insights on is an in-place modification without a reboot,
    failover or downtime. The fix enables the standard mode; switch to
    `database_insights_mode = "advanced"` (465-day retention) where the extra cost pays off.

    ## Known limitations
    Settings that come from variables or parameters are not evaluated, and a resource whose
    engine or class could be one without Performance Insights is not flagged.
    """
    keys = _KEYS[resource.kind]
    if _monitored(resource, keys) is not False:
        return
    if resource.kind in _MEMBER_KIND:
        members = _members(resource, context)
        if _any_member_monitored(members) is not False:
            return
        if _cluster_unsupported(resource, keys, members) is not False:
            return
        noun = "DB cluster"
    else:
        cluster = _cluster_of(resource, context)
        if cluster is not None and _monitored(cluster, _KEYS[cluster.kind]) is not False:
            return  # inherited from the cluster, or unknown
        engine = text(resource.get(keys.engine))
        if engine is None and cluster is not None:
            engine = text(cluster.get(_KEYS[cluster.kind].engine))
        if _unsupported(engine, text(resource.get(keys.instance_class))) is not False:
            return
        noun = "DB instance"
    yield _violation(resource, keys, noun)


def _monitored(resource: Resource, keys: _Keys) -> bool | None:
    """True with Performance Insights or advanced Database Insights, None when unknown."""
    entry = resource.get(keys.enabled)
    enabled = boolean(entry) if entry is not None else False
    if enabled:
        return True
    mode = _own_mode(resource, keys)
    if mode is not None:
        value = text(mode)
        if value == ADVANCED:
            return True
        if value is None:
            return None
    return enabled


def _own_mode(resource: Resource, keys: _Keys) -> Entry | None:
    """The Database Insights mode the resource sets for itself (cluster members inherit)."""
    if keys.mode is None or (keys.cluster is not None and resource.get(keys.cluster)):
        return None
    return resource.get(keys.mode)


def _cluster_of(member: Resource, context: Context) -> Resource | None:
    kind = _CLUSTER_KIND.get(member.kind)
    keys = _KEYS[member.kind]
    if kind is None or keys.cluster is None:
        return None
    pointer = member.get(keys.cluster)
    if pointer is None:
        return None
    for cluster in context.module_of_kind(kind):
        if _points_to(pointer.value, cluster):
            return cluster
    return None


def _members(cluster: Resource, context: Context) -> list[Resource]:
    kind = _MEMBER_KIND[cluster.kind]
    found = []
    for member in context.module_of_kind(kind):
        pointer = member.get(_KEYS[kind].cluster or "")
        if pointer is not None and _points_to(pointer.value, cluster):
            found.append(member)
    return found


def _points_to(node: Node, cluster: Resource) -> bool:
    if refers_to(node, cluster):
        return True
    literal = text(node)
    own = text(cluster.get(_CLUSTER_ID[cluster.kind]))
    return literal is not None and own is not None and literal.lower() == own.lower()


def _any_member_monitored(members: list[Resource]) -> bool | None:
    states = [_monitored(member, _KEYS[member.kind]) for member in members]
    if any(state is True for state in states):
        return True
    return None if any(state is None for state in states) else False


def _cluster_unsupported(cluster: Resource, keys: _Keys, members: list[Resource]) -> bool | None:
    engine = text(cluster.get(keys.engine))
    if keys.engine_mode is not None:
        mode_entry = cluster.get(keys.engine_mode)
        if mode_entry is not None:
            mode = text(mode_entry)
            if mode is None or mode.lower() == "serverless":  # v1 has no Performance Insights
                return None if mode is None else True
    if not members:
        return _unsupported(engine, text(cluster.get(keys.instance_class)), class_optional=True)
    verdicts = [
        _unsupported(
            text(member.get(_KEYS[member.kind].engine)) or engine,
            text(member.get(_KEYS[member.kind].instance_class)),
        )
        for member in members
    ]
    if any(verdict is False for verdict in verdicts):
        return False
    return None if any(verdict is None for verdict in verdicts) else True


def _unsupported(
    engine: str | None, instance_class: str | None, class_optional: bool = False
) -> bool | None:
    """Whether the engine/class combination lacks Performance Insights; None when unknown."""
    # RDS reads engine names and classes case-insensitively ("MySQL", "db.T3.micro").
    engine = engine.lower() if engine is not None else None
    instance_class = instance_class.lower() if instance_class is not None else None
    if engine is not None and engine.startswith(("db2", "custom-")):
        return True
    mysql = engine in _MYSQL_ENGINES
    aurora_mysql = engine in _AURORA_MYSQL_ENGINES
    if engine is not None and not (mysql or aurora_mysql):
        return False
    if instance_class is None:
        return False if class_optional and engine is not None else None
    small = instance_class in _SMALL_BURSTABLE
    aurora_burstable = small or instance_class.startswith(("db.t2.", "db.t3."))
    if mysql:
        return small
    if aurora_mysql:
        return aurora_burstable
    return None if aurora_burstable else False


def _violation(resource: Resource, keys: _Keys, noun: str) -> Violation:
    setting = (
        f"{keys.enabled} = true" if resource.format is Format.TERRAFORM else f"{keys.enabled}: true"
    )
    entry = resource.get(keys.enabled)
    title = "Enable Performance Insights"
    if entry is not None:
        return Violation(
            f"RDS {noun} has Performance Insights turned off; set {setting}",
            entry.value.range,
            Fix.safe(title, replace_value(resource, entry.value, True)),
        )
    return Violation(
        f"RDS {noun} does not enable Performance Insights (off by default); set {setting}",
        resource.header_range,
        Fix.safe(title, insert_value(resource, [keys.enabled], True)),
    )
