"""Which resources a value points at: Terraform references and CloudFormation intrinsics.

Cross-resource rules use these to connect resources of one module (an auto scaling target
to its table, a cluster instance to its cluster). They read only what is written: a
reference through a variable or a module output is not followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.model import (
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)

_SUB_VARIABLE = re.compile(r"\$\{(?!!)\s*([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\s*\}")


def terraform_names(node: Node | None, kind: str) -> set[str]:
    """Names ``N`` of every ``kind.N`` mentioned in ``node`` (not ``data.kind.N``)."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(kind)}\.([A-Za-z_][\w-]*)")
    return {name for text in _expressions(node) for name in pattern.findall(text)}


def _expressions(node: Node | None) -> Iterator[str]:
    if isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _expressions(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _expressions(item)


def cloudformation_ids(node: Node | None) -> set[str]:
    """Logical ids named by ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` anywhere in ``node``."""
    return set(_cfn_ids(node)) if node is not None else set()


def _cfn_ids(node: Node) -> Iterator[str]:
    if isinstance(node, IntrinsicNode):
        argument = node.argument
        if node.function == "Ref" and isinstance(argument, ScalarNode):
            yield str(argument.value)
        elif node.function == "Fn::GetAtt":
            yield from _getatt_id(argument)
        elif node.function == "Fn::Sub":
            yield from _sub_ids(argument)
        else:
            yield from _cfn_ids(argument)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _cfn_ids(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _cfn_ids(item)


def _getatt_id(argument: Node) -> Iterator[str]:
    if isinstance(argument, ScalarNode) and isinstance(argument.value, str):
        yield argument.value.split(".", 1)[0]  # !GetAtt Table.Arn
    elif isinstance(argument, SequenceNode) and argument.items:
        first = argument.items[0]
        if isinstance(first, ScalarNode):
            yield str(first.value)


def _sub_ids(argument: Node) -> Iterator[str]:
    template: Node = argument
    local: set[str] = set()
    if isinstance(argument, SequenceNode) and argument.items:
        template = argument.items[0]
        if len(argument.items) > 1:
            variables = argument.items[1]
            if isinstance(variables, MappingNode):
                local = {entry.key for entry in variables.entries}
                for entry in variables.entries:
                    yield from _cfn_ids(entry.value)
    if isinstance(template, ScalarNode) and isinstance(template.value, str):
        for name in _SUB_VARIABLE.findall(template.value):
            if name not in local:
                yield name


def refers_to(node: Node | None, target: Resource) -> bool:
    """True when ``node`` names ``target`` (``aws_x.name.attr`` / ``!Ref Name`` ...)."""
    if target.format is Format.TERRAFORM:
        return target.name in terraform_names(node, target.kind)
    return target.name in cloudformation_ids(node)
