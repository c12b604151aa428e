"""PERF028: Lambda connects to RDS without RDS Proxy."""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import (
    Context,
    Fix,
    Link,
    Related,
    Scope,
    Severity,
    Violation,
    rule,
)
from iacperf.rules.catalog.database._rds_cluster import attribute_references
from iacperf.rules.model import (
    ExpressionNode,
    Format,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to
from iacperf.rules.sam import FUNCTION, global_entry
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF03_BP02

#: Reserved concurrency up to this many executions keeps the connection count small.
BOUNDED_CONCURRENCY = 10
#: Function names of one-off jobs that connect to the database rarely: schema migrations,
#: Secrets Manager rotation, seeding.
ADMIN_WORDS = ("migrat", "rotat", "seed", "bootstrap", "schema", "initdb", "init-db", "init_db")

# Terraform: a database endpoint in an expression (``aws_db_instance.main.address``,
# ``aws_rds_cluster.main[0].reader_endpoint``).
_INDEX = r"(?:\[[^\]]*\]|\.\*)?"
_TF_ENDPOINTS = {
    "aws_db_instance": re.compile(
        rf"(?<![\w.-])aws_db_instance\.([A-Za-z_][\w-]*){_INDEX}\.(?:endpoint|address)\b"
    ),
    "aws_rds_cluster": re.compile(
        rf"(?<![\w.-])aws_rds_cluster\.([A-Za-z_][\w-]*){_INDEX}\.(?:endpoint|reader_endpoint)\b"
    ),
}
_TF_LOCAL = re.compile(r"(?<![\w.-])local\.([A-Za-z_][\w-]*)")
_TF_DATABASE = re.compile(r"(?<![\w.-])(?:aws_db_instance|aws_rds_cluster)\.")
_TF_PROXY = re.compile(r"(?<![\w.-])aws_db_proxy(?:_endpoint)?\.[A-Za-z_][\w-]*")
# CloudFormation: the endpoint attributes of instances and clusters.
_CFN_ATTRIBUTES = {
    "AWS::RDS::DBInstance": ("Endpoint.Address",),
    "AWS::RDS::DBCluster": ("Endpoint.Address", "ReadEndpoint.Address", "Endpoint"),
}
_CFN_PROXY_KINDS = ("AWS::RDS::DBProxy", "AWS::RDS::DBProxyEndpoint")
_LOCALS_DEPTH = 3


@record
class _Keys:
    variables: str  # environment variables, from the body
    environment: str  # the environment block/property (SAM Globals)
    reserved: str
    name: str
    proxy_target: str
    targets: dict[str, str]  # database kind -> the proxy target's attribute naming it


_KEYS = {
    Format.TERRAFORM: _Keys(
        "environment.variables",
        "environment",
        "reserved_concurrent_executions",
        "function_name",
        "aws_db_proxy_target",
        {"aws_db_instance": "db_instance_identifier", "aws_rds_cluster": "db_cluster_identifier"},
    ),
    Format.CLOUDFORMATION: _Keys(
        "Environment.Variables",
        "Environment",
        "ReservedConcurrentExecutions",
        "FunctionName",
        "AWS::RDS::DBProxyTargetGroup",
        {
            "AWS::RDS::DBInstance": "DBInstanceIdentifiers",
            "AWS::RDS::DBCluster": "DBClusterIdentifiers",
        },
    ),
}
_IDENTIFIERS = {
    "aws_db_instance": "identifier",
    "aws_rds_cluster": "cluster_identifier",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
}


@rule(
    code="PERF028",
    name="lambda-rds-without-proxy",
    title="Lambda connects to RDS without RDS Proxy",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Amazon RDS Proxy",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html",
        ),
        Link(
            "Using AWS Lambda with Amazon RDS",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-rds.html",
        ),
    ),
    well_architected=(PERF03_BP02,),
    compliance={"iso_27001_2022": "A.8.6", "soc2_tsc": "A1.1"},
    tags=("lambda", "rds", "aurora", "rds-proxy", "database"),
)
def lambda_rds_without_proxy(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions with an environment variable that holds the endpoint of an RDS
    DB instance or DB cluster of the same module or template, when no RDS Proxy of that
    module or template targets the database. Terraform: `aws_db_instance.<x>.endpoint` or
    `.address`, `aws_rds_cluster.<x>.endpoint` or `.reader_endpoint`, directly or through
    `locals`, and no `aws_db_proxy_target` with `db_instance_identifier` /
    `db_cluster_identifier` for it. CloudFormation and SAM (with `Globals.Function`):
    `!GetAtt <db>.Endpoint.Address` (or a cluster's `ReadEndpoint.Address`), also inside
    `!Sub` and `!Join`, and no `AWS::RDS::DBProxyTargetGroup` listing the database.

    Not flagged: functions whose reserved concurrency is 10 or less, functions that also
    get an RDS Proxy endpoint, and functions named for one-off jobs (schema migration,
    secret rotation, seeding: names containing `migrat`, `rotat`, `seed`, `bootstrap`,
    `schema` or `initdb`).

    ## Why is this bad?
    Every concurrent execution environment opens its own database connections, and Lambda
    scales out within seconds: a burst of invocations can exhaust the database's
    `max_connections`, and the memory and CPU spent on connection churn slow every query.
    RDS Proxy pools and shares connections, and keeps them open across the function's
    scaling, so the database sees a steady, bounded number.

    ## Fix safety
    Advice only: a proxy (`aws_db_proxy` with `aws_db_proxy_default_target_group` and
    `aws_db_proxy_target`, or `AWS::RDS::DBProxy` with an `AWS::RDS::DBProxyTargetGroup`)
    needs a Secrets Manager secret or IAM authentication, a role and subnets that only the
    author knows. Point the function at the proxy's endpoint once it exists; the proxy is
    billed per vCPU (or ACU) of the database behind it.

    ## Known limitations
    An RDS Proxy defined in another stack or module, or an endpoint passed through a
    variable, parameter, SSM parameter or secret, cannot be seen.
    """
    keys = _KEYS[resource.format]
    variables = list(_variables(resource, context, keys))
    if any(_mentions_proxy(resource, node, context) for _, node, _ in variables):
        return
    found = []
    for name, node, from_globals in variables:
        for database in _databases(resource, node, context):
            if _proxied(database, context, keys):
                continue
            found.append(_violation(resource, name, node, database, from_globals))
            break
    # The exemptions are read only when they decide: an unknown function name or reserved
    # concurrency blocks nothing on a function that reaches no database (report_unknown).
    if found and not (_bounded(resource, keys) or _admin_job(resource, keys)):
        yield from found


def _bounded(resource: Resource, keys: _Keys) -> bool:
    reserved = number(resource.get(keys.reserved))
    return reserved is not None and 0 <= reserved <= BOUNDED_CONCURRENCY


def _admin_job(resource: Resource, keys: _Keys) -> bool:
    names = [resource.name.lower(), (text(resource.get(keys.name)) or "").lower()]
    return any(word in name for name in names for word in ADMIN_WORDS)


def _variables(
    resource: Resource, context: Context, keys: _Keys
) -> Iterator[tuple[str | None, Node, bool]]:
    """(name, value, from Globals) of every environment variable; name None when the whole
    map is one expression (``merge(...)``)."""
    for match in resource.find(keys.variables):
        yield from _entries(match.value, from_globals=False)
    if resource.kind == FUNCTION:
        inherited = global_entry(resource, context, keys.environment)
        if inherited is not None and isinstance(inherited.value, MappingNode):
            variables = inherited.value.get("Variables")
            if variables is not None:
                yield from _entries(variables.value, from_globals=True)


def _entries(node: Node, from_globals: bool) -> Iterator[tuple[str | None, Node, bool]]:
    if isinstance(node, MappingNode):
        for entry in node.entries:
            yield entry.key, entry.value, from_globals
    else:
        yield None, node, from_globals


def _databases(resource: Resource, node: Node, context: Context) -> Iterator[Resource]:
    """The databases of the module whose endpoint ``node`` holds."""
    if resource.format is Format.TERRAFORM:
        names = _terraform_endpoints(node, context, _LOCALS_DEPTH)
        for kind, name in sorted(names):
            yield from (db for db in context.module_of_kind(kind) if db.name == name)
        return
    found = set(attribute_references(node))
    for kind, attributes in _CFN_ATTRIBUTES.items():
        for db in context.module_of_kind(kind):
            if any((db.name, attribute) in found for attribute in attributes):
                yield db


def _terraform_endpoints(node: Node, context: Context, depth: int) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for expression in _expressions(node):
        for kind, pattern in _TF_ENDPOINTS.items():
            found.update((kind, name) for name in pattern.findall(expression))
        if depth > 0:
            for local in _TF_LOCAL.findall(expression):
                value = _local(context, local)
                if value is not None:
                    found |= _terraform_endpoints(value, context, depth - 1)
    return found


def _local(context: Context, name: str) -> Node | None:
    for block in context.top_blocks("locals"):
        if isinstance(block.entry.value, MappingNode):
            entry = block.entry.value.get(name)
            if entry is not None:
                return entry.value
    return None


def _expressions(node: Node) -> Iterator[str]:
    if isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _expressions(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _expressions(item)


def _mentions_proxy(resource: Resource, node: Node, context: Context) -> bool:
    """True when the variable holds an RDS Proxy endpoint: the function uses a proxy."""
    if resource.format is Format.TERRAFORM:
        return any(_TF_PROXY.search(expression) for expression in _expressions(node))
    proxies = {p.name for p in context.module_of_kind(*_CFN_PROXY_KINDS)}
    return bool(cloudformation_ids(node) & proxies)


def _proxied(database: Resource, context: Context, keys: _Keys) -> bool:
    """True when a proxy target of the module names the database, or may (a value that
    cannot be known)."""
    attribute = keys.targets[database.kind]
    for target in context.module_of_kind(keys.proxy_target):
        named = target.get(attribute)
        if named is None:
            continue
        if refers_to(named.value, database) or _unknown_target(named.value, database, context):
            return True
        if _same_identifier(named.value, database):
            return True
    return False


def _unknown_target(node: Node, database: Resource, context: Context) -> bool:
    """A target that comes from a variable or parameter: it may be this database."""
    if database.format is Format.TERRAFORM:
        return isinstance(node, ExpressionNode) and not _TF_DATABASE.search(node.text)
    items = node.items if isinstance(node, SequenceNode) else (node,)
    databases = {db.name for db in context.module_of_kind(*_CFN_ATTRIBUTES)}
    return any(
        not isinstance(item, ScalarNode) and not (cloudformation_ids(item) & databases)
        for item in items
    )


def _same_identifier(node: Node, database: Resource) -> bool:
    own = text(database.get(_IDENTIFIERS[database.kind]))
    if own is None:
        return False
    items = node.items if isinstance(node, SequenceNode) else (node,)
    return any((text(item) or "").lower() == own.lower() for item in items)


def _violation(
    resource: Resource, name: str | None, node: Node, database: Resource, from_globals: bool
) -> Violation:
    clusters = ("aws_rds_cluster", "AWS::RDS::DBCluster")
    noun = "DB cluster" if database.kind in clusters else "DB instance"
    variable = f"Environment variable {name}" if name is not None else "The environment"
    if from_globals:
        variable += " (Globals.Function)"
    where = "module" if resource.format is Format.TERRAFORM else "template"
    message = (
        f"{variable} points the function at the {noun} {database.address}, and no RDS Proxy "
        f"of this {where} targets it: a burst of invocations can exhaust its connections; "
        "connect through an RDS Proxy endpoint"
    )
    advice = Fix.display_only(
        f"Add an RDS Proxy for {database.address} and point the function at its endpoint"
    )
    if from_globals:
        related = Related(
            f"{name} is set in Globals.Function", resource.path, resource.absolute(node.range)
        )
        return Violation(message, resource.header_range, advice, related=(related,))
    return Violation(message, node.range, advice)
