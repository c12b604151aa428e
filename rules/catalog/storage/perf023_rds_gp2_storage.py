"""PERF023: RDS storage on gp2 (migrate to gp3)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Edit, insert_value, replace_value
from iacperf.rules.model import Entry, Node, Resource, ScalarNode
from iacperf.rules.records import record
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP02

GP2 = "gp2"
GP3 = "gp3"
GP2_IOPS_PER_GIB = 3
GP3_BASE = (3000, 125)  # IOPS, MiB/s below the per-engine threshold (SQL Server: always)
GP3_ABOVE_THRESHOLD = (12000, 500)
#: gp2 volumes up to 170 GiB deliver at most 128 MiB/s, about gp3's 125 MiB/s baseline;
#: larger ones reach 250 MiB/s, more than gp3 gives without provisioned throughput.
GP2_SMALL_VOLUME_GIB = 170
STRIPES = 4  # RDS stripes gp2 and gp3 storage over four volumes from the threshold
GP3_MIN_GIB = 20  # gp3 starts at 20 GiB on every RDS engine


@record
class _Engine:
    """How RDS lays out General Purpose storage for an engine family."""

    name: str
    threshold: int | None  # GiB from which gp3 gives 12,000 IOPS (storage is striped)
    max_iops: int  # the most gp2 delivers


_SQLSERVER = _Engine("SQL Server", None, 16000)
_ORACLE = _Engine("Oracle", 200, 64000)
_OTHER = _Engine("", 400, 64000)  # MariaDB, MySQL, PostgreSQL, Db2

_KEYS = {
    "aws_db_instance": ("storage_type", "allocated_storage", "engine", "iops"),
    "AWS::RDS::DBInstance": ("StorageType", "AllocatedStorage", "Engine", "Iops"),
}


@rule(
    code="PERF023",
    name="rds-gp2-storage",
    title="RDS storage on gp2 (migrate to gp3)",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_db_instance",),
    cloudformation=("AWS::RDS::DBInstance",),
    evidence=(
        Link(
            "Amazon RDS DB instance storage",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html",
        ),
    ),
    well_architected=(PERF03_BP02,),
    tags=("rds", "storage"),
)
def rds_gp2_storage(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags RDS DB instances whose storage type (`storage_type` / `StorageType`) is `gp2`.
    Aurora instances are skipped: their storage belongs to the cluster.

    ## Why is this bad?
    gp2 performance grows with size: 3 IOPS per GiB, with bursts to 3,000 IOPS that stop
    when the burst credits run out, so small and medium databases slow down under sustained
    load. gp3 gives a steady baseline of 3,000 IOPS and 125 MiB/s (12,000 IOPS and
    500 MiB/s from 400 GiB, 200 GiB for Oracle) for the same price per GiB, and IOPS and
    throughput can be raised without growing the storage.

    ## Fix safety
    The fix sets the storage type to `gp3`: an in-place change without downtime, after
    which RDS optimises the storage for a while and the storage cannot be modified again
    for six hours. Where gp2's baseline of 3 IOPS per GiB exceeds gp3's (SQL Server from
    1,000 GiB, other engines from 4,000 GiB) the fix also sets `iops` to it, so no
    database gets fewer IOPS. The fix is safe when the storage size and engine are known
    and gp3's baseline covers gp2's throughput. It is unsafe otherwise: gp2 volumes above
    170 GiB can reach 250 MiB/s each, more than gp3's baseline below the threshold, where
    no throughput can be provisioned, so check the database's throughput first. It is
    unsafe as well where it raises storage below 20 GiB, the gp3 minimum, to 20 GiB: that
    costs more and cannot be undone.

    ## Known limitations
    Catalog correction: in Terraform an absent `storage_type` is not flagged. The provider
    documentation still names `gp2` as the default, but the provider sends no storage
    type, and the RDS API now defaults to `gp3` (CreateDBInstance: "Default: io1, if the
    Iops parameter is specified. Otherwise, gp3"), as the CloudFormation schema documents.
    """
    keys = _KEYS.get(resource.kind)
    if keys is None or _is_aurora(resource, keys[2]):
        return
    type_key, size_key, engine_key, iops_key = keys
    entry = resource.get(type_key)
    if entry is None or (text(entry) or "").lower() != GP2:
        return
    engine = _engine(text(resource.get(engine_key)))
    yield _violation(resource, entry.value, resource.get(size_key), engine, iops_key)


def _is_aurora(resource: Resource, engine_key: str) -> bool:
    engine = (text(resource.get(engine_key)) or "").lower()
    return engine.startswith("aurora") or resource.get("DBClusterIdentifier") is not None


def _engine(engine: str | None) -> _Engine | None:
    if engine is None:
        return None
    engine = engine.strip().lower()
    if engine.startswith("sqlserver"):
        return _SQLSERVER
    if engine.startswith("oracle"):
        return _ORACLE
    return _OTHER


def _violation(
    resource: Resource, node: Node, size_entry: Entry | None, engine: _Engine | None, iops_key: str
) -> Violation:
    edits: list[Edit] = [replace_value(resource, node, GP3)]
    size = number(size_entry)
    grown = _grown(resource, size_entry, size)
    if grown is not None:
        edits.append(grown)
    iops = _iops_to_keep(size, engine)
    if iops is not None and resource.get(iops_key) is None:
        edits.append(insert_value(resource, [iops_key], iops))
    baseline = f"{GP3_BASE[0]:,} IOPS and {GP3_BASE[1]} MiB/s"
    if engine is not None and engine.threshold is not None:
        high, throughput = GP3_ABOVE_THRESHOLD
        baseline += f" ({high:,} and {throughput} MiB/s from {engine.threshold} GiB)"
    message = f"RDS storage type is {GP2}; use {GP3}, with a steady baseline of {baseline}"
    message += " for the same price"
    title = f"Change storage type to {GP3}"
    if iops is not None:
        title += f" with {iops:,} IOPS"
    if grown is not None:
        title += f" and allocated storage to {GP3_MIN_GIB} GiB"
    if size is None or grown is not None:
        return Violation(message, node.range, Fix.unsafe(title, *edits))
    if _may_lose_throughput(size, engine):
        message += f"; gp2 of {size:g} GiB may give more throughput than gp3's baseline"
        return Violation(message, node.range, Fix.unsafe(title, *edits))
    return Violation(message, node.range, Fix.safe(title, *edits))


def _grown(resource: Resource, size_entry: Entry | None, size: float | None) -> Edit | None:
    """Raise storage below the gp3 minimum to it, keeping the value's type (CloudFormation
    templates often write sizes as strings)."""
    if size_entry is None or size is None or size >= GP3_MIN_GIB:
        return None
    written = size_entry.value
    new_size: int | str = GP3_MIN_GIB
    if isinstance(written, ScalarNode) and isinstance(written.value, str):
        new_size = str(GP3_MIN_GIB)
    return replace_value(resource, written, new_size)


def _iops_to_keep(size: float | None, engine: _Engine | None) -> int | None:
    """The IOPS to provision on gp3 so that it matches gp2's baseline, or None."""
    if size is None or engine is None:
        return None
    gp2 = min(int(size) * GP2_IOPS_PER_GIB, engine.max_iops)
    return gp2 if gp2 > _gp3_baseline(size, engine)[0] else None


def _gp3_baseline(size: float, engine: _Engine) -> tuple[int, int]:
    if engine.threshold is not None and size >= engine.threshold:
        return GP3_ABOVE_THRESHOLD
    return GP3_BASE


def _may_lose_throughput(size: float, engine: _Engine | None) -> bool:
    """True when gp2 of this size can exceed gp3's baseline throughput (for an unknown
    engine, when it could)."""
    striped = engine is not None and engine.threshold is not None and size >= engine.threshold
    per_volume = size / STRIPES if striped else size
    return per_volume > GP2_SMALL_VOLUME_GIB
