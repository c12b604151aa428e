"""PERF033: ElastiCache x86 node type with a Graviton equivalent."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.caching._node_types import (
    CLOUDFORMATION,
    TERRAFORM,
    candidates,
    key_name,
    minimum_text,
    node_type,
    runs,
)
from iacperf.rules.edits import replace_value
from iacperf.rules.generations import load
from iacperf.rules.model import Resource
from iacperf.rules.wellarchitected import PERF02_BP01, PERF03_BP02

DATA = "elasticache_graviton.json"
#: x86 family -> its Graviton equivalents (newest first), with their sizes.
EQUIVALENTS = load(DATA)


@rule(
    code="PERF033",
    name="elasticache-x86-node-type",
    title="ElastiCache x86 node type with a Graviton equivalent",
    severity=Severity.HINT,
    fix=FixAvailability.ALWAYS,
    terraform=TERRAFORM,
    cloudformation=CLOUDFORMATION,
    evidence=(
        Link(
            "Supported node types (Amazon ElastiCache)",
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html",
        ),
        Link("AWS Graviton Technical Guide", "https://github.com/aws/aws-graviton-getting-started"),
    ),
    well_architected=(PERF03_BP02, PERF02_BP01),
    tags=("elasticache", "caching", "graviton"),
)
def elasticache_x86_node_type(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags ElastiCache clusters and replication groups on an x86 node type (`cache.t2`,
    `cache.t3`, `cache.m4`, `cache.m5`, `cache.r4`, `cache.r5`) when a Graviton node type of
    the same size exists (`cache.t4g`, `cache.m7g` / `cache.m6g`, `cache.r7g` /
    `cache.r6g`) and the engine version can run it: Redis OSS 5.0.6 or later (6.2 for the
    7th-generation types), Memcached 1.5.16 or later, any Valkey version. A cluster whose
    engine version is older is not flagged. Without an engine version, a default parameter
    group (`default.redis3.2`, `default.redis6.x`) tells the version family; with none,
    ElastiCache creates the newest version.

    ## Why is this bad?
    The cache engines need no code change to run on Graviton: the node type is the whole
    migration. AWS quotes better price-performance for Graviton node types than for x86
    nodes of the same size: the 6th-generation types cost less per hour, the
    7th-generation types cost about the same as `cache.m5` / `cache.r5` with more network
    bandwidth and faster processors.

    ## Fix safety
    Unsafe. Changing the node type scales the cluster: Valkey and Redis OSS replication
    groups are scaled online but their endpoints switch over to new nodes, and a Memcached
    cluster starts empty. The fix picks the newest Graviton family the engine version
    runs (`cache.r5.large` -> `cache.r7g.large`, or `cache.r6g.large` for Redis OSS
    5.0.6 to 6.0); when the engine version comes from a variable or parameter, the
    message names the versions the new type needs.

    ## Known limitations
    Reserved nodes bought for the x86 family cannot be seen: they stop applying after the
    change. `cache.t2` and `cache.m4` nodes have slightly more memory than their Graviton
    equivalents (`cache.t2.micro` 0.555 GiB, `cache.t4g.micro` 0.5 GiB): check the
    headroom. Sizes with no Graviton equivalent (`cache.m5.24xlarge`, `cache.m4.10xlarge`,
    `cache.r5.24xlarge`) are not flagged. Sizes are those offered in us-east-1. Catalog
    correction: `cache.m7g` and `cache.r7g` need Redis OSS 6.2 (ElastiCache's supported
    node types table); the catalog's Redis OSS 5.0.6 minimum holds for `cache.m6g`,
    `cache.r6g` and `cache.t4g`.
    """
    node = node_type(resource)
    if node is None or not EQUIVALENTS.is_previous(node.family):
        return
    fitting = [c for c in candidates(EQUIVALENTS, node) if runs(DATA, c, node) is not False]
    if not fitting:
        return  # no Graviton type of this size, or the engine version is too old for one
    chosen = fitting[0]
    needs = "" if runs(DATA, chosen, node) else f", with {minimum_text(DATA, chosen, node)}"
    yield Violation(
        f"ElastiCache node type {node.value} is x86; use {chosen} (Graviton{needs}), the same "
        "size with better price-performance",
        node.node.range,
        Fix.unsafe(
            f"Change {key_name(resource)} to {chosen}", replace_value(resource, node.node, chosen)
        ),
    )
