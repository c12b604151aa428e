"""PERF032: ElastiCache previous-generation node type."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.caching._node_types import (
    CLOUDFORMATION,
    TERRAFORM,
    NodeType,
    candidates,
    engine_label,
    key_name,
    minimum_text,
    node_type,
    runs,
)
from iacperf.rules.edits import replace_value
from iacperf.rules.generations import load
from iacperf.rules.model import Resource
from iacperf.rules.wellarchitected import PERF03_BP02, PERF05_BP06

DATA = "elasticache_previous_generation.json"
TYPES = load(DATA)


@rule(
    code="PERF032",
    name="elasticache-previous-generation",
    title="ElastiCache previous-generation node type",
    severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES,
    terraform=TERRAFORM,
    cloudformation=CLOUDFORMATION,
    evidence=(
        Link(
            "Supported node types (Amazon ElastiCache)",
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html",
        ),
    ),
    well_architected=(PERF03_BP02, PERF05_BP06),
    compliance={
        "cfn-lint": "I3100",
        "tflint-ruleset-aws": (
            "aws_elasticache_cluster_previous_type; aws_elasticache_replication_group_previous_type"
        ),
    },
    tags=("elasticache", "caching", "previous-generation"),
)
def elasticache_previous_generation(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ElastiCache clusters and replication groups whose node type (`node_type` /
    `CacheNodeType`) is of a previous-generation family: `cache.t1`, `cache.m1`, `cache.m2`,
    `cache.m3`, `cache.c1` or `cache.r3`.

    ## Why is this bad?
    AWS lists these node types as "not recommended": existing clusters still run, but new
    clusters cannot be created on them, so a replacement, a new environment or a restore
    from backup fails. Current node types run on newer processors with more network
    bandwidth (up to 12.5 Gbps for `cache.m7g.large`) and, on Valkey and Redis OSS,
    enhanced I/O threading, at a lower price per GiB of memory.

    ## Fix safety
    Unsafe. Changing the node type scales the cluster: Valkey and Redis OSS replication
    groups are scaled online but their endpoints switch over to new nodes, and a Memcached
    cluster starts empty. The fix picks a current node type of the same size that the
    engine version can run: Graviton (`cache.m3.large` -> `cache.m7g.large`, or
    `cache.m6g.large` for Redis OSS 5.0.6 to 6.0) when the version is written, implied by
    a default parameter group (`default.redis5.0`) or left to the default (the newest),
    x86 (`cache.m5.large`) when it comes from a variable or parameter; the message names
    the other choice. The small and medium sizes exist only as burstable
    `cache.t4g` / `cache.t3`. Where no current node type of the same size runs the engine
    version, the finding only advises.

    ## Known limitations
    Sizes are those offered in us-east-1. CloudFormation templates that create an
    `AWS::ElastiCache::CacheCluster` on these types fail cfn-lint's E3647 as well: the
    node type is not offered any more. Catalog correction: the catalog's successor
    families offer no small or medium size, so `cache.t4g` / `cache.t3` (which its own
    quick fix suggests for `cache.m3.medium`) follow them for `cache.m1` and `cache.m3`,
    and `cache.m5` is the x86 choice for `cache.c1`.
    """
    node = node_type(resource)
    if node is None or not TYPES.is_previous(node.family):
        return
    yield _violation(resource, node)


def _violation(resource: Resource, node: NodeType) -> Violation:
    message = f"ElastiCache node type {node.value} is previous generation; "
    same_size = candidates(TYPES, node)
    fitting = [c for c in same_size if runs(DATA, c, node) is not False]
    if not fitting:
        return _advice(resource, node, message, same_size)
    known = runs(DATA, fitting[0], node) is True
    if not known:
        fitting.sort(key=TYPES.is_graviton)  # x86 runs every supported engine version
    chosen = fitting[0]
    graviton = TYPES.is_graviton(chosen)
    other = next((c for c in fitting if TYPES.is_graviton(c) != graviton), None)
    alternative = ""
    if other is not None and graviton:
        alternative = f" (or x86 {other})"
    elif other is not None:
        needs = "" if known else f", with {minimum_text(DATA, other, node)}"
        alternative = f" (or Graviton {other}{needs})"
    fix = Fix.unsafe(
        f"Change {key_name(resource)} to {chosen}", replace_value(resource, node.node, chosen)
    )
    return Violation(message + f"use {chosen}{alternative}", node.node.range, fix)


def _advice(resource: Resource, node: NodeType, message: str, same_size: list[str]) -> Violation:
    if same_size:
        remedy = f"{engine_label(node)} runs no current node type of this size, so upgrade the "
        remedy += f"engine ({same_size[-1]} needs {minimum_text(DATA, same_size[-1], node)})"
    else:
        families = TYPES.successors[node.family]
        names = ", ".join(families[:-1]) + " or " + families[-1]
        remedy = f"no current family offers size {node.size}, so choose a {names} node type"
    return Violation(
        message + remedy,
        node.node.range,
        Fix.display_only("Choose a current-generation ElastiCache node type"),
    )
