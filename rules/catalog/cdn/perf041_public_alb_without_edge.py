"""PERF041: Internet-facing ALB without a CDN/edge entry point."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.cdn._cloudfront import (
    DISTRIBUTION,
    edge_module,
    origin_domains,
    points_to,
)
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
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF04_BP02, PERF04_BP06

APPLICATION = "application"
INTERNET_FACING = "internet-facing"
# What else may put an edge in front of a load balancer, and where it names the target.
_FRONTS = {
    Format.TERRAFORM: (
        ("aws_globalaccelerator_endpoint_group", "endpoint_configuration.endpoint_id"),
        ("aws_cloudfront_vpc_origin", "vpc_origin_endpoint_config.arn"),
    ),
    Format.CLOUDFORMATION: (
        ("AWS::GlobalAccelerator::EndpointGroup", "EndpointConfigurations[].EndpointId"),
        ("AWS::CloudFront::VpcOrigin", "VpcOriginEndpointConfig.Arn"),
    ),
}
_AWS_SERVICE_DOMAINS = (".s3.", ".s3-", "s3-website", ".execute-api.", ".lambda-url.")
CLOUDFRONT_PREFIX_LIST = "cloudfront.origin-facing"


@rule(
    code="PERF041",
    name="public-alb-without-edge",
    title="Internet-facing ALB without a CDN/edge entry point",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    terraform=("aws_lb", "aws_alb"),
    cloudformation=("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    evidence=(
        Link(
            "Distribution settings reference (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
            "DownloadDistValuesGeneral.html",
        ),
        Link(
            "How Elastic Load Balancing works",
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/"
            "how-elastic-load-balancing-works.html#cross-zone-load-balancing",
        ),
    ),
    well_architected=(PERF04_BP02, PERF04_BP06),
    tags=("elb", "alb", "cloudfront", "global-accelerator", "cdn", "network"),
)
def public_alb_without_edge(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags internet-facing Application Load Balancers (`aws_lb` / `aws_alb` with `internal`
    absent or false and `load_balancer_type` absent or `application`;
    `AWS::ElasticLoadBalancingV2::LoadBalancer` with `Scheme` absent or `internet-facing`
    and `Type` absent or `application`) when nothing of the same Terraform module or
    CloudFormation template puts an edge in front of them: no CloudFront distribution
    whose origin names the load balancer (`aws_lb.x.dns_name`, `!GetAtt Lb.DNSName`), no
    CloudFront VPC origin and no Global Accelerator endpoint group that names it.

    ## Why is this bad?
    Viewers far from the load balancer's Region cross the public internet all the way,
    and every TLS handshake takes several of those round trips. CloudFront (or Global
    Accelerator) terminates connections at an edge location close to the viewer and
    carries traffic over the AWS backbone; CloudFront can also cache responses. Not every
    API benefits, hence a hint.

    ## Fix safety
    No automatic fix: putting CloudFront in front of a load balancer changes the DNS name
    clients use, needs a certificate, a cache and origin request policy and often
    restricting the load balancer to CloudFront (the `com.amazonaws.global.cloudfront.
    origin-facing` managed prefix list).

    ## Known limitations
    A CDN managed elsewhere (another stack or directory, a third-party CDN pointed at the
    load balancer through DNS) cannot be seen. To stay quiet when one may exist, the rule
    does not flag load balancers when a distribution of the module has an origin that may
    be the load balancer (a variable, a DNS record, a custom domain), when an endpoint
    group or VPC origin names something unknown, when a Terraform module call's name or
    source mentions CloudFront, CDN or accelerator, or when the module looks up the
    CloudFront origin-facing prefix list. Latency-insensitive, regional-only or WebSocket
    workloads should suppress the finding with a reason.

    Catalog correction: the catalog lists only `aws_lb`; the provider schema also has
    `aws_alb`, the same resource under its older name, so both are checked.
    """
    if not _public_application(resource) or _may_be_fronted(resource, context):
        return
    where = "module" if resource.format is Format.TERRAFORM else "template"
    yield Violation(
        "Internet-facing Application Load Balancer has no CloudFront distribution or Global "
        f"Accelerator in front of it in this {where}; for viewers far from the Region, "
        "consider CloudFront (edge TLS termination, caching, AWS backbone) or Global "
        "Accelerator",
        resource.header_range,
        Fix.display_only("Put a CloudFront distribution or Global Accelerator in front"),
    )


def _public_application(lb: Resource) -> bool:
    """Internet-facing and of type application, both for sure."""
    if lb.format is Format.TERRAFORM:
        internal = lb.get("internal")
        lb_type = lb.get("load_balancer_type")
        if internal is not None and boolean(internal) is not False:
            return False
    else:
        scheme = lb.get("Scheme")
        lb_type = lb.get("Type")
        if scheme is not None and text(scheme) != INTERNET_FACING:
            return False
    return lb_type is None or text(lb_type) == APPLICATION


def _may_be_fronted(lb: Resource, context: Context) -> bool:
    fmt = lb.format
    if fmt is Format.TERRAFORM and (edge_module(context) or _cloudfront_prefix_list(context)):
        return True
    for distribution in context.module_of_kind(DISTRIBUTION[fmt]):
        for domain in origin_domains(distribution):
            if _origin(domain, lb, context) is not False:
                return True
    for kind, path in _FRONTS[fmt]:
        for front in context.module_of_kind(kind):
            for match in front.find(path):
                if points_to(match.value, [lb], context) is not False:
                    return True
    return False


def _origin(domain: Node, lb: Resource, context: Context) -> bool | None:
    """Whether an origin domain is the load balancer (None: cannot tell)."""
    literal = text(domain)
    if literal is None:
        return points_to(domain, [lb], context)
    # A custom domain may be a DNS record for the load balancer; an AWS service's own
    # domain (S3, API Gateway, Lambda function URLs) is not.
    return False if any(part in literal.lower() for part in _AWS_SERVICE_DOMAINS) else None


def _cloudfront_prefix_list(context: Context) -> bool:
    """A ``data "aws_ec2_managed_prefix_list"`` of CloudFront's origin-facing addresses:
    something in the module admits traffic from CloudFront only."""
    for labels, body in context.blocks_of("data"):
        if labels[:1] == ("aws_ec2_managed_prefix_list",) and any(
            CLOUDFRONT_PREFIX_LIST in written for written in _texts(body)
        ):
            return True
    return False


def _texts(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals and Terraform expressions."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ExpressionNode):
        yield node.text
    elif isinstance(node, IntrinsicNode):
        yield from _texts(node.argument)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _texts(item)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            yield from _texts(entry.value)
