"""PERF039: CloudFront behavior forwards all headers/cookies/query strings (cache-busting)."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Severity, Violation, rule
from iacperf.rules.catalog.cdn._cloudfront import behaviors, mappings
from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Node,
    Resource,
    SequenceNode,
    find_path,
)
from iacperf.rules.records import record
from iacperf.rules.values import boolean, number, text
from iacperf.rules.wellarchitected import PERF03_BP05, PERF04_BP02

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # Managed-CachingOptimized


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    cache_policy_id: str
    forwarded_values: str
    headers: str
    query_string: str
    query_string_cache_keys: str
    cookie_forward: str  # path below forwarded values
    max_ttl: str


_KEYS = {
    Format.TERRAFORM: _Keys(
        cache_policy_id="cache_policy_id",
        forwarded_values="forwarded_values",
        headers="headers",
        query_string="query_string",
        query_string_cache_keys="query_string_cache_keys",
        cookie_forward="cookies.forward",
        max_ttl="max_ttl",
    ),
    Format.CLOUDFORMATION: _Keys(
        cache_policy_id="CachePolicyId",
        forwarded_values="ForwardedValues",
        headers="Headers",
        query_string="QueryString",
        query_string_cache_keys="QueryStringCacheKeys",
        cookie_forward="Cookies.Forward",
        max_ttl="MaxTTL",
    ),
}


@rule(
    code="PERF039",
    name="cloudfront-forwards-everything",
    title="CloudFront behavior forwards all headers/cookies/query strings (cache-busting)",
    severity=Severity.INFORMATION,
    terraform=("aws_cloudfront_distribution",),
    cloudformation=("AWS::CloudFront::Distribution",),
    evidence=(
        Link(
            "Control the cache key with a policy (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
            "controlling-the-cache-key.html",
        ),
    ),
    well_architected=(PERF03_BP05, PERF04_BP02),
    tags=("cloudfront", "cdn", "caching", "cache-key"),
)
def cloudfront_forwards_everything(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags CloudFront cache behaviors configured with the legacy `forwarded_values` /
    `ForwardedValues` (and no cache policy) that either forward every header
    (`headers = ["*"]` / `Headers: ['*']`), or put every query string and every cookie in
    the cache key: `query_string` true without `query_string_cache_keys`, together with
    `cookies { forward = "all" }` / `Cookies: {Forward: all}`. Behaviors with a
    `cache_policy_id` / `CachePolicyId` are not flagged (CloudFront then ignores forwarded
    values), nor behaviors whose `max_ttl` / `MaxTTL` is 0, which cache nothing on purpose.

    ## Why is this bad?
    Everything forwarded with legacy settings is also part of the cache key. With every
    header forwarded CloudFront caches nothing for the behavior at all; with every query
    string and every cookie in the key, almost no two viewers share a cached object (a
    tracking cookie or a `utm_` parameter is enough to miss). Each miss goes back to the
    origin, adding latency and origin load. A cache policy names only what changes the
    response, and an origin request policy forwards what the origin needs without
    splitting the cache.

    ## Fix safety
    No automatic fix: replacing forwarded values changes what the origin receives. The
    advice is a cache policy (for example the managed `Managed-CachingOptimized`, id
    `658327ea-f89d-4fab-a63d-7e88639e58f6`, in Terraform through
    `data "aws_cloudfront_cache_policy"`) plus an origin request policy for the headers,
    cookies and query strings the origin needs. Behaviors that must not be cached (fully
    dynamic, per user) should say so with the managed `Managed-CachingDisabled` policy.

    ## Known limitations
    Forwarded values built from variables or parameters are not known and not flagged.
    Whether a behavior serves per-user content that should not be cached cannot be seen
    unless its `max_ttl` / `MaxTTL` is 0. The catalog rates forwarding every header a
    warning and the rest information; a rule has one severity, so both are information.
    """
    keys = _KEYS[resource.format]
    for behavior in behaviors(resource):
        mapping = behavior.mapping
        if mapping.get(keys.cache_policy_id) is not None or _not_cached(mapping, keys):
            continue  # a cache policy decides the cache key, or nothing is cached anyway
        for entry in mapping.all(keys.forwarded_values):
            for forwarded in mappings(entry.value):
                yield from _check(forwarded, entry, keys)


def _check(forwarded: MappingNode, entry: Entry, keys: _Keys) -> Iterator[Violation]:
    star = _all_headers(forwarded, keys)
    if star is not None:
        yield Violation(
            f'CloudFront cache behavior forwards every header ({keys.headers} has "*"), so '
            "CloudFront caches nothing for it; use a cache policy (such as "
            f"Managed-CachingOptimized, {CACHING_OPTIMIZED}) that keys on only the headers "
            "that change the response, and an origin request policy for what the origin needs",
            star.range,
            _ADVICE,
        )
    elif _all_queries_and_cookies(forwarded, keys):
        yield Violation(
            "CloudFront cache behavior puts every query string and every cookie in the cache "
            f"key ({keys.forwarded_values}), so viewers rarely share a cached object; use a "
            "cache policy that keys on only the query strings and cookies that change the "
            "response, and an origin request policy for what the origin needs",
            entry.key_range,
            _ADVICE,
        )


_ADVICE = Fix.display_only(
    "Replace forwarded values with a cache policy (Managed-CachingOptimized) and an origin "
    "request policy"
)


def _not_cached(behavior: MappingNode, keys: _Keys) -> bool:
    """``max_ttl = 0``: the behavior caches nothing on purpose (a pure proxy)."""
    return number(behavior.get(keys.max_ttl)) == 0


def _all_headers(forwarded: MappingNode, keys: _Keys) -> Node | None:
    """The ``"*"`` item of the forwarded headers, if there is one."""
    entry = forwarded.get(keys.headers)
    if entry is None or not isinstance(entry.value, SequenceNode):
        return None
    return next((item for item in entry.value.items if text(item) == "*"), None)


def _all_queries_and_cookies(forwarded: MappingNode, keys: _Keys) -> bool:
    if boolean(forwarded.get(keys.query_string)) is not True:
        return False
    cache_keys = forwarded.get(keys.query_string_cache_keys)
    if cache_keys is not None and not (
        isinstance(cache_keys.value, SequenceNode) and not cache_keys.value.items
    ):
        return False  # some query strings only, or not known
    return any(text(m.value) == "all" for m in find_path(forwarded, keys.cookie_forward))
