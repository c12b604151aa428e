"""PERF025: RDS x86 DB instance class with a Graviton equivalent."""

from __future__ import annotations

import re
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
from iacperf.rules.edits import replace_value
from iacperf.rules.generations import Generations, load
from iacperf.rules.model import Entry, Resource
from iacperf.rules.records import record
from iacperf.rules.references import refers_to
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP01, PERF03_BP02

RDS = load("rds_graviton_equivalents.json")
AURORA = load("aurora_graviton_equivalents.json")

#: Oldest major version of each engine that runs on the Graviton3/Graviton4 classes
#: suggested here (older ones run on x86 or Graviton2 only, or are past end of support).
MIN_VERSIONS: dict[str, tuple[int, ...]] = {
    "mysql": (8, 0),
    "mariadb": (10, 5),
    "postgres": (13,),
    "aurora-mysql": (8, 0),  # Aurora MySQL version 3
    "aurora-postgresql": (13,),
}
_ENGINE_NAMES = {
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "postgres": "PostgreSQL",
    "aurora-mysql": "Aurora MySQL",
    "aurora-postgresql": "Aurora PostgreSQL",
}
_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?")


@record
class _Keys:
    instance_class: str
    engine: str
    version: str


_KEYS = {
    "aws_db_instance": _Keys("instance_class", "engine", "engine_version"),
    "aws_rds_cluster_instance": _Keys("instance_class", "engine", "engine_version"),
    "AWS::RDS::DBInstance": _Keys("DBInstanceClass", "Engine", "EngineVersion"),
}


@rule(
    code="PERF025",
    name="rds-x86-with-graviton-equivalent",
    title="RDS x86 DB instance class with a Graviton equivalent",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_db_instance", "aws_rds_cluster_instance"),
    cloudformation=("AWS::RDS::DBInstance",),
    evidence=(
        Link(
            "DB instance classes",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html",
        ),
        Link("AWS Graviton Technical Guide", "https://github.com/aws/aws-graviton-getting-started"),
    ),
    well_architected=(PERF03_BP02, PERF02_BP01),
    tags=("rds", "aurora", "database", "graviton"),
)
def rds_x86_with_graviton_equivalent(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags RDS and Aurora DB instances of MySQL, MariaDB, PostgreSQL, Aurora MySQL and
    Aurora PostgreSQL on a current x86 class that has a Graviton equivalent of the same
    size: `db.t3` (`db.t4g`), `db.m5`/`db.m6i` (`db.m7g`, `db.m8g`), `db.m7i` (`db.m8g`),
    `db.r5`/`db.r5b`/`db.r6i` (`db.r7g`, `db.r8g`), `db.r7i` (`db.r8g`) and the local-NVMe
    `db.m5d`/`db.m6id` and `db.r5d`/`db.r6id` (`db.m6gd`/`db.m8gd`, `db.r6gd`/`db.r8gd`).
    An Aurora instance whose engine or engine version refers to its cluster is read
    through the cluster of the same module or template.

    ## Why is this bad?
    For these engines a Graviton class is a class change, not a migration: the engine
    binaries are AWS's, so no application code is rebuilt. AWS reports up to 52% better
    price-performance for these engines on Graviton2 classes than on comparable x86
    classes; the Graviton3 and Graviton4 classes suggested here are faster still.

    ## Fix safety
    Unsafe. The fix changes the class to the first Graviton family the engine can order
    in the same size (`db.r6i.large` -> `db.r7g.large`; the message names the other
    choice). Changing the class restarts the DB instance (a short failover on Multi-AZ and
    for Aurora readers), and Reserved Instances bought for the x86 family stop applying.
    Benchmark the workload first.

    ## Known limitations
    Oracle, SQL Server and Db2 are not flagged: they have no Graviton classes. Engine
    versions older than MySQL 8.0, MariaDB 10.5, PostgreSQL 13, Aurora MySQL 3 and Aurora
    PostgreSQL 13 are not flagged either, nor an engine or version that comes from a
    variable or parameter; minor versions are not checked against the class (some early
    minor versions of those majors predate the Graviton classes). Class availability is
    that of us-east-1.
    """
    keys = _KEYS[resource.kind]
    entry = resource.get(keys.instance_class)
    value = text(entry)
    if entry is None or value is None:
        return
    family, _, size = value.strip().lower().rpartition(".")
    cluster = cluster_of(resource, context)
    engine = _setting(resource, cluster, keys.engine)
    engine_name = (text(engine) or "").strip().lower() if engine is not None else ""
    if engine_name not in MIN_VERSIONS or not _version_supported(resource, cluster, engine_name):
        return
    table = AURORA if engine_name.startswith("aurora") else RDS
    candidates = table.candidates(family, size, engine_name)
    if candidates:
        yield _violation(resource, entry, value, candidates, engine_name, table)


def _setting(resource: Resource, cluster: Resource | None, key: str) -> Entry | None:
    """The instance's own setting, else its cluster's (same key) when the instance has none
    or refers to the cluster's (``engine = aws_rds_cluster.main.engine``)."""
    own = resource.get(key)
    if cluster is not None and (own is None or refers_to(own.value, cluster)):
        return cluster.get(key)
    return own


def _version_supported(resource: Resource, cluster: Resource | None, engine: str) -> bool:
    """False when the engine version is too old for Graviton3/4 classes, or not known."""
    entry = _setting(resource, cluster, _KEYS[resource.kind].version)
    if entry is None:
        return True  # the engine's default version: a current one
    version = text(entry)
    match = _VERSION.match(version or "")
    if match is None:
        return False
    parts = tuple(int(part) for part in match.groups() if part is not None)
    minimum = MIN_VERSIONS[engine]
    return parts[: len(minimum)] >= minimum


def _violation(
    resource: Resource,
    entry: Entry,
    value: str,
    candidates: list[str],
    engine: str,
    table: Generations,
) -> Violation:
    chosen = candidates[0]
    others = [c for c in candidates[1:] if table.is_graviton(c)]
    alternative = f" (or {others[0]})" if others else ""
    message = (
        f"RDS instance class {value} is x86; {_ENGINE_NAMES[engine]} also runs on Graviton "
        f"{chosen}{alternative}, the same size at better price-performance"
    )
    fix = Fix.unsafe(
        f"Change instance class to {chosen}", replace_value(resource, entry.value, chosen)
    )
    return Violation(message, entry.value.range, fix)
