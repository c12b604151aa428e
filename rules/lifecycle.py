"""What a Terraform resource hands to others: changes it ignores, module calls it is given.

Scaling rules use these to stay silent where capacity is managed elsewhere: an
``ignore_changes`` on the capacity attributes, or a module call that is handed the
resource and looks like it sets up scaling.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from iacperf.rules.model import ExpressionNode, MappingNode, Resource, SequenceNode, TopBlock
from iacperf.rules.references import terraform_names
from iacperf.rules.values import text

#: What the name, source or arguments of a module that sets up auto scaling say.
SCALING_WORDS = ("autoscal", "scaling")


def ignores_changes(resource: Resource, attributes: Collection[str]) -> bool:
    """``lifecycle { ignore_changes = all }``, or a list naming any of ``attributes``
    (bare names, or quoted ones in Terraform 0.11 style)."""
    for match in resource.find("lifecycle.ignore_changes"):
        value = match.value
        if isinstance(value, ExpressionNode) and value.text.strip() == "all":
            return True
        items = value.items if isinstance(value, SequenceNode) else ()
        names = {item.text if isinstance(item, ExpressionNode) else text(item) for item in items}
        if not names.isdisjoint(attributes):
            return True
    return False


def handed_to_module(
    resource: Resource, blocks: Iterable[TopBlock], words: tuple[str, ...]
) -> bool:
    """A module call that is given ``resource`` (a reference to it in its arguments) and
    whose name, source or argument names contain one of ``words``."""
    for block in blocks:
        entry = block.entry
        if entry.key != "module" or not isinstance(entry.value, MappingNode):
            continue
        if resource.name not in terraform_names(entry.value, resource.kind):
            continue
        names = [*entry.labels, text(entry.value.get("source")) or ""]
        names += [item.key for item in entry.value.entries]
        if any(word in name.lower() for name in names for word in words):
            return True
    return False
