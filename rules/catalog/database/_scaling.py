"""Application Auto Scaling targets of one module or template, and what they may scale.

A target is taken to scale a resource unless it provably scales something else: another
service namespace or dimension, a literal resource id of another resource, or a reference
to another resource of the same kind. Values from variables or parameters may be anything,
so they count as a match (unknown never warns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from iacperf.rules.api import Context
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.values import text


@record
class TargetKeys:
    """What a scalable target is called, and its settings, in one format."""

    kind: str
    namespace: str
    resource_id: str
    dimension: str
    policy_kind: str


TARGET_KEYS = {
    Format.TERRAFORM: TargetKeys(
        "aws_appautoscaling_target",
        "service_namespace",
        "resource_id",
        "scalable_dimension",
        "aws_appautoscaling_policy",
    ),
    Format.CLOUDFORMATION: TargetKeys(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "ServiceNamespace",
        "ResourceId",
        "ScalableDimension",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    ),
}


@record
class Wanted:
    """The scaling a rule looks for, on one resource."""

    namespace: str  # "rds", "dynamodb"
    dimension: Callable[[str], bool]  # which literal dimensions count
    #: Whether a literal resource id (``cluster:aurora``) names the resource; None when the
    #: resource's own name is not known (a variable), so any literal may.
    literal_id: Callable[[str], bool] | None
    #: Whether the written text of a resource id that refers to the resource also names
    #: the right part of it (``/index/<name>``); None when the reference is enough.
    fragment: Callable[[list[str]], bool] | None = None


def scaling_targets(resource: Resource, context: Context) -> Iterator[Resource]:
    return context.module_of_kind(TARGET_KEYS[resource.format].kind)


def may_scale(target: Resource, resource: Resource, context: Context, wanted: Wanted) -> bool:
    """False only when ``target`` provably scales something other than ``wanted``."""
    keys = TARGET_KEYS[resource.format]
    namespace = target.get(keys.namespace)
    if namespace is not None and text(namespace) not in (None, wanted.namespace):
        return False
    dimension = target.get(keys.dimension)
    literal_dimension = text(dimension)
    if literal_dimension is not None and not wanted.dimension(literal_dimension):
        return False
    resource_id = target.get(keys.resource_id)
    if resource_id is None:
        return False
    literal = text(resource_id)
    if literal is not None:
        return wanted.literal_id is None or wanted.literal_id(literal)
    if refers_to(resource_id.value, resource):
        return wanted.fragment is None or wanted.fragment(list(written_texts(resource_id.value)))
    # Pointing at another resource of the same kind rules this one out; anything else may be it.
    return not _names_other(resource_id, resource, context)


def _names_other(resource_id: Entry, resource: Resource, context: Context) -> bool:
    if resource.format is Format.TERRAFORM:
        return bool(terraform_names(resource_id.value, resource.kind) - {resource.name})
    same_kind = {r.name for r in context.module_of_kind(resource.kind)}
    return bool((cloudformation_ids(resource_id.value) & same_kind) - {resource.name})


def written_texts(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform expressions, ``!Sub`` bodies."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, IntrinsicNode):
        yield from written_texts(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from written_texts(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from written_texts(entry.value)
