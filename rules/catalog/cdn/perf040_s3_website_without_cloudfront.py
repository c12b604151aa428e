"""PERF040: S3 static website served without CloudFront."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.cdn._cloudfront import (
    DISTRIBUTION,
    edge_module,
    mappings,
    origin_domains,
    points_to,
)
from iacperf.rules.model import Format, MappingNode, Node, Resource, SourceRange
from iacperf.rules.records import record
from iacperf.rules.references import refers_to, terraform_names
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF04_BP02, PERF04_BP06

WEBSITE_CONFIGURATION = "aws_s3_bucket_website_configuration"
TF_BUCKET = "aws_s3_bucket"
CFN_BUCKET = "AWS::S3::Bucket"
_NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")


@record
class _Website:
    """A website-enabled bucket: what may name it, its literal name, where to report."""

    targets: tuple[Resource, ...]
    name: str | None  # the literal bucket name
    #: A name is given but not known (a variable): a literal origin domain may be it.
    #: Without a name the bucket gets a generated one, which no literal can foresee.
    name_unknown: bool
    anchor: SourceRange


@rule(
    code="PERF040",
    name="s3-website-without-cloudfront",
    title="S3 static website served without CloudFront",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    terraform=(WEBSITE_CONFIGURATION, TF_BUCKET),
    cloudformation=(CFN_BUCKET,),
    evidence=(
        Link(
            "Speeding up your website with Amazon CloudFront (Amazon S3)",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
            "website-hosting-cloudfront-walkthrough.html",
        ),
        Link(
            "Serve compressed files (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
            "ServingCompressedFiles.html",
        ),
    ),
    well_architected=(PERF04_BP02, PERF04_BP06),
    tags=("s3", "website", "cloudfront", "cdn"),
)
def s3_website_without_cloudfront(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags S3 buckets configured as static websites (`aws_s3_bucket_website_configuration`,
    the legacy `website` block of `aws_s3_bucket`, or `WebsiteConfiguration` of
    `AWS::S3::Bucket`) when no CloudFront distribution of the same Terraform module or
    CloudFormation template has the bucket as an origin: an origin domain that names the
    bucket or its website configuration (`bucket_regional_domain_name`,
    `website_endpoint`, `!GetAtt Bucket.RegionalDomainName`, `WebsiteURL` ...) or a
    literal domain that starts with the bucket's literal name. Buckets that only redirect
    every request (`redirect_all_requests_to` / `RedirectAllRequestsTo`) are not flagged.

    ## Why is this bad?
    The S3 website endpoint serves from a single Region, over HTTP only, without
    compression or HTTP/2. Every viewer far from that Region pays the full round trip for
    every object. CloudFront caches the site at edge locations close to viewers, adds TLS,
    HTTP/2 and HTTP/3 and compresses text assets.

    ## Fix safety
    No automatic fix: a distribution needs decisions the configuration does not hold
    (aliases and certificate, price class, cache policy). The advice is an
    `aws_cloudfront_distribution` / `AWS::CloudFront::Distribution` with the bucket as an
    S3 origin behind an origin access control (or the website endpoint as a custom origin
    when S3 website redirects and index documents in sub-folders are needed), with
    `compress = true` and `http_version = "http2and3"`.

    ## Known limitations
    A distribution managed in another stack, Terraform directory or a third-party CDN
    cannot be seen. To stay quiet when it may exist, the rule does not flag a bucket when
    a distribution of the module has an origin whose domain is not known (a variable, a
    parameter, a local value), or when a Terraform module call's name or source mentions
    CloudFront, CDN or accelerator, or a nested stack is handed the bucket.
    """
    website = _website(resource, context)
    if website is None or _may_be_served(website, resource, context):
        return
    yield Violation(
        f"S3 bucket {_display(website)} is served from the S3 website endpoint "
        "(one Region, HTTP only) and no CloudFront distribution of this "
        f"{'module' if resource.format is Format.TERRAFORM else 'template'} uses it as an "
        "origin; serve it through CloudFront for edge caching, TLS, HTTP/2 and compression",
        website.anchor,
        Fix.display_only(
            "Add a CloudFront distribution with the bucket as origin (origin access control, "
            "compress, http2and3)"
        ),
    )


def _website(resource: Resource, context: Context) -> _Website | None:
    if resource.kind == WEBSITE_CONFIGURATION:
        return _configuration(resource, context)
    key = "website" if resource.format is Format.TERRAFORM else "WebsiteConfiguration"
    name = resource.get("bucket" if resource.format is Format.TERRAFORM else "BucketName")
    for entry in resource.body.all(key):
        blocks = list(mappings(entry.value))
        if not blocks or any(_redirect_only(block, resource.format) for block in blocks):
            return None  # an intrinsic (maybe no website), or a redirect
        unknown = name is not None and text(name) is None
        return _Website((resource,), text(name), unknown, entry.key_range)
    return None


def _configuration(resource: Resource, context: Context) -> _Website | None:
    """``aws_s3_bucket_website_configuration`` and the buckets its ``bucket`` names."""
    if next(resource.find("redirect_all_requests_to"), None) is not None:
        return None  # redirects every request (a ``dynamic`` block: may do so)
    bucket = resource.get("bucket")
    node = bucket.value if bucket is not None else None
    names = terraform_names(node, TF_BUCKET)
    buckets = tuple(b for b in context.module_of_kind(TF_BUCKET) if b.name in names)
    name, unknown = text(node), node is not None and text(node) is None
    if name is None and len(buckets) == 1:
        bucket_name = buckets[0].get("bucket")
        name, unknown = text(bucket_name), bucket_name is not None and text(bucket_name) is None
    return _Website((resource, *buckets), name, unknown, resource.header_range)


def _redirect_only(website: MappingNode, fmt: Format) -> bool:
    key = "redirect_all_requests_to" if fmt is Format.TERRAFORM else "RedirectAllRequestsTo"
    return website.get(key) is not None


def _may_be_served(website: _Website, resource: Resource, context: Context) -> bool:
    """True unless no distribution, module or nested stack of the module can front it."""
    fmt = resource.format
    if fmt is Format.TERRAFORM and edge_module(context):
        return True
    if fmt is Format.CLOUDFORMATION and _nested_stack_gets(website, context):
        return True
    for distribution in context.module_of_kind(DISTRIBUTION[fmt]):
        for domain in origin_domains(distribution):
            if _origin(domain, website, context) is not False:
                return True
    return False


def _origin(domain: Node, website: _Website, context: Context) -> bool | None:
    """Whether an origin domain is the website's bucket (None: cannot tell)."""
    literal = text(domain)
    if literal is None:
        return points_to(domain, website.targets, context)
    if website.name is not None:
        return literal.lower().startswith(website.name.lower() + ".s3")
    return None if website.name_unknown and ".s3" in literal.lower() else False


def _nested_stack_gets(website: _Website, context: Context) -> bool:
    for stack in context.module_of_kind(*_NESTED_STACKS):
        parameters = stack.get("Parameters")
        if parameters is not None and any(refers_to(parameters.value, t) for t in website.targets):
            return True
    return False


def _display(website: _Website) -> str:
    """The bucket's literal name, else the bucket resource's address."""
    last = website.targets[-1]
    if website.name:
        return website.name
    return f"of {last.address}" if last.kind == WEBSITE_CONFIGURATION else last.address
