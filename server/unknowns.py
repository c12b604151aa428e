"""Unknown values: where a resource holds them, and why a rule that read one could not
decide (PERF901, turned on by ``report_unknown``).

The hover lists a resource's unknown values; the engine, while a rule runs, collects the
unknown values it asked ``iacperf.rules.values`` to read and, when the rule reported
nothing on the resource, says which rule could not be evaluated and which value blocked it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from iacperf.rules.api import Rule
from iacperf.rules.model import (
    ExpressionNode,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Template,
)
from iacperf.rules.records import field, record

_REFERENCE = re.compile(r"\s*(var|local)\.([A-Za-z_][\w-]*)\s*")


def unknown_values(node: Node, prefix: str = "") -> list[tuple[str, Node]]:
    """(attribute path, value) for every reference, function or intrinsic below ``node``,
    in source order."""
    if isinstance(node, (ExpressionNode, IntrinsicNode)):
        return [(prefix or "(value)", node)]
    found: list[tuple[str, Node]] = []
    if isinstance(node, MappingNode):
        for entry in node.entries:
            path = f"{prefix}.{entry.key}" if prefix else entry.key
            found += unknown_values(entry.value, path)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            found += unknown_values(item, prefix)
    return found


@record(frozen=False)
class Explainer:
    """Why a value is unknown, in the terms of the module (or template) that holds it."""

    #: Terraform variable (or CloudFormation parameter) name -> whether it has a default.
    declared: dict[str, bool] = field(default_factory=dict)

    @staticmethod
    def of(group: Sequence[Template]) -> Explainer:
        explainer = Explainer()
        for template in group:  # (CloudFormation parameters are variables too)
            for variable in template.variables:
                explainer.declared[variable.name] = variable.default is not None
        return explainer

    def why(self, node: Node) -> str:
        if isinstance(node, ExpressionNode):
            return self._terraform(node)
        if isinstance(node, IntrinsicNode):
            return self._cloudformation(node)
        return "not a literal"

    def _terraform(self, node: ExpressionNode) -> str:
        shown = _one_line(node.text)
        reference = _REFERENCE.fullmatch(node.text)
        if reference is None:
            return f"`{shown}`, known only when Terraform runs"
        kind, name = reference.groups()
        if kind == "local":
            return f"`{shown}`, a local known only when Terraform runs"
        defaulted = self.declared.get(name)
        if defaulted is None:
            return f"`{shown}`, a variable this module does not declare"
        if defaulted:
            return f"`{shown}`, a variable whose default is not a literal"
        return f"`{shown}`, a variable without a default or tfvars value"

    def _cloudformation(self, node: IntrinsicNode) -> str:
        argument = node.argument
        if node.function != "Ref" or not isinstance(argument, ScalarNode):
            return f"`{node.function}`, known only when the stack is deployed"
        name = str(argument.value)
        shown = f"`!Ref {name}`"
        if name.startswith("AWS::"):
            return f"{shown}, a pseudo parameter known only when the stack is deployed"
        defaulted = self.declared.get(name)
        if defaulted is None:
            return f"{shown}, known only when the stack is deployed"
        if defaulted:
            return f"{shown}, a parameter whose default is not a single literal"
        return f"{shown}, a parameter without a Default"


def blocked(
    rule: Rule, resource: Resource, reads: Sequence[Node], explainer: Explainer
) -> tuple[SourceRange, str] | None:
    """Where (relative to ``resource``) and what to report for ``rule``, which read the
    unknown values ``reads`` while checking ``resource``; None when none of them is the
    resource's own (a module rule reading another resource)."""
    paths = {id(node): (path, node) for path, node in unknown_values(resource.body)}
    own: dict[int, tuple[str, Node]] = {}
    for node in reads:
        if id(node) in paths:
            own.setdefault(id(node), paths[id(node)])
    if not own:
        return None
    path, first = next(iter(own.values()))
    message = (
        f"{rule.code} ({rule.title}) could not be evaluated: `{path}` is {explainer.why(first)}"
    )
    if len(own) > 1:
        message += f" (and {len(own) - 1} more unknown value{'s' if len(own) > 2 else ''})"
    return first.range, message


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
