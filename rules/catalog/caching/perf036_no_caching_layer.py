"""PERF036: Database tier present but no caching layer in the project."""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.model import (
    ExpressionNode,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF03_BP02, PERF03_BP05

# The database tier, with the cache that usually serves it (named in the advice).
_DATABASES: dict[str, str] = {
    "aws_db_instance": "ElastiCache",
    "aws_rds_cluster": "ElastiCache",
    "aws_dynamodb_table": "DAX",
    "AWS::RDS::DBInstance": "ElastiCache",
    "AWS::RDS::DBCluster": "ElastiCache",
    "AWS::DynamoDB::Table": "DAX",
    "AWS::DynamoDB::GlobalTable": "DAX",
    "AWS::Serverless::SimpleTable": "DAX",
}
_TERRAFORM = tuple(kind for kind in _DATABASES if not kind.startswith("AWS::"))
_CLOUDFORMATION = tuple(kind for kind in _DATABASES if kind.startswith("AWS::"))
# Resources that are a caching layer by themselves.
_CACHES = frozenset(
    {
        "aws_elasticache_cluster",
        "aws_elasticache_replication_group",
        "aws_elasticache_serverless_cache",
        "aws_elasticache_global_replication_group",
        "aws_memorydb_cluster",
        "aws_dax_cluster",
        "aws_cloudfront_distribution",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::ServerlessCache",
        "AWS::ElastiCache::GlobalReplicationGroup",
        "AWS::MemoryDB::Cluster",
        "AWS::DAX::Cluster",
        "AWS::CloudFront::Distribution",
    }
)
# API Gateway stages, with where they switch their cache on.
_STAGE_CACHES = {
    "aws_api_gateway_stage": "cache_cluster_enabled",
    "AWS::ApiGateway::Stage": "CacheClusterEnabled",
    "AWS::Serverless::Api": "CacheClusterEnabled",
    "AWS::ApiGateway::Deployment": "StageDescription.CacheClusterEnabled",
}
# Terraform data sources that read a cache made elsewhere, and module calls that make one.
_CACHE_DATA = (
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_serverless_cache",
    "aws_memorydb_cluster",
    "aws_cloudfront_distribution",
)
_CACHE_MODULE = re.compile(
    r"cache|redis|valkey|memorydb|\bdax\b|[-_/]dax|cloudfront|\bcdn\b|[-_/]cdn", re.IGNORECASE
)
# DynamoDB tables: whether their items are read (not only written, or streamed) shows in
# the permissions and integrations of the project.
_KEY_VALUE = frozenset(
    {
        "aws_dynamodb_table",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::Serverless::SimpleTable",
    }
)
# Each pattern names DynamoDB (``_reads_items`` looks for that first).
_TABLE_READS = re.compile(
    r"dynamodb:(?:\*|GetItem|Get\*|BatchGetItem|BatchGet\*|Query|Scan|PartiQLSelect)"
    r"|DynamoDB(?:Read|Crud)Policy|AmazonDynamoDB(?:ReadOnly|Full)Access"
    r"|dynamodb:action/(?:GetItem|BatchGetItem|Query|Scan)"
    r"|states:::(?:aws-sdk:)?dynamodb:(?:getItem|batchGetItem|query|scan)"
    r"|AMAZON_DYNAMODB",
    re.IGNORECASE,
)
# SAM connectors grant reads by name ("Permissions: [Read]").
_CONNECTOR_READ = re.compile(r"^Read$")
#: Terraform's S3 backend locks state in a DynamoDB table keyed by this attribute.
STATE_LOCK_KEY = "LockID"
_KINDS_SHOWN = 4


def _read(resource: Resource) -> bool:
    """What the check reads of the project: databases, caches, stages, and whatever reads
    table items (the check asks only whether one does)."""
    kind = resource.kind
    if kind in _DATABASES or kind in _CACHES or kind in _STAGE_CACHES:
        return True
    return kind not in _KEY_VALUE and _reads_items(resource)


@rule(
    code="PERF036",
    name="no-caching-layer",
    title="Database tier present but no caching layer in the project",
    severity=Severity.HINT,
    scope=Scope.PROJECT,
    terraform=_TERRAFORM,
    cloudformation=_CLOUDFORMATION,
    evidence=(
        Link(
            "In-memory acceleration with DynamoDB Accelerator (DAX)",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAX.html",
        ),
        Link(
            "Supported node types (Amazon ElastiCache)",
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html",
        ),
    ),
    well_architected=(PERF03_BP05, PERF03_BP02),
    tags=("caching", "database", "elasticache", "dax"),
    project_reads=_read,
    project_blocks=("data", "module"),
)
def no_caching_layer(context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Looks at everything scanned together, Terraform and CloudFormation separately. When
    there is a database tier (RDS DB instances, Aurora/RDS clusters, DynamoDB tables; SAM
    simple tables) but no caching layer, it reports one finding on the first database
    resource, by file path and then line. A caching layer is an ElastiCache cluster,
    replication group or serverless cache, a MemoryDB cluster, a DAX cluster, a CloudFront
    distribution or an API Gateway stage with its cache on (or set from a variable). In
    Terraform, a data source that reads an ElastiCache, MemoryDB or CloudFront resource
    made elsewhere, and a module call whose name or source mentions a cache (ElastiCache,
    Redis, Memcached, Valkey, MemoryDB, DAX, CloudFront, CDN), count as one too. DynamoDB
    tables that lock Terraform state (hash key `LockID`) are not a database tier.

    DynamoDB tables count only when something in the project reads their items: a policy
    that allows `GetItem`, `BatchGetItem`, `Query`, `Scan`, `PartiQLSelect` or
    `dynamodb:*` (also in a Terraform `aws_iam_policy_document`), SAM's
    `DynamoDBReadPolicy` / `DynamoDBCrudPolicy` templates or a `Read` connector, the
    managed read-only or full-access policies, an API Gateway or Step Functions
    integration that reads items, or an AppSync DynamoDB data source. Tables that are
    only written or streamed (a queue or event sink) gain nothing from a read cache.

    ## Why is this bad?
    Every read then goes to the database: the same rows are fetched again and again,
    latency is the database's, and read capacity (or a larger instance) is bought to
    serve repeated reads. An in-memory cache (ElastiCache, or DAX in front of DynamoDB)
    answers repeated reads in microseconds to a millisecond and offloads the database;
    CloudFront or an API stage cache does the same for whole responses.

    ## Fix safety
    No automatic fix: whether a cache helps depends on the read/write mix and on how
    stale data may be, and adding one is an architecture decision. The hint names the
    usual cache for the databases found (DAX for DynamoDB, ElastiCache for RDS and
    Aurora).

    ## Known limitations
    Caches kept in another repository, in-process caches and caches inside the
    application (a Redis on EC2, a container sidecar) cannot be seen; suppress the finding
    there. A SAM API whose cache is switched on only in `Globals.Api` is not seen as a
    cache. Reads by code whose permissions come from outside the project (an instance
    profile made elsewhere) are not seen, so such a DynamoDB-only project is not flagged.
    Write-heavy relational workloads with little read reuse do not need a cache either.
    """
    databases = sorted(
        (r for r in context.project_of_kind(*_DATABASES) if not _state_lock(r)),
        key=_position,
    )
    if not databases or _has_cache(context):
        return
    if all(r.kind in _KEY_VALUE for r in databases) and not _reads_tables(context):
        return  # DynamoDB only, and nothing is seen reading it: a write sink or not known
    first = databases[0]
    kinds = list(dict.fromkeys(r.kind for r in databases))
    shown = ", ".join(kinds[:_KINDS_SHOWN]) + (", ..." if len(kinds) > _KINDS_SHOWN else "")
    caches = " or ".join(dict.fromkeys(_DATABASES[kind] for kind in kinds))
    count = "a database resource" if len(databases) == 1 else f"{len(databases)} database resources"
    yield Violation(
        f"The project has {count} ({shown}) and no caching layer (ElastiCache, MemoryDB, "
        f"DAX, CloudFront or an API Gateway stage cache); consider {caches} for "
        "frequently read data",
        first.header_range,
        Fix.display_only(f"Consider a cache for frequently read data ({caches})"),
        resource=first,
    )


def _position(resource: Resource) -> tuple[str, int, int]:
    start = resource.range.start  # relative to the resource's first line
    return (resource.path, resource.line_offset + start.line, start.character)


def _state_lock(table: Resource) -> bool:
    """A DynamoDB table keyed by ``LockID``: Terraform's state lock, not application data."""
    if table.kind == "aws_dynamodb_table":
        return text(table.get("hash_key")) == STATE_LOCK_KEY
    if table.kind != "AWS::DynamoDB::Table":
        return False
    schema = table.get("KeySchema")
    if schema is None or not isinstance(schema.value, SequenceNode):
        return False
    names = [
        text(item.get("AttributeName"))
        for item in schema.value.items
        if isinstance(item, MappingNode)
    ]
    return names == [STATE_LOCK_KEY]


def _has_cache(context: Context) -> bool:
    if any(True for _ in context.project_of_kind(*_CACHES)):
        return True
    for resource in context.project_of_kind(*_STAGE_CACHES):
        path = _STAGE_CACHES[resource.kind]
        if any(boolean(m.value) is not False for m in resource.find(path)):
            return True  # a stage with its cache on, or set from a variable
    if any(labels[:1] and labels[0] in _CACHE_DATA for labels, _ in context.blocks_of("data")):
        return True
    return any(_cache_module(labels, body) for labels, body in context.blocks_of("module"))


def _cache_module(labels: tuple[str, ...], body: MappingNode) -> bool:
    source = text(body.get("source")) or ""
    return _CACHE_MODULE.search(f"{' '.join(labels)} {source}") is not None


def _reads_tables(context: Context) -> bool:
    """True when a policy, a connector or an integration of the project reads DynamoDB
    items (GetItem, Query, Scan ..., SAM's read and CRUD policy templates, the managed
    read-only and full-access policies, API Gateway and Step Functions integrations)."""
    for resource in context.project:
        if resource.kind not in _KEY_VALUE and context.fact(_reads_items, resource):
            return True
    for _, body in context.blocks_of("data"):
        if any(_TABLE_READS.search(written) for written in _strings(body)):
            return True
    return False


def _reads_items(resource: Resource) -> bool:
    """Whether ``resource`` (a policy, a connector, an integration ...) reads items."""
    written = list(_strings(resource.body))
    # One search of them all (no pattern matches the line breaks that join them), and only
    # when DynamoDB is named: every pattern names it, and most resources never do.
    joined = "\n".join(written)
    if "dynamodb" in joined.lower() and _TABLE_READS.search(joined):
        return True
    return _connects(resource) and any(_CONNECTOR_READ.match(w) for w in written)


def _connects(resource: Resource) -> bool:
    """A SAM connector, or a SAM resource with embedded ``Connectors``."""
    return resource.kind == "AWS::Serverless::Connector" or resource.get("Connectors") is not None


def _strings(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform expressions, ``!Sub`` bodies;
    in order (a stack, not nested generators: every resource of the project is read)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode):
            if isinstance(node.value, str):
                yield node.value
        elif isinstance(node, MappingNode):
            stack.extend(entry.value for entry in reversed(node.entries))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.items))
        elif isinstance(node, ExpressionNode):
            yield node.text
        elif isinstance(node, IntrinsicNode):
            stack.append(node.argument)
