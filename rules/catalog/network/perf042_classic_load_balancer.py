"""PERF042: Classic Load Balancer in use."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Severity, Violation, rule
from iacperf.rules.model import Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF04_BP04, PERF05_BP06

# Where each type lists its listeners' front-end protocols (HTTP, HTTPS, TCP, SSL).
_PROTOCOLS = {
    "aws_elb": "listener.lb_protocol",
    "AWS::ElasticLoadBalancing::LoadBalancer": "Listeners[].Protocol",
}
_LAYER7 = frozenset({"http", "https"})
_LAYER4 = frozenset({"tcp", "ssl"})


@rule(
    code="PERF042",
    name="classic-load-balancer",
    title="Classic Load Balancer in use",
    severity=Severity.WARNING,
    terraform=("aws_elb",),
    cloudformation=("AWS::ElasticLoadBalancing::LoadBalancer",),
    evidence=(
        Link(
            "Migrate your Classic Load Balancer",
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/"
            "migrate-classic-load-balancer.html",
        ),
    ),
    well_architected=(PERF04_BP04, PERF05_BP06),
    tags=("elb", "load-balancing", "network"),
)
def classic_load_balancer(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags every Classic Load Balancer: `aws_elb` in Terraform and
    `AWS::ElasticLoadBalancing::LoadBalancer` in CloudFormation. Resources switched off
    with `count = 0` or an empty `for_each` are skipped.

    ## Why is this bad?
    The Classic Load Balancer is the previous generation of Elastic Load Balancing. An
    Application Load Balancer adds HTTP/2 and gRPC, path- and host-based routing, IP and
    Lambda targets and health checks per target group; a Network Load Balancer handles
    millions of requests per second at low latency with static IPs. AWS recommends
    migrating, and offers a migration wizard that copies listeners, health checks and
    instances.

    ## Fix safety
    No automatic fix: the successor is a different resource with listeners, target
    groups and attachments of its own, and clients must move to its DNS name. The hint
    names the successor that matches the listeners: an Application Load Balancer for
    HTTP/HTTPS, a Network Load Balancer for TCP/SSL.

    ## Known limitations
    CloudFormation resources under a `Condition` are checked even when the condition is
    false. Load balancers kept for EC2-Classic-era workloads already scheduled for
    migration should be suppressed with a reason.
    """
    successor = _successor(resource)
    yield Violation(
        "Load balancer is a Classic Load Balancer, the previous ELB generation; "
        f"migrate to {successor}",
        resource.header_range,
        Fix.display_only(f"Migrate to {successor} with the ELB migration wizard"),
    )


def _successor(resource: Resource) -> str:
    """The load balancer type that serves every listener protocol found."""
    protocols: set[str] = set()
    for match in resource.find(_PROTOCOLS[resource.kind]):
        protocol = text(match.value)
        if protocol is None:
            return "an Application or Network Load Balancer"
        protocols.add(protocol.lower())
    if protocols and protocols <= _LAYER7:
        return "an Application Load Balancer"
    if protocols and protocols <= _LAYER4:
        return "a Network Load Balancer"
    return "an Application or Network Load Balancer"
