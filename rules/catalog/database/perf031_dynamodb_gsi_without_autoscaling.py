"""PERF031: DynamoDB GSI on a PROVISIONED table without index auto scaling."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

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
from iacperf.rules.catalog.database._scaling import (
    TARGET_KEYS,
    Wanted,
    may_scale,
    scaling_targets,
)
from iacperf.rules.edits import Block, NewResource, Raw, Value, insert_resources_after
from iacperf.rules.lifecycle import SCALING_WORDS, handed_to_module, ignores_changes
from iacperf.rules.model import (
    Format,
    MappingNode,
    Node,
    Resource,
    SequenceNode,
    Syntax,
)
from iacperf.rules.records import record
from iacperf.rules.references import refers_to
from iacperf.rules.values import number, text
from iacperf.rules.wellarchitected import PERF02_BP05, PERF03_BP02

PROVISIONED = "PROVISIONED"
NAMESPACE = "dynamodb"
TABLE_DIMENSION_PREFIX = "dynamodb:table:"
INDEX_DIMENSION_PREFIX = "dynamodb:index:"
TARGET_UTILIZATION = 70
CAPACITIES = ("Read", "Write")
_INDEX_NAME = re.compile(r"index/([A-Za-z0-9_.-]+)")


@record
class _Keys:
    billing: str
    table_name: str
    indexes: str  # the GSIs, from the body
    index_name: str
    capacity: dict[str, str]  # "Read"/"Write" -> the index's capacity, from the index
    max_capacity: str  # a scalable target's maximum


_KEYS = {
    Format.TERRAFORM: _Keys(
        "billing_mode",
        "name",
        "global_secondary_index",
        "name",
        {"Read": "read_capacity", "Write": "write_capacity"},
        "max_capacity",
    ),
    Format.CLOUDFORMATION: _Keys(
        "BillingMode",
        "TableName",
        "GlobalSecondaryIndexes",
        "IndexName",
        {
            "Read": "ProvisionedThroughput.ReadCapacityUnits",
            "Write": "ProvisionedThroughput.WriteCapacityUnits",
        },
        "MaxCapacity",
    ),
}
_CAPACITY_ATTRIBUTES = frozenset({"read_capacity", "write_capacity"})


@rule(
    code="PERF031",
    name="dynamodb-gsi-without-autoscaling",
    title="DynamoDB GSI on a PROVISIONED table without index auto scaling",
    severity=Severity.WARNING,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_dynamodb_table",),
    cloudformation=("AWS::DynamoDB::Table",),
    evidence=(
        Link(
            "Managing throughput capacity automatically with DynamoDB auto scaling",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html",
        ),
    ),
    well_architected=(PERF02_BP05, PERF03_BP02),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CP-2(2); SC-5(2)",
        "soc2_tsc": "A1.1",
        "aws-security-hub": "DynamoDB.1",
    },
    tags=("dynamodb", "autoscaling", "database"),
)
def dynamodb_gsi_without_autoscaling(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags each global secondary index of a DynamoDB table in provisioned capacity mode
    (`billing_mode` / `BillingMode` absent or `PROVISIONED`) whose capacity no Application
    Auto Scaling target of the same module or template scales (`aws_appautoscaling_target`
    / `AWS::ApplicationAutoScaling::ScalableTarget` with a `dynamodb:index:*` dimension and
    resource id `table/<table>/index/<index>`), when the table's own capacity is scaled.

    A provisioned table without any auto scaling is PERF030's finding (its fix, on-demand
    capacity, covers the indexes too), so its indexes are not reported again here.

    ## Why is this bad?
    A global secondary index has its own read and write capacity. When the table scales up
    but an index does not, writes to the table that touch the index are throttled as soon
    as the index's write capacity runs out: the table's scaling does not help, and reads
    on the index are throttled the same way.

    ## Fix safety
    Unsafe. The fix adds, for each flagged index, a scalable target and a target-tracking
    policy (70% utilisation) for its read and for its write capacity, from the index's
    current capacity up to the maximum of the table's own target of the same kind (four
    times the current capacity when that is not known). Capacity that auto scaling adds
    is billed. The fix is advice only for Terraform JSON and for tables made with `count`,
    `for_each` or a condition; switching the table to on-demand (`PAY_PER_REQUEST`) is the
    other remedy.

    ## Known limitations
    A target whose resource id or dimension comes from a variable or parameter is assumed
    to scale the index. A Terraform table whose indexes are in `lifecycle
    { ignore_changes }`, or that a module call with "autoscal" or "scaling" in its name,
    source or inputs refers to, is assumed to be scaled there. Indexes that are rarely
    written are flagged as well: suppress the finding for them.
    """
    keys = _KEYS[resource.format]
    billing = resource.get(keys.billing)
    if billing is not None and text(billing) != PROVISIONED:
        return  # on-demand, or not known
    if resource.format is Format.TERRAFORM and (
        ignores_changes(resource, ("global_secondary_index",))
        or handed_to_module(resource, context.top_blocks("module"), SCALING_WORDS)
    ):
        return
    if not _table_scaled(resource, context):
        return  # PERF030 reports the table
    table_name = _table_name(resource, keys)
    for index, name_node, name in _indexes(resource, keys):
        wanted = Wanted(
            NAMESPACE,
            lambda d: d.startswith(INDEX_DIMENSION_PREFIX),
            _literal_id(table_name, name),
            _fragment(name),
        )
        targets = scaling_targets(resource, context)
        if not any(may_scale(t, resource, context, wanted) for t in targets):
            yield _violation(resource, context, index, name_node, name)


def _table_name(table: Resource, keys: _Keys) -> str | None | bool:
    """The table's literal name; None when not known; False when generated."""
    entry = table.get(keys.table_name)
    if entry is None:
        return False
    return text(entry)


def _table_scaled(table: Resource, context: Context) -> bool:
    """Whether the table's own capacity is scaled (or assumed to be), as PERF030 sees it."""
    if table.format is Format.TERRAFORM and ignores_changes(table, _CAPACITY_ATTRIBUTES):
        return True
    literal = _table_literal(_table_name(table, _KEYS[table.format]))
    wanted = Wanted(NAMESPACE, lambda d: d.startswith(TABLE_DIMENSION_PREFIX), literal)
    return any(may_scale(t, table, context, wanted) for t in scaling_targets(table, context))


def _table_literal(table_name: str | None | bool) -> Callable[[str], bool] | None:
    """Whether a literal resource id names the table; None when any may."""
    if table_name is False:
        return _nothing  # a generated name matches no literal id
    if not isinstance(table_name, str):
        return None
    return lambda value: value == f"table/{table_name}"


def _literal_id(table_name: str | None | bool, index: str) -> Callable[[str], bool]:
    if table_name is False:
        return _nothing
    if not isinstance(table_name, str):
        return lambda value: value.endswith(f"/index/{index}")
    return lambda value: value == f"table/{table_name}/index/{index}"


def _nothing(value: str) -> bool:
    return False


def _fragment(index: str) -> Callable[[list[str]], bool]:
    """Whether the written parts of a resource id that refers to the table name ``index``
    (or may: the index part is not literal)."""

    exact = re.compile(rf"index/{re.escape(index)}(?![A-Za-z0-9_.-])")

    def names(texts: list[str]) -> bool:
        if any(exact.search(part) or part == index for part in texts):
            return True
        named = {found for part in texts for found in _INDEX_NAME.findall(part)}
        if named:
            return False  # other literal indexes
        if "index" in texts:
            return False  # !Join [..., "index", "<another>"]
        return any("index/" in part for part in texts)  # an index from a variable

    return names


def _indexes(table: Resource, keys: _Keys) -> Iterator[tuple[MappingNode, Node, str]]:
    for match in table.find(keys.indexes):
        items = match.value.items if isinstance(match.value, SequenceNode) else (match.value,)
        for item in items:
            if not isinstance(item, MappingNode):
                continue
            entry = item.get(keys.index_name)
            name = text(entry)
            if entry is not None and name is not None:
                yield item, entry.value, name


def _violation(
    table: Resource, context: Context, index: MappingNode, name_node: Node, name: str
) -> Violation:
    message = (
        f"Global secondary index {name} has provisioned capacity but no auto scaling, while "
        "the table's capacity scales: writes to the table throttle when the index runs out; "
        f"scale its read and write capacity ({INDEX_DIMENSION_PREFIX}*) too"
    )
    return Violation(message, name_node.range, _fix(table, context, index, name))


def _fix(table: Resource, context: Context, index: MappingNode, name: str) -> Fix:
    title = f"Add auto scaling for index {name}"
    advice = Fix.display_only(f"{title}, or switch the table to PAY_PER_REQUEST")
    terraform = table.format is Format.TERRAFORM
    if terraform and (
        table.syntax is Syntax.JSON or any(table.get(k) is not None for k in ("count", "for_each"))
    ):
        return advice
    if not terraform and table.node.get("Condition") is not None:
        return advice
    taken = _taken(table, context)
    new: list[NewResource] = []
    for capacity in CAPACITIES:
        minimum = _index_capacity(table, index, capacity)
        maximum = _table_maximum(table, context, capacity) or minimum * 4
        new.extend(_resources(table, name, capacity, minimum, max(minimum, maximum), taken))
    return Fix.unsafe(title, insert_resources_after(table, *new))


def _index_capacity(table: Resource, index: MappingNode, capacity: str) -> int:
    path = _KEYS[table.format].capacity[capacity].split(".")
    node: Node = index
    for step in path:
        entry = node.get(step) if isinstance(node, MappingNode) else None
        if entry is None:
            return 1
        node = entry.value
    value = number(node)
    return max(int(value), 1) if value is not None else 1


def _table_maximum(table: Resource, context: Context, capacity: str) -> int | None:
    """The maximum of the table's own target for the same capacity, when literal."""
    keys = TARGET_KEYS[table.format]
    for target in scaling_targets(table, context):
        dimension = text(target.get(keys.dimension))
        resource_id = target.get(keys.resource_id)
        if dimension != f"{TABLE_DIMENSION_PREFIX}{capacity}CapacityUnits" or resource_id is None:
            continue
        if refers_to(resource_id.value, table):
            value = number(target.get(_KEYS[table.format].max_capacity))
            if value is not None:
                return int(value)
    return None


def _resources(
    table: Resource, index: str, capacity: str, minimum: int, maximum: int, taken: set[str]
) -> list[NewResource]:
    keys = TARGET_KEYS[table.format]
    dimension = f"{INDEX_DIMENSION_PREFIX}{capacity}CapacityUnits"
    metric = f"DynamoDB{capacity}CapacityUtilization"
    if table.format is Format.TERRAFORM:
        label = f"{table.name}_{index}_{capacity.lower()}"
        name = _unused(re.sub(r"[^A-Za-z0-9_]", "_", label), taken)
        target = f"{keys.kind}.{name}"
        target_body: dict[str, Value] = {
            "service_namespace": NAMESPACE,
            "scalable_dimension": dimension,
            "resource_id": Raw(f'"table/${{{table.kind}.{table.name}.name}}/index/{index}"'),
            "min_capacity": minimum,
            "max_capacity": maximum,
        }
        policy_body: dict[str, Value] = {
            "name": f"{table.name}-{index}-{capacity.lower()}-capacity",
            "policy_type": "TargetTrackingScaling",
            "service_namespace": Raw(f"{target}.service_namespace"),
            "scalable_dimension": Raw(f"{target}.scalable_dimension"),
            "resource_id": Raw(f"{target}.resource_id"),
            "target_tracking_scaling_policy_configuration": Block(
                {
                    "target_value": TARGET_UTILIZATION,
                    "predefined_metric_specification": Block({"predefined_metric_type": metric}),
                }
            ),
        }
        return [
            NewResource(keys.kind, name, target_body),
            NewResource(keys.policy_kind, name, policy_body),
        ]
    words = re.sub(r"[^A-Za-z0-9]+", " ", index).title().replace(" ", "")
    name = _unused(f"{table.name}{words}{capacity}Scaling", taken)
    yaml = table.syntax is Syntax.YAML
    template = f"table/${{{table.name}}}/index/{index}"
    resource_id: Value = Raw(f"!Sub '{template}'") if yaml else {"Fn::Sub": template}
    target_body = {
        "ServiceNamespace": NAMESPACE,
        "ScalableDimension": dimension,
        "ResourceId": resource_id,
        "MinCapacity": minimum,
        "MaxCapacity": maximum,
    }
    policy_body = {
        "PolicyName": f"{table.name}-{index}-{capacity.lower()}-capacity",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": Raw(f"!Ref {name}") if yaml else {"Ref": name},
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": TARGET_UTILIZATION,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
        },
    }
    return [
        NewResource(keys.kind, name, target_body),
        NewResource(keys.policy_kind, _unused(f"{name}Policy", taken), policy_body),
    ]


def _unused(name: str, taken: set[str]) -> str:
    candidate, number_ = name, 2
    while candidate in taken:
        candidate = f"{name}{number_}"
        number_ += 1
    taken.add(candidate)
    return candidate


def _taken(resource: Resource, context: Context) -> set[str]:
    """Names new resources must not reuse: Terraform names are per type, CloudFormation
    logical ids per template."""
    if resource.format is Format.TERRAFORM:
        keys = TARGET_KEYS[Format.TERRAFORM]
        return {r.name for r in context.module_of_kind(keys.kind, keys.policy_kind)}
    return {r.name for r in context.module}
