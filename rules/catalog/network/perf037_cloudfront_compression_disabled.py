"""PERF037: CloudFront cache behavior without automatic compression."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from iacperf.rules.api import (
    Context,
    Fix,
    FixAvailability,
    Link,
    Scope,
    Severity,
    Violation,
    rule,
)
from iacperf.rules.edits import Edit, insert_entries, replace_value
from iacperf.rules.model import (
    Entry,
    Format,
    MappingNode,
    Node,
    Resource,
    SequenceNode,
    SourceRange,
    TopBlock,
    find_path,
)
from iacperf.rules.records import record
from iacperf.rules.references import refers_to, terraform_names
from iacperf.rules.values import boolean, number, strings, text
from iacperf.rules.wellarchitected import PERF04_BP02, PERF04_BP05


@record
class _Keys:
    """The names one format gives to what this rule reads."""

    distribution: str
    policy: str
    behaviors: tuple[str, ...]  # paths to cache behaviors (a block, mapping or list)
    compress: str
    path_pattern: str
    cache_policy_id: str
    forwarded_headers: str
    parameters: tuple[str, ...]  # from the policy body to its Accept-Encoding switches
    gzip: str
    brotli: str
    ttl_parent: str  # where a policy keeps its TTLs ("" for the body)
    ttls: tuple[tuple[str, float | None], ...]  # TTL keys with their defaults


_KEYS = {
    Format.TERRAFORM: _Keys(
        distribution="aws_cloudfront_distribution",
        policy="aws_cloudfront_cache_policy",
        behaviors=("default_cache_behavior", "ordered_cache_behavior"),
        compress="compress",
        path_pattern="path_pattern",
        cache_policy_id="cache_policy_id",
        forwarded_headers="forwarded_values.headers",
        parameters=("parameters_in_cache_key_and_forwarded_to_origin",),
        gzip="enable_accept_encoding_gzip",
        brotli="enable_accept_encoding_brotli",
        ttl_parent="",
        ttls=(("min_ttl", 0), ("default_ttl", 86400), ("max_ttl", 31536000)),
    ),
    Format.CLOUDFORMATION: _Keys(
        distribution="AWS::CloudFront::Distribution",
        policy="AWS::CloudFront::CachePolicy",
        behaviors=("DistributionConfig.DefaultCacheBehavior", "DistributionConfig.CacheBehaviors"),
        compress="Compress",
        path_pattern="PathPattern",
        cache_policy_id="CachePolicyId",
        forwarded_headers="ForwardedValues.Headers",
        parameters=("CachePolicyConfig", "ParametersInCacheKeyAndForwardedToOrigin"),
        gzip="EnableAcceptEncodingGzip",
        brotli="EnableAcceptEncodingBrotli",
        ttl_parent="CachePolicyConfig",
        ttls=(("MinTTL", None), ("DefaultTTL", None), ("MaxTTL", None)),  # all required
    ),
}

# AWS managed cache policies meant for content CloudFront should not compress:
# Managed-CachingOptimizedForUncompressedObjects and Managed-Elemental-MediaPackage.
# Managed-CachingDisabled too: with every TTL at 0, CloudFront does not compress at the edge
# (and rejects Gzip/Brotli in such a policy).
_UNCOMPRESSED_POLICY_IDS = frozenset(
    {
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
        "08627262-05a9-4f76-9ded-b50ca2e3a84f",
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    }
)
_UNCOMPRESSED_POLICY_NAMES = (
    "Managed-CachingOptimizedForUncompressedObjects",
    "Managed-Elemental",
    "Managed-CachingDisabled",
)
# Path patterns of already-compressed media, which compression would not shrink.
_COMPRESSED_EXTENSIONS = frozenset(
    {
        *("jpg", "jpeg", "png", "gif", "webp", "avif", "heic", "heif"),  # images
        *("mp4", "m4v", "m4s", "mov", "webm", "mkv", "ts"),  # video
        *("mp3", "m4a", "aac", "ogg", "oga", "opus", "flac"),  # audio
        *("zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "br"),  # archives
        *("woff", "woff2", "pdf"),  # compressed document formats
    }
)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]+)$")
ACCEPT_ENCODING = "accept-encoding"


@record
class _Behavior:
    mapping: MappingNode
    anchor: SourceRange  # where a finding about an absent setting goes


@rule(
    code="PERF037",
    name="cloudfront-compression-disabled",
    title="CloudFront cache behavior without automatic compression",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_cloudfront_distribution", "aws_cloudfront_cache_policy"),
    cloudformation=("AWS::CloudFront::Distribution", "AWS::CloudFront::CachePolicy"),
    evidence=(
        Link(
            "Serve compressed files (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html",
        ),
        Link(
            "Control the cache key with a policy (Amazon CloudFront)",
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html",
        ),
    ),
    well_architected=(PERF04_BP05, PERF04_BP02),
    tags=("cloudfront", "cdn", "network"),
)
def cloudfront_compression_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags CloudFront cache behaviors (`default_cache_behavior` and `ordered_cache_behavior`
    / `DefaultCacheBehavior` and `CacheBehaviors`) whose `compress` / `Compress` is absent
    (the default is false) or false. It also flags a cache policy of the same module or
    template that enables neither Gzip nor Brotli while a cache behavior that should
    compress uses it: CloudFront needs those settings in the cache policy to compress.

    Behaviors that serve already-compressed media (a path pattern such as `*.jpg`, `*.mp4`
    or `*.zip`), that forward `Accept-Encoding` to the origin (legacy `forwarded_values`
    headers, or a custom cache policy with Gzip or Brotli on) so the origin can compress,
    that use the AWS managed policies for uncompressed objects or MediaPackage, or whose
    cache policy disables caching (`Managed-CachingDisabled`, or every TTL 0: CloudFront
    then does not compress at the edge and refuses Gzip and Brotli in the policy) are not
    flagged.

    ## Why is this bad?
    Gzip and Brotli shrink text assets (HTML, CSS, JavaScript, JSON, SVG) to a fraction of
    their size, so pages load faster and CloudFront transfers (and bills) less data.
    CloudFront does not compress unless the behavior asks for it.

    ## Fix safety
    Setting `compress` to true is safe: the distribution is updated in place and only the
    encoding of responses to clients that accept compression changes. Turning on Gzip and
    Brotli in a cache policy is unsafe: it adds the normalized `Accept-Encoding` header to
    the cache key of every behavior that uses the policy, which empties their caches once.

    ## Known limitations
    A cache policy given through a variable, or through a data source other than the
    managed policies named above, is assumed to allow compression. Whether the origin
    already compresses cannot be seen in the configuration. The fix for a behavior does not
    edit its cache policy: the policy gets its own finding and fix.
    """
    keys = _KEYS[resource.format]
    if resource.kind == keys.policy:
        yield from _check_policy(resource, context, keys)
        return
    for behavior in _behaviors(resource, keys):
        if _exempt(behavior.mapping, context, keys):
            continue
        entry = behavior.mapping.get(keys.compress)
        if entry is not None and boolean(entry) is not False:
            continue  # compresses, or not known
        yield _behavior_violation(resource, context, keys, behavior, entry)


def _behaviors(distribution: Resource, keys: _Keys) -> Iterator[_Behavior]:
    for path in keys.behaviors:
        for match in distribution.find(path):
            value = match.value
            if isinstance(value, MappingNode):
                yield _Behavior(value, match.entry.key_range)
            elif isinstance(value, SequenceNode):
                for item in value.items:
                    if isinstance(item, MappingNode) and item.entries:
                        yield _Behavior(item, item.entries[0].key_range)


def _exempt(behavior: MappingNode, context: Context, keys: _Keys) -> bool:
    """Behaviors where CloudFront compression is pointless or left to the origin on purpose."""
    if _media_only(behavior, keys):
        return True
    for match in find_path(behavior, keys.forwarded_headers):
        headers = strings(match.value) or []
        if any(header.lower() == ACCEPT_ENCODING for header in headers):
            return True
    policy_id = behavior.get(keys.cache_policy_id)
    if policy_id is None:
        return False
    if text(policy_id) in _UNCOMPRESSED_POLICY_IDS:
        return True
    if _managed_uncompressed(policy_id.value, context.top_blocks("data")):
        return True
    policy = _custom_policy(policy_id.value, context, keys)
    if policy is None:
        return False
    return (
        _caching_disabled(policy, keys) is not False or _accepts_encoding(policy, keys) is not False
    )


def _managed_uncompressed(node: Node, blocks: Iterable[TopBlock]) -> bool:
    """``data.aws_cloudfront_cache_policy.x.id`` naming an uncompressed-objects policy."""
    names = terraform_names(node, "data.aws_cloudfront_cache_policy")
    for block in blocks:
        entry = block.entry
        if entry.key != "data" or entry.labels[:1] != ("aws_cloudfront_cache_policy",):
            continue
        if entry.labels[1:] and entry.labels[1] in names and isinstance(entry.value, MappingNode):
            name = text(entry.value.get("name")) or ""
            if name.startswith(_UNCOMPRESSED_POLICY_NAMES):
                return True
    return False


def _custom_policy(node: Node, context: Context, keys: _Keys) -> Resource | None:
    """The cache policy of the module that ``node`` points at."""
    for policy in context.module_of_kind(keys.policy):
        if refers_to(node, policy):
            return policy
    return None


def _accepts_encoding(policy: Resource, keys: _Keys) -> bool | None:
    """Whether the policy enables Gzip or Brotli; None when that is not known."""
    parameters = _parameters(policy, keys)
    if parameters is None:
        return False
    states = []
    for key in (keys.gzip, keys.brotli):
        entry = parameters.get(key)
        states.append(False if entry is None else boolean(entry))
    if True in states:
        return True
    return None if None in states else False


def _caching_disabled(policy: Resource, keys: _Keys) -> bool | None:
    """Every TTL 0: no edge caching, so no edge compression either; None when unknown."""
    config = policy.body
    if keys.ttl_parent:
        entry = config.get(keys.ttl_parent)
        if entry is None or not isinstance(entry.value, MappingNode):
            return None
        config = entry.value
    ttls = []
    for key, default in keys.ttls:
        entry = config.get(key)
        ttls.append(default if entry is None else number(entry))
    if any(ttl is None for ttl in ttls):
        return None
    return all(ttl == 0 for ttl in ttls)


def _parameters(policy: Resource, keys: _Keys) -> MappingNode | None:
    mapping = policy.body
    for key in keys.parameters:
        entry = mapping.get(key)
        if entry is None or not isinstance(entry.value, MappingNode):
            return None
        mapping = entry.value
    return mapping


def _behavior_violation(
    distribution: Resource,
    context: Context,
    keys: _Keys,
    behavior: _Behavior,
    entry: Entry | None,
) -> Violation:
    setting = (
        f"{keys.compress} = true"
        if distribution.format is Format.TERRAFORM
        else f"{keys.compress}: true"
    )
    remedy = f"set {setting}"
    policy_id = behavior.mapping.get(keys.cache_policy_id)
    if policy_id is not None:
        policy = _custom_policy(policy_id.value, context, keys)
        if policy is not None:
            remedy += f" and enable Gzip and Brotli in cache policy {policy.address}"
    title = "Compress objects automatically"
    if entry is not None:
        return Violation(
            f"CloudFront cache behavior does not compress objects ({keys.compress} is false); "
            + remedy,
            entry.value.range,
            Fix.safe(title, replace_value(distribution, entry.value, True)),
        )
    indent = behavior.anchor.start.character + distribution.indent_unit
    edit = insert_entries(distribution, behavior.mapping, indent, [(keys.compress, True)])
    return Violation(
        f"CloudFront cache behavior does not compress objects ({keys.compress} defaults to "
        f"false); {remedy}",
        behavior.anchor,
        Fix.safe(title, edit),
    )


def _check_policy(policy: Resource, context: Context, keys: _Keys) -> Iterator[Violation]:
    if _caching_disabled(policy, keys) is not False or _accepts_encoding(policy, keys) is not False:
        return
    if not _used_to_compress(policy, context, keys):
        return
    parameters = _parameters(policy, keys)
    if parameters is None:
        return  # a required block is missing: the template is broken anyway
    edits: list[Edit] = []
    missing: list[tuple[str, bool]] = []
    for key in (keys.gzip, keys.brotli):
        entry = parameters.get(key)
        if entry is None:
            missing.append((key, True))
        else:
            edits.append(replace_value(policy, entry.value, True))
    if missing:
        indent = parameters.indent if parameters.indent is not None else 0
        edits.append(insert_entries(policy, parameters, indent, missing))
    gzip = parameters.get(keys.gzip)
    anchor = gzip.value.range if gzip is not None else _parameters_anchor(policy, keys)
    yield Violation(
        "Cache policy enables neither Gzip nor Brotli, which CloudFront needs to compress "
        f"objects for the cache behaviors that use it; set {keys.gzip} and {keys.brotli} to "
        "true",
        anchor,
        Fix.unsafe("Enable Gzip and Brotli in the cache policy", *edits),
    )


def _parameters_anchor(policy: Resource, keys: _Keys) -> SourceRange:
    mapping = policy.body
    anchor = policy.header_range
    for key in keys.parameters:
        entry = mapping.get(key)
        if entry is None or not isinstance(entry.value, MappingNode):
            break
        anchor, mapping = entry.key_range, entry.value
    return anchor


def _used_to_compress(policy: Resource, context: Context, keys: _Keys) -> bool:
    """True when a cache behavior of the module that should compress uses this policy."""
    for distribution in context.module_of_kind(keys.distribution):
        for behavior in _behaviors(distribution, keys):
            policy_id = behavior.mapping.get(keys.cache_policy_id)
            if policy_id is None or not refers_to(policy_id.value, policy):
                continue
            if not _media_only(behavior.mapping, keys):
                return True
    return False


def _media_only(behavior: MappingNode, keys: _Keys) -> bool:
    """A path pattern such as ``*.jpg``: content that compression would not shrink."""
    extension = _EXTENSION.search(text(behavior.get(keys.path_pattern)) or "")
    return extension is not None and extension.group(1).lower() in _COMPRESSED_EXTENSIONS
