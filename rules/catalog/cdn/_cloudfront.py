"""What CloudFront distributions say, read per format: cache behaviors and origins.

Also what the CDN rules need to decide whether a distribution of the module fronts a
resource (an S3 website, a load balancer): every answer may be "unknown" (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from iacperf.rules.api import Context
from iacperf.rules.model import Format, MappingNode, Node, Resource, SequenceNode, SourceRange
from iacperf.rules.records import record
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.values import text

DISTRIBUTION = {
    Format.TERRAFORM: "aws_cloudfront_distribution",
    Format.CLOUDFORMATION: "AWS::CloudFront::Distribution",
}
BEHAVIORS = {
    Format.TERRAFORM: ("default_cache_behavior", "ordered_cache_behavior"),
    Format.CLOUDFORMATION: (
        "DistributionConfig.DefaultCacheBehavior",
        "DistributionConfig.CacheBehaviors",
    ),
}
# Where a distribution names its origins' domains (CloudFormation also has the legacy
# S3Origin / CustomOrigin of a distribution with a single origin).
ORIGIN_DOMAINS = {
    Format.TERRAFORM: ("origin.domain_name",),
    Format.CLOUDFORMATION: (
        "DistributionConfig.Origins[].DomainName",
        "DistributionConfig.S3Origin.DNSName",
        "DistributionConfig.CustomOrigin.DNSName",
    ),
}
# Resources that CloudFront origins commonly name: an origin naming only these (and not the
# resource a rule asks about) points elsewhere; an origin naming anything else (a DNS
# record, a module output) may hide that resource.
ORIGIN_KINDS = {
    Format.TERRAFORM: (
        "aws_s3_bucket",
        "aws_s3_bucket_website_configuration",
        "aws_lb",
        "aws_alb",
        "aws_elb",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_domain_name",
        "aws_apigatewayv2_api",
        "aws_apigatewayv2_domain_name",
        "aws_lambda_function_url",
        "aws_instance",
        "aws_eip",
    ),
    Format.CLOUDFORMATION: (
        "AWS::S3::Bucket",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancing::LoadBalancer",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::DomainName",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::DomainName",
        "AWS::Serverless::Api",
        "AWS::Serverless::HttpApi",
        "AWS::Lambda::Url",
        "AWS::EC2::Instance",
        "AWS::EC2::EIP",
    ),
}
# Terraform module calls that may create a distribution or accelerator of their own.
_EDGE_MODULE = re.compile(r"cloudfront|\bcdn\b|[-_/]cdn|cdn[-_/]|accelerator", re.IGNORECASE)


@record
class Behavior:
    mapping: MappingNode
    anchor: SourceRange  # the behavior's key, or the first key of a list item


def behaviors(distribution: Resource) -> Iterator[Behavior]:
    """The default and ordered cache behaviors (Terraform ``dynamic`` blocks included)."""
    for path in BEHAVIORS[distribution.format]:
        for match in distribution.find(path):
            value = match.value
            if isinstance(value, MappingNode):
                yield Behavior(value, match.entry.key_range)
            elif isinstance(value, SequenceNode):
                for item in value.items:
                    if isinstance(item, MappingNode) and item.entries:
                        yield Behavior(item, item.entries[0].key_range)


def origin_domains(distribution: Resource) -> Iterator[Node]:
    for path in ORIGIN_DOMAINS[distribution.format]:
        for match in distribution.find(path):
            yield match.value


def mappings(node: Node) -> Iterator[MappingNode]:
    """A nested block as a mapping, also when Terraform JSON writes it as a list."""
    if isinstance(node, MappingNode):
        yield node
    elif isinstance(node, SequenceNode):
        for item in node.items:
            if isinstance(item, MappingNode):
                yield item


def points_to(node: Node, targets: Sequence[Resource], context: Context) -> bool | None:
    """Whether ``node`` names one of ``targets``: False when it is a literal or names only
    resources of the usual origin kinds, None when unknown (a variable, a parameter, a DNS
    record, a module output)."""
    if any(refers_to(node, target) for target in targets):
        return True
    if text(node) is not None or not targets:
        return False
    fmt = targets[0].format
    if fmt is Format.TERRAFORM:
        # Declared in this module or not: ``aws_s3_bucket.x.bucket_regional_domain_name``
        # is an S3 bucket, whatever ``x`` is.
        if any(terraform_names(node, kind) for kind in ORIGIN_KINDS[fmt]):
            return False
        return None
    ids = cloudformation_ids(node)
    if any(r.name in ids for r in context.module_of_kind(*ORIGIN_KINDS[fmt])):
        return False
    return None


def edge_module(context: Context) -> bool:
    """A Terraform module call whose name or source says CloudFront, CDN or accelerator."""
    for labels, body in context.blocks_of("module"):
        words = [*labels, text(body.get("source")) or ""]
        if any(_EDGE_MODULE.search(word) for word in words):
            return True
    return False
