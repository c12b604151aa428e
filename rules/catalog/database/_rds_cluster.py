"""Aurora and Multi-AZ DB clusters and their instances, within one module or template.

An instance names its cluster by reference (``aws_rds_cluster.main.id``, ``!Ref Cluster``)
or by the cluster's literal identifier; both are followed. References through variables,
parameters or module outputs are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import Context
from iacperf.rules.model import (
    Entry,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.references import refers_to
from iacperf.rules.values import text

_SUB_ATTRIBUTE = re.compile(r"\$\{\s*([A-Za-z0-9]+)\.([A-Za-z.]+)\s*\}")

#: Instance kind -> the cluster kind it may belong to.
CLUSTER_KIND = {
    "aws_rds_cluster_instance": "aws_rds_cluster",
    "AWS::RDS::DBInstance": "AWS::RDS::DBCluster",
}
#: Instance kind -> its pointer to the cluster.
MEMBER_POINTER = {
    "aws_rds_cluster_instance": "cluster_identifier",
    "AWS::RDS::DBInstance": "DBClusterIdentifier",
}
#: Cluster kind -> the instance kind that joins it.
MEMBER_KIND = {cluster: member for member, cluster in CLUSTER_KIND.items()}
#: Cluster kind -> its own identifier.
CLUSTER_ID = {
    "aws_rds_cluster": "cluster_identifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
}


def cluster_pointer(member: Resource) -> Entry | None:
    key = MEMBER_POINTER.get(member.kind)
    return member.get(key) if key is not None else None


def cluster_of(member: Resource, context: Context) -> Resource | None:
    """The cluster of the module that ``member`` joins, if it can be told."""
    kind = CLUSTER_KIND.get(member.kind)
    pointer = cluster_pointer(member)
    if kind is None or pointer is None:
        return None
    return next((c for c in context.module_of_kind(kind) if points_to(pointer.value, c)), None)


def members_of(cluster: Resource, context: Context) -> list[Resource]:
    """The instances of the module that join ``cluster``."""
    kind = MEMBER_KIND.get(cluster.kind)
    if kind is None:
        return []
    found = []
    for member in context.module_of_kind(kind):
        pointer = cluster_pointer(member)
        if pointer is not None and points_to(pointer.value, cluster):
            found.append(member)
    return found


def points_to(node: Node, cluster: Resource) -> bool:
    if refers_to(node, cluster):
        return True
    literal = text(node)
    own = text(cluster.get(CLUSTER_ID.get(cluster.kind, "")))
    return literal is not None and own is not None and literal.lower() == own.lower()


def attribute_references(node: Node) -> Iterator[tuple[str, str]]:
    """(logical id, attribute) of every ``Fn::GetAtt`` and ``Fn::Sub`` reference."""
    if isinstance(node, IntrinsicNode):
        if node.function == "Fn::GetAtt":
            pair = _getatt(node.argument)
            if pair is not None:
                yield pair
        elif node.function == "Fn::Sub":
            template = node.argument
            if isinstance(template, SequenceNode) and template.items:
                template = template.items[0]
            if isinstance(template, ScalarNode) and isinstance(template.value, str):
                yield from _SUB_ATTRIBUTE.findall(template.value)
        yield from attribute_references(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from attribute_references(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from attribute_references(entry.value)


def _getatt(argument: Node) -> tuple[str, str] | None:
    if isinstance(argument, ScalarNode) and isinstance(argument.value, str):
        name, _, attribute = argument.value.partition(".")
        return name, attribute
    if isinstance(argument, SequenceNode) and len(argument.items) == 2:
        logical_id, path = text(argument.items[0]), text(argument.items[1])
        if logical_id is not None and path is not None:
            return logical_id, path
    return None
