"""PERF038: CloudFront limited to HTTP/1.1 (enable HTTP/2 and HTTP/3)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import Entry, Format, MappingNode, Resource
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF04_BP05

HTTP1_1 = "http1.1"
HTTP2_AND_3 = "http2and3"
_TITLE = "Serve HTTP/2 and HTTP/3 (http2and3)"


@rule(
    code="PERF038",
    name="cloudfront-http1-only",
    title="CloudFront limited to HTTP/1.1 (enable HTTP/2 and HTTP/3)",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_cloudfront_distribution",),
    cloudformation=("AWS::CloudFront::Distribution",),
    evidence=(
        Link(
            "Distribution settings reference: Supported HTTP versions (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
            "DownloadDistValuesGeneral.html",
        ),
    ),
    well_architected=(PERF04_BP05,),
    tags=("cloudfront", "cdn", "http2", "http3", "network"),
)
def cloudfront_http1_only(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags CloudFront distributions that serve viewers over HTTP/1.1 only:
    `http_version = "http1.1"` in Terraform, and in CloudFormation a
    `DistributionConfig.HttpVersion` of `http1.1` or no `HttpVersion` at all (the
    resource schema's default is `http1.1`). Terraform's default is `http2`, so an absent
    `http_version` is not flagged there.

    ## Why is this bad?
    Over HTTP/1.1 a browser opens several connections and still queues requests behind
    each other. HTTP/2 multiplexes every request of a page over one connection with header
    compression, and HTTP/3 (QUIC) adds faster connection set-up and no head-of-line
    blocking on lossy mobile networks. Viewers that support neither negotiate down to
    HTTP/1.1 automatically, so enabling them costs nothing.

    ## Fix safety
    Safe: the HTTP version is changed in place on the distribution, without replacing it.
    Viewers and CloudFront agree on the protocol per connection (HTTP/2 and HTTP/3 need
    TLS 1.2/1.3 and SNI); clients that cannot use them keep using HTTP/1.1. The fix sets
    `http2and3`.

    ## Known limitations
    An explicit `http2` is not flagged, although `http2and3` would add HTTP/3: the catalog
    rates that a hint, below this rule's severity. Clients or scanners that require
    HTTP/1.1 cannot be seen in the configuration; suppress the finding with a reason.
    """
    if resource.format is Format.TERRAFORM:
        # Absent: the provider's default is http2.
        yield from _explicit(resource, resource.get("http_version"), "http_version")
        return
    config = resource.get("DistributionConfig")
    if config is None or not isinstance(config.value, MappingNode):
        return  # an intrinsic: not known
    entry = config.value.get("HttpVersion")
    if entry is not None:
        yield from _explicit(resource, entry, "HttpVersion")
        return
    yield Violation(
        "CloudFront distribution has no HttpVersion, so viewers are served over HTTP/1.1 "
        f"only; set HttpVersion to {HTTP2_AND_3} for HTTP/2 and HTTP/3",
        config.key_range,
        Fix.safe(
            _TITLE, insert_value(resource, ["DistributionConfig", "HttpVersion"], HTTP2_AND_3)
        ),
    )


def _explicit(resource: Resource, entry: Entry | None, key: str) -> Iterator[Violation]:
    value = text(entry)
    if entry is None or value is None or value.lower() != HTTP1_1:
        return  # absent, a newer version, or not known
    yield Violation(
        f"CloudFront distribution serves viewers over HTTP/1.1 only ({key} is {value}); "
        f"set it to {HTTP2_AND_3} for HTTP/2 and HTTP/3",
        entry.value.range,
        Fix.safe(_TITLE, replace_value(resource, entry.value, HTTP2_AND_3)),
    )
