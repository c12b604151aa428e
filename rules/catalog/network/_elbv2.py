"""What an Elastic Load Balancing v2 load balancer (ALB, NLB, GWLB) says, per format.

Terraform has one argument per attribute; CloudFormation lists ``LoadBalancerAttributes``
as ``{Key, Value}`` items, any of which may be an intrinsic (``!If``) that hides its key.
"""

from __future__ import annotations

from iacperf.rules.model import Entry, Format, MappingNode, Resource, SequenceNode
from iacperf.rules.records import record
from iacperf.rules.values import text

APPLICATION = "application"
NETWORK = "network"
GATEWAY = "gateway"
ATTRIBUTES = "LoadBalancerAttributes"


def lb_type(lb: Resource) -> str | None:
    """``application`` (the default), ``network`` or ``gateway``; None when not known."""
    entry = lb.get("load_balancer_type" if lb.format is Format.TERRAFORM else "Type")
    if entry is None:
        return APPLICATION
    value = text(entry)
    return value.lower() if value is not None else None


@record
class Attribute:
    """A ``LoadBalancerAttributes`` item looked up by key."""

    #: The item's ``Value`` entry; None when the key is not listed.
    value: Entry | None
    #: False when the list, or an item of it, cannot be read: an absent key may be there.
    known: bool
    #: The ``LoadBalancerAttributes`` entry itself; None when absent.
    attributes: Entry | None


def attribute(lb: Resource, key: str) -> Attribute:
    """The CloudFormation load balancer attribute ``key`` (the last item wins)."""
    attributes = lb.get(ATTRIBUTES)
    if attributes is None:
        return Attribute(None, True, None)
    if not isinstance(attributes.value, SequenceNode):
        return Attribute(None, False, attributes)
    found: Entry | None = None
    known = True
    for item in attributes.value.items:
        name = text(item.get("Key")) if isinstance(item, MappingNode) else None
        if name is None:
            known = False
        elif name == key and isinstance(item, MappingNode):
            found = item.get("Value")
            known = found is not None
    return Attribute(found, known, attributes)


def single_subnet(lb: Resource) -> bool:
    """A literal list of one subnet, or one subnet mapping: a single Availability Zone."""
    if lb.format is Format.TERRAFORM:
        subnets, mappings = lb.get("subnets"), list(lb.body.all("subnet_mapping"))
        if mappings:
            return len(mappings) == 1 and isinstance(mappings[0].value, MappingNode)
    else:
        subnets, mapping_entry = lb.get("Subnets"), lb.get("SubnetMappings")
        if mapping_entry is not None:
            value = mapping_entry.value
            return isinstance(value, SequenceNode) and len(value.items) == 1
    return (
        subnets is not None
        and isinstance(subnets.value, SequenceNode)
        and (len(subnets.value.items) == 1)
    )
