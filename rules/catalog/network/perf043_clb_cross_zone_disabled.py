"""PERF043: Classic Load Balancer with cross-zone load balancing disabled."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import Format, Resource, SequenceNode
from iacperf.rules.values import boolean
from iacperf.rules.wellarchitected import PERF04_BP04

_TITLE = "Enable cross-zone load balancing"


@rule(
    code="PERF043",
    name="clb-cross-zone-disabled",
    title="Classic Load Balancer with cross-zone load balancing disabled",
    severity=Severity.WARNING,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_elb",),
    cloudformation=("AWS::ElasticLoadBalancing::LoadBalancer",),
    evidence=(
        Link(
            "Cross-zone load balancing (How Elastic Load Balancing works)",
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/"
            "how-elastic-load-balancing-works.html#cross-zone-load-balancing",
        ),
    ),
    well_architected=(PERF04_BP04,),
    compliance={
        "checkov": "CKV_AWS_138",
        "aws-security-hub": "ELB.9",
        "aws-config": "elb-cross-zone-load-balancing-enabled",
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "SC-5(2); SC-36; CP-10; CP-6(2); SI-13(5)",
        "soc2_tsc": "A1.1",
    },
    tags=("elb", "load-balancing", "cross-zone", "network"),
)
def clb_cross_zone_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Classic Load Balancers that do not balance across Availability Zones:
    `cross_zone_load_balancing = false` on `aws_elb` (the provider's default is true), and
    `CrossZone` false or absent on `AWS::ElasticLoadBalancing::LoadBalancer` (a Classic
    Load Balancer created through the API or CloudFormation has cross-zone load balancing
    off unless `CrossZone` says otherwise). Load balancers in a single Availability Zone
    or subnet (a literal list of one) are not flagged: there is no other zone to balance
    to.

    ## Why is this bad?
    Without cross-zone load balancing each load balancer node sends its share of traffic
    only to instances in its own zone. A zone with fewer healthy instances then gets the
    same share of traffic as the others, so its instances run hot while the rest idle,
    and latency rises for that share of requests.

    ## Fix safety
    Safe: the attribute is changed in place on the running load balancer, without
    replacing it or dropping connections. Traffic between zones inside the load balancer
    is not charged for Classic Load Balancers.
    """
    if _single_zone(resource):
        return
    if resource.format is Format.TERRAFORM:
        entry = resource.get("cross_zone_load_balancing")
        key = "cross_zone_load_balancing"
    else:
        entry = resource.get("CrossZone")
        key = "CrossZone"
        if entry is None:
            yield Violation(
                "Classic Load Balancer has no CrossZone, so cross-zone load balancing is off "
                "and each zone gets an equal share of traffic whatever its healthy instances; "
                "set CrossZone to true",
                resource.header_range,
                Fix.safe(_TITLE, insert_value(resource, ["CrossZone"], True)),
            )
            return
    if entry is None or boolean(entry) is not False:
        return  # on (Terraform's default), or not known
    yield Violation(
        f"Classic Load Balancer has cross-zone load balancing disabled ({key} is false), so "
        "each zone gets an equal share of traffic whatever its healthy instances; set it to "
        "true",
        entry.value.range,
        Fix.safe(_TITLE, replace_value(resource, entry.value, True)),
    )


def _single_zone(resource: Resource) -> bool:
    """A literal list of one Availability Zone or one subnet."""
    if resource.format is Format.TERRAFORM:
        keys = ("availability_zones", "subnets")
    else:
        keys = ("AvailabilityZones", "Subnets")
    for key in keys:
        entry = resource.get(key)
        if entry is not None and isinstance(entry.value, SequenceNode):
            return len(entry.value.items) == 1
    return False
