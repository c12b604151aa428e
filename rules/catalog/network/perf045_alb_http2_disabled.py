"""PERF045: Application Load Balancer with HTTP/2 disabled."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.network._elbv2 import APPLICATION, attribute, lb_type
from iacperf.rules.edits import Value, replace_value
from iacperf.rules.model import Entry, Format, Resource
from iacperf.rules.values import boolean
from iacperf.rules.wellarchitected import PERF04_BP04, PERF04_BP05

HTTP2 = "routing.http2.enabled"
TF_ARGUMENT = "enable_http2"


@rule(
    code="PERF045",
    name="alb-http2-disabled",
    title="Application Load Balancer with HTTP/2 disabled",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_lb", "aws_alb"),
    cloudformation=("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    evidence=(
        Link(
            "How Elastic Load Balancing works",
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/"
            "how-elastic-load-balancing-works.html#cross-zone-load-balancing",
        ),
        Link(
            "AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute "
            "(routing.http2.enabled)",
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
            "aws-properties-elasticloadbalancingv2-loadbalancer-loadbalancerattribute.html",
        ),
    ),
    well_architected=(PERF04_BP04, PERF04_BP05),
    tags=("elb", "alb", "http2", "load-balancing", "network"),
)
def alb_http2_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Application Load Balancers (`load_balancer_type` / `Type` absent or
    `application`) with HTTP/2 switched off: `enable_http2 = false` on `aws_lb` /
    `aws_alb`, or a `LoadBalancerAttributes` item `routing.http2.enabled` with the value
    `'false'` on `AWS::ElasticLoadBalancingV2::LoadBalancer`. HTTP/2 is on by default, so
    only an explicit `false` is flagged.

    ## Why is this bad?
    With HTTP/2 a browser sends all the requests of a page over one connection to the
    load balancer, multiplexed and with compressed headers, instead of queuing them over
    a handful of HTTP/1.1 connections. The load balancer speaks HTTP/2 to clients even
    when the targets only speak HTTP/1.1, so enabling it needs no change to the
    application and shortens page load times.

    ## Fix safety
    Safe: the attribute is changed in place on the load balancer, without replacing it.
    Clients that do not support HTTP/2 keep using HTTP/1.1 (the protocol is negotiated per
    TLS connection, so only HTTPS listeners use HTTP/2). Clients or proxies that reject
    the stricter HTTP/2 header validation are the reason to keep it off: suppress the
    finding with that reason.

    ## Known limitations
    Catalog correction: the catalog lists only `aws_lb`; the provider schema also has
    `aws_alb`, the same resource under its older name, so both are checked. The catalog's
    evidence link covers cross-zone load balancing only; the CloudFormation reference for
    load balancer attributes, which documents `routing.http2.enabled` and its default, is
    added.
    """
    if lb_type(resource) != APPLICATION:
        return  # another type, or not known
    entry: Entry | None
    value: Value
    if resource.format is Format.TERRAFORM:
        entry, key, value = resource.get(TF_ARGUMENT), TF_ARGUMENT, True
    else:
        entry, key, value = attribute(resource, HTTP2).value, HTTP2, "true"
    if entry is not None and boolean(entry) is False:
        yield _disabled(resource, key, entry, value)


def _disabled(resource: Resource, key: str, entry: Entry, value: Value) -> Violation:
    return Violation(
        f"Application Load Balancer has HTTP/2 disabled ({key} is false), so clients "
        "queue requests over HTTP/1.1 connections; set it to true",
        entry.value.range,
        Fix.safe("Enable HTTP/2", replace_value(resource, entry.value, value)),
    )
