"""PERF024: RDS previous-generation DB instance class."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import replace_value
from iacperf.rules.generations import load
from iacperf.rules.model import Node, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF03_BP02, PERF05_BP06

CLASSES = load("rds_previous_generation.json")

# resource kind -> (class, engine, licence model) attributes
_KEYS: dict[str, tuple[str, str, str]] = {
    "aws_db_instance": ("instance_class", "engine", "license_model"),
    "aws_rds_cluster_instance": ("instance_class", "engine", ""),
    "AWS::RDS::DBInstance": ("DBInstanceClass", "Engine", "LicenseModel"),
}


@rule(
    code="PERF024",
    name="rds-previous-generation",
    title="RDS previous-generation DB instance class",
    severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_db_instance", "aws_rds_cluster_instance"),
    cloudformation=("AWS::RDS::DBInstance",),
    evidence=(
        Link(
            "DB instance classes",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html",
        ),
        Link(
            "Amazon EC2 previous generation instances",
            "https://aws.amazon.com/ec2/previous-generation/",
        ),
    ),
    well_architected=(PERF03_BP02, PERF05_BP06),
    compliance={"cfn-lint": "I3100", "tflint-ruleset-aws": "aws_db_instance_previous_type"},
    tags=("rds", "database", "previous-generation"),
)
def rds_previous_generation(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags RDS and Aurora DB instances whose instance class is of a previous generation
    in the AWS Price List: `db.m1`-`db.m4`, `db.r3`, `db.r4`, `db.t1` and `db.t2`.

    ## Why is this bad?
    Previous-generation classes have worse price-performance than their successors
    (`db.m7g`/`db.m7i`, `db.r7g`/`db.r7i`, `db.t4g`/`db.t3`), and newer engine versions
    drop support for them, which blocks upgrades.

    ## Fix safety
    Unsafe. Changing the class restarts the DB instance (a short failover on Multi-AZ).
    The fix picks a class of the same size that the engine can order: for MySQL,
    MariaDB, PostgreSQL and Aurora the Graviton class (`db.m4.large` -> `db.m7g.large`,
    `db.t2.micro` -> `db.t4g.micro`), for other engines, or when the engine is not
    known, the x86 class (`db.m7i.large`); the message names the other choice. Where no
    class of the same size exists, the finding only advises.

    ## Known limitations
    Class availability is checked per engine (and licence model, where written) against
    the classes offered in us-east-1, not per engine version. Multi-AZ DB clusters
    (`db_cluster_instance_class` / `DBClusterInstanceClass`) are not checked: they offer
    no previous-generation class at all, so such a template fails to deploy (cfn-lint
    reports it as E3694).
    """
    keys = _KEYS.get(resource.kind)
    if keys is None:
        return
    class_key, engine_key, license_key = keys
    entry = resource.get(class_key)
    value = text(entry)
    if entry is None or value is None:
        return
    family, _, size = value.strip().lower().rpartition(".")
    if CLASSES.is_previous(family):
        license_model = text(resource.get(license_key)) if license_key else None
        engine = _engine(text(resource.get(engine_key)), license_model)
        yield _violation(resource, entry.value, value, family, size, engine)


def _engine(engine: str | None, license_model: str | None) -> str | None:
    """The key the class table knows the database by (``oracle-se2:license-included``)."""
    if engine is None:
        return None
    engine = engine.strip().lower()
    if license_model is not None:
        licensed = f"{engine}:{license_model.strip().lower()}"
        if CLASSES.knows_engine(licensed):
            return licensed
    return engine if CLASSES.knows_engine(engine) else None


def _violation(
    resource: Resource, node: Node, value: str, family: str, size: str, engine: str | None
) -> Violation:
    candidates = CLASSES.candidates(family, size, engine)
    if engine is None:
        # Without a known engine prefer x86: far more engines can order it.
        candidates.sort(key=CLASSES.is_graviton)
    message = f"RDS instance class {value} is previous generation; "
    if not candidates:
        names = CLASSES.successors[family]
        families = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        where = f"{engine.split(':')[0]} offers" if engine else "there is"
        return Violation(
            message + f"{where} no {families} of this size, so choose another current class",
            node.range,
            Fix.display_only("Choose a current-generation DB instance class"),
        )
    chosen = candidates[0]
    graviton = CLASSES.is_graviton(chosen)
    other = next((c for c in candidates if CLASSES.is_graviton(c) != graviton), None)
    alternative = ""
    if other is not None:
        kind = "x86" if graviton else "Graviton"
        where = "" if engine else ", where the engine supports it"
        alternative = f" (or {kind} {other}{where})"
    fix = Fix.unsafe(f"Change instance class to {chosen}", replace_value(resource, node, chosen))
    return Violation(message + f"use {chosen}{alternative}", node.range, fix)
