"""PERF044: Network/Gateway Load Balancer with cross-zone disabled."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.network._elbv2 import (
    ATTRIBUTES,
    GATEWAY,
    NETWORK,
    attribute,
    lb_type,
    single_subnet,
)
from iacperf.rules.edits import Value, insert_item, insert_value, replace_value
from iacperf.rules.model import Entry, Format, Resource, SequenceNode
from iacperf.rules.values import boolean
from iacperf.rules.wellarchitected import PERF04_BP04

CROSS_ZONE = "load_balancing.cross_zone.enabled"
TF_ARGUMENT = "enable_cross_zone_load_balancing"
_TITLE = "Enable cross-zone load balancing"
_KINDS = {NETWORK: "Network Load Balancer", GATEWAY: "Gateway Load Balancer"}


@rule(
    code="PERF044",
    name="nlb-cross-zone-disabled",
    title="Network/Gateway Load Balancer with cross-zone disabled",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_lb", "aws_alb"),
    cloudformation=("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    evidence=(
        Link(
            "Cross-zone load balancing (How Elastic Load Balancing works)",
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/"
            "how-elastic-load-balancing-works.html#cross-zone-load-balancing",
        ),
    ),
    well_architected=(PERF04_BP04,),
    compliance={
        "checkov": "CKV_AWS_152",
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "SC-5(2)",
        "soc2_tsc": "A1.1",
    },
    tags=("elb", "nlb", "gwlb", "load-balancing", "cross-zone", "network"),
)
def nlb_cross_zone_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Network and Gateway Load Balancers (`load_balancer_type` / `Type` `network` or
    `gateway`) without cross-zone load balancing: `enable_cross_zone_load_balancing`
    absent (the default is false for these types) or false on `aws_lb` / `aws_alb`, and
    in CloudFormation a `LoadBalancerAttributes` item `load_balancing.cross_zone.enabled`
    that is absent or `'false'`. Load balancers in a single subnet (a literal list of one
    subnet or subnet mapping) are not flagged. Application Load Balancers always balance
    across zones and are not checked.

    ## Why is this bad?
    Without cross-zone load balancing each load balancer node sends traffic only to the
    targets in its own Availability Zone, and clients spread over the nodes by DNS. A
    zone with fewer healthy targets then gets the same share of traffic as the others:
    its targets run hot (higher latency, throttling) while the others idle.

    ## Fix safety
    Safe: the attribute is changed in place, without replacing the load balancer. It is a
    trade-off, though: with cross-zone load balancing a Network or Gateway Load Balancer
    sends traffic across zones, which is charged as inter-AZ data transfer, and zonal
    isolation (cell architectures, AZ affinity) is lost. Suppress the finding with a
    reason where zonal isolation is deliberate.

    ## Known limitations
    Target groups can turn cross-zone load balancing on for themselves
    (`load_balancing_cross_zone_enabled` / `load_balancing.cross_zone.enabled` target group
    attribute); the rule reads only the load balancer. An attribute list with items built
    by intrinsics (`!If`) that hide their key is not known and not flagged.

    Catalog correction: the catalog lists only `aws_lb`; the provider schema also has
    `aws_alb`, the same resource under its older name, so both are checked.
    """
    kind = lb_type(resource)
    if kind not in _KINDS or single_subnet(resource):
        return
    name = _KINDS[kind]
    if resource.format is Format.TERRAFORM:
        yield from _terraform(resource, name)
    else:
        yield from _cloudformation(resource, name)


def _terraform(resource: Resource, name: str) -> Iterator[Violation]:
    entry = resource.get(TF_ARGUMENT)
    if entry is None:
        yield Violation(
            f"{name} has no {TF_ARGUMENT}, so cross-zone load balancing is off and each "
            "zone's targets take an equal share of traffic whatever their number; set it to "
            "true",
            resource.header_range,
            Fix.safe(_TITLE, insert_value(resource, [TF_ARGUMENT], True)),
        )
    elif boolean(entry) is False:
        yield _disabled(resource, name, TF_ARGUMENT, entry, True)


def _cloudformation(resource: Resource, name: str) -> Iterator[Violation]:
    found = attribute(resource, CROSS_ZONE)
    if found.value is not None:
        if boolean(found.value) is False:
            yield _disabled(resource, name, CROSS_ZONE, found.value, "true")
        return
    if not found.known:
        return
    item = {"Key": CROSS_ZONE, "Value": "true"}
    if found.attributes is None:
        edit = insert_value(resource, [ATTRIBUTES], [item])
        anchor = resource.header_range
    else:
        assert isinstance(found.attributes.value, SequenceNode)
        edit = insert_item(resource, found.attributes.value, item)
        anchor = found.attributes.key_range
    yield Violation(
        f"{name} does not set {CROSS_ZONE}, so cross-zone load balancing is off and each "
        "zone's targets take an equal share of traffic whatever their number; add the "
        "attribute with the value 'true'",
        anchor,
        Fix.safe(_TITLE, edit),
    )


def _disabled(resource: Resource, name: str, key: str, entry: Entry, value: Value) -> Violation:
    return Violation(
        f"{name} has cross-zone load balancing disabled ({key} is false), so each zone's "
        "targets take an equal share of traffic whatever their number; set it to true",
        entry.value.range,
        Fix.safe(_TITLE, replace_value(resource, entry.value, value)),
    )
