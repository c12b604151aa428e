"""PERF030: DynamoDB PROVISIONED table without auto scaling."""

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
from iacperf.rules.edits import Edit, insert_value, remove_entries, replace_value
from iacperf.rules.lifecycle import SCALING_WORDS, handed_to_module, ignores_changes
from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Resource,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP05, PERF03_BP02

PROVISIONED = "PROVISIONED"
ON_DEMAND = "PAY_PER_REQUEST"
NAMESPACE = "dynamodb"
TABLE_DIMENSION_PREFIX = "dynamodb:table:"


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    billing: str
    table_name: str
    target_kind: str
    namespace: str
    resource_id: str
    dimension: str
    capacity: tuple[str, ...]  # provisioned capacity paths the on-demand fix removes


_KEYS = {
    Format.TERRAFORM: _Keys(
        billing="billing_mode",
        table_name="name",
        target_kind="aws_appautoscaling_target",
        namespace="service_namespace",
        resource_id="resource_id",
        dimension="scalable_dimension",
        capacity=(
            "read_capacity",
            "write_capacity",
            "global_secondary_index.read_capacity",
            "global_secondary_index.write_capacity",
        ),
    ),
    Format.CLOUDFORMATION: _Keys(
        billing="BillingMode",
        table_name="TableName",
        target_kind="AWS::ApplicationAutoScaling::ScalableTarget",
        namespace="ServiceNamespace",
        resource_id="ResourceId",
        dimension="ScalableDimension",
        capacity=("ProvisionedThroughput", "GlobalSecondaryIndexes[].ProvisionedThroughput"),
    ),
}
_CAPACITY_ATTRIBUTES = frozenset({"read_capacity", "write_capacity"})


@rule(
    code="PERF030",
    name="dynamodb-provisioned-without-autoscaling",
    title="DynamoDB PROVISIONED table without auto scaling",
    severity=Severity.WARNING,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_dynamodb_table",),
    cloudformation=("AWS::DynamoDB::Table",),
    evidence=(
        Link(
            "Managing throughput capacity automatically with DynamoDB auto scaling",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html",
        ),
        Link(
            "DynamoDB on-demand capacity mode",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html",
        ),
    ),
    well_architected=(PERF02_BP05, PERF03_BP02),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CP-2(2); SC-5(2); CP-10; CP-6(2); SC-36; SI-13(5)",
        "soc2_tsc": "A1.1",
        "checkov": "CKV2_AWS_16",
        "aws-security-hub": "DynamoDB.1",
        "aws-config": "dynamodb-autoscaling-enabled",
    },
    tags=("dynamodb", "autoscaling", "database"),
)
def dynamodb_provisioned_without_autoscaling(
    resource: Resource, context: Context
) -> Iterator[Violation]:
    """
    ## What it does
    Flags DynamoDB tables in provisioned capacity mode (`billing_mode` / `BillingMode`
    absent, which defaults to `PROVISIONED`, or set to it) when no Application Auto Scaling
    target of the same Terraform module or CloudFormation template scales the table's read
    or write capacity (`aws_appautoscaling_target` /
    `AWS::ApplicationAutoScaling::ScalableTarget` with service namespace `dynamodb`, a
    `dynamodb:table:*` dimension and resource id `table/<name>`).

    ## Why is this bad?
    Fixed provisioned throughput throttles requests as soon as traffic exceeds it and pays
    for idle capacity the rest of the time. Auto scaling follows the load; on-demand mode
    removes capacity planning altogether. AWS Security Hub control DynamoDB.1 asks for one
    of the two.

    ## Fix safety
    Unsafe. The fix switches the table to on-demand (`PAY_PER_REQUEST`) and removes the
    provisioned read and write capacity of the table and its global secondary indexes. The
    change is applied in place, but it changes how the table is billed, and DynamoDB limits
    how often a table can switch capacity modes. For steady, well-forecast load, keep
    provisioned mode and add scaling targets and target-tracking policies
    (`DynamoDBReadCapacityUtilization` / `DynamoDBWriteCapacityUtilization`) instead.

    ## Known limitations
    A scaling target whose resource id or dimension comes from a variable or parameter is
    assumed to cover the table. A Terraform table whose capacity is in `lifecycle
    { ignore_changes }`, or that a module call with "autoscal" or "scaling" in its name,
    source or inputs refers to, is assumed to be scaled there.
    """
    keys = _KEYS[resource.format]
    billing = resource.get(keys.billing)
    if billing is not None and text(billing) != PROVISIONED:
        return  # on-demand, or not known
    if resource.format is Format.TERRAFORM and (
        ignores_changes(resource, _CAPACITY_ATTRIBUTES)
        or handed_to_module(resource, context.top_blocks("module"), SCALING_WORDS)
    ):
        return
    if any(
        _may_scale(target, resource, context, keys)
        for target in context.module_of_kind(keys.target_kind)
    ):
        return
    yield _violation(resource, keys, billing)


def _may_scale(target: Resource, table: Resource, context: Context, keys: _Keys) -> bool:
    """False only when the target provably scales something other than this table's capacity."""
    namespace = target.get(keys.namespace)
    if namespace is not None and text(namespace) not in (None, NAMESPACE):
        return False
    dimension = target.get(keys.dimension)
    if dimension is not None:
        value = text(dimension)
        if value is not None and not value.startswith(TABLE_DIMENSION_PREFIX):
            return False
    resource_id = target.get(keys.resource_id)
    if resource_id is None:
        return False
    literal = text(resource_id)
    if literal is not None:
        name_entry = table.get(keys.table_name)
        if name_entry is None:
            return False  # CloudFormation generates the name: no literal id can match it
        name = text(name_entry)
        return name is None or literal == f"table/{name}"
    if refers_to(resource_id.value, table):
        return True
    # Pointing at another table of the module rules this one out; anything else may be it.
    return not _names_other_table(resource_id, table, context)


def _names_other_table(resource_id: Entry, table: Resource, context: Context) -> bool:
    if table.format is Format.TERRAFORM:
        return bool(terraform_names(resource_id.value, table.kind) - {table.name})
    tables = {r.name for r in context.module_of_kind(table.kind)}
    return bool((cloudformation_ids(resource_id.value) & tables) - {table.name})


def _violation(resource: Resource, keys: _Keys, billing: Entry | None) -> Violation:
    edits: list[Edit] = []
    if billing is not None:
        edits.append(replace_value(resource, billing.value, ON_DEMAND))
    # Provisioned capacity goes, mapping by mapping (the table, then each index); when the
    # billing mode is absent, the table's own capacity makes way for it in the same place.
    by_mapping: dict[int, tuple[MappingNode, list[Entry]]] = {}
    for path in keys.capacity:
        for match in resource.find(path):
            by_mapping.setdefault(id(match.parent), (match.parent, []))[1].append(match.entry)
    placed = billing is not None
    for mapping, entries in by_mapping.values():
        in_place = not placed and mapping is resource.body
        replacement = (keys.billing, ON_DEMAND) if in_place else None
        edits.extend(remove_entries(resource, mapping, entries, replacement))
        placed = placed or in_place
    if not placed:
        edits.append(insert_value(resource, [keys.billing], ON_DEMAND))
    fix = Fix.unsafe("Switch the table to on-demand capacity (PAY_PER_REQUEST)", *edits)
    remedy = (
        "switch to PAY_PER_REQUEST or scale read and write capacity with Application Auto Scaling"
    )
    if billing is not None:
        return Violation(
            f"DynamoDB table has PROVISIONED capacity and no auto scaling target; {remedy}",
            billing.value.range,
            fix,
        )
    return Violation(
        f"DynamoDB table has no {keys.billing}, so it uses PROVISIONED capacity, and no auto "
        f"scaling target; {remedy}",
        resource.header_range,
        fix,
    )
