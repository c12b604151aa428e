"""PERF034: API Gateway REST stage without response caching."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.network._api_gateway import (
    CFN_STAGE,
    SAM_API,
    TF_METHOD_SETTINGS,
    TF_STAGE,
    api_methods,
    applies_to,
    fronted_by_cloudfront,
    mapping_items,
    method_settings_for,
    setting,
)
from iacperf.rules.edits import Edit, insert_entries, replace_value
from iacperf.rules.model import Entry, Format, MappingNode, Node, Resource, SequenceNode
from iacperf.rules.sam import Setting, api_global_entry
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF03_BP05

SMALLEST_CACHE_GB = "0.5"
#: Method settings for every method: Terraform's method path, CloudFormation's path and verb.
TF_ALL_METHODS = "*/*"
CFN_ALL_METHODS = ("/*", "*")
#: Methods whose responses API Gateway caches by default once the stage has a cache.
_CACHED_METHODS = {"GET", "ANY"}


@rule(
    code="PERF034",
    name="api-gateway-stage-cache-disabled",
    title="API Gateway REST stage without response caching",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=(TF_STAGE, TF_METHOD_SETTINGS),
    cloudformation=(CFN_STAGE, SAM_API),
    evidence=(
        Link(
            "Cache settings for REST APIs in API Gateway",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html",
        ),
    ),
    well_architected=(PERF03_BP05,),
    compliance={
        "checkov": "CKV_AWS_120; CKV_AWS_225",
        "aws-config": "api-gw-cache-enabled-and-encrypted",
    },
    tags=("api-gateway", "caching"),
)
def api_gateway_stage_cache_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags API Gateway REST API stages without a stage cache: `cache_cluster_enabled` /
    `CacheClusterEnabled` is absent (the default is false) or false, on
    `aws_api_gateway_stage`, `AWS::ApiGateway::Stage` and SAM `AWS::Serverless::Api`
    (also through `Globals.Api`). Not flagged: stages whose REST API is the origin of a
    CloudFront distribution of the same module or template (CloudFront caches in front of
    it), and REST APIs whose methods include no `GET` or `ANY` (only `GET` responses are
    cached by default). Methods are read from method resources, from OpenAPI definitions
    written in the template and from SAM function events; an API with a definition kept
    in a file, in S3 or in a Terraform `body` is assumed to have `GET` methods.

    It also flags the opposite waste: a stage that has a cache cluster while method
    settings for all methods (`*/*`, or `/*` and `*`) turn caching off and no other method
    setting turns it on, so the stage pays for a cache that nothing uses.

    ## Why is this bad?
    Without a cache every request reaches the integration: the backend does the same work
    for the same answer, and clients wait for it. A stage cache answers repeated `GET`
    requests from API Gateway itself (300 seconds by default), cutting latency and backend
    load for read-heavy APIs.

    ## Fix safety
    Unsafe, and a hint: whether responses may be cached is a workload decision. The fix
    enables the stage cache with the smallest size (`0.5` GB), which is billed per hour
    while it exists and takes a few minutes to create; afterwards `GET` responses are
    served from the cache for up to 300 seconds, so clients can see data that is that old.
    Responses that depend on the caller (authorization, headers, query strings not in the
    cache key) need cache key parameters or caching turned off per method first. A stage
    whose cache is unused gets advice only.

    ## Known limitations
    Whether responses are personal or change with every request cannot be seen. Stages
    created by a deployment's `stage_name` / `StageName` and SAM's implicit API are not
    checked.
    """
    if resource.kind == TF_METHOD_SETTINGS:
        yield from _unused_cache_terraform(resource, context)
        return
    keys = _keys(resource)
    enabled = setting(resource, context, keys[0])
    state = boolean(enabled.entry) if enabled is not None else False
    if state is True:
        if resource.format is Format.CLOUDFORMATION:
            yield from _unused_cache_inline(resource, context)
        return
    if enabled is not None and state is None:
        return  # not known
    if fronted_by_cloudfront(resource, context) or _no_cacheable_methods(resource, context):
        return
    yield _violation(resource, context, keys, enabled)


def _keys(resource: Resource) -> tuple[str, str]:
    if resource.format is Format.TERRAFORM:
        return ("cache_cluster_enabled", "cache_cluster_size")
    return ("CacheClusterEnabled", "CacheClusterSize")


def _violation(
    resource: Resource, context: Context, keys: tuple[str, str], enabled: Setting | None
) -> Violation:
    enabled_key, size_key = keys
    has_size = setting(resource, context, size_key) is not None
    edits: list[Edit] = []
    missing: list[tuple[str, object]] = []
    if enabled is None:
        missing.append((enabled_key, True))
    else:
        edits.append(replace_value(resource, enabled.entry.value, True))
    if not has_size:
        missing.append((size_key, SMALLEST_CACHE_GB))
    if missing:
        edits.append(insert_entries(resource, resource.body, _body_indent(resource), missing))
    size = f"{SMALLEST_CACHE_GB} GB"
    fix = Fix.unsafe(f"Enable the stage cache ({size})", *edits)
    remedy = "for cacheable GET responses, enable the stage cache"
    if enabled is None:
        return Violation(
            f"API Gateway stage has no response cache ({enabled_key} is not set); {remedy}",
            resource.header_range,
            fix,
        )
    where = f"Globals.Api.{enabled_key}" if enabled.from_globals else enabled_key
    return Violation(
        f"API Gateway stage response cache is off ({where} is false); {remedy}",
        resource.header_range if enabled.from_globals else enabled.entry.value.range,
        fix,
        related=enabled.related(resource),
    )


def _body_indent(resource: Resource) -> int:
    if resource.body.indent is not None:
        return resource.body.indent
    base = resource.node.indent if resource.format is Format.CLOUDFORMATION else None
    start = base if base is not None else resource.header_range.start.character
    return start + resource.indent_unit


def _no_cacheable_methods(resource: Resource, context: Context) -> bool:
    """True when the module defines the REST API's methods and none is GET or ANY."""
    verbs = api_methods(resource, context)
    return bool(verbs) and not _CACHED_METHODS & set(verbs or ())


# ---------------------------------------------------------------------------
# A cache cluster that no method uses.

_UNUSED = (
    "Stage {stage} has a cache cluster (billed per hour) but caching is off for all methods "
    "and on for none; enable caching for cacheable methods or turn the stage cache off"
)
_UNUSED_FIX = "Enable caching for cacheable methods, or turn the stage cache off"


def _unused_cache_terraform(settings: Resource, context: Context) -> Iterator[Violation]:
    if text(settings.get("method_path")) != TF_ALL_METHODS:
        return
    caching = _caching_entry(settings)
    if caching is None or boolean(caching) is not False:
        return
    for stage in context.module_of_kind(TF_STAGE):
        if applies_to(settings, stage) is not True:
            continue
        if boolean(stage.get("cache_cluster_enabled")) is not True:
            continue
        others = [s for s in method_settings_for(stage, context) if s is not settings]
        if any(_caches(other) for other in others):
            continue
        yield Violation(
            _UNUSED.format(stage=stage.address),
            caching.value.range,
            Fix.display_only(_UNUSED_FIX),
        )


def _caches(settings: Resource) -> bool:
    """Whether method settings may turn caching on (true, or not known)."""
    entry = _caching_entry(settings)
    return entry is not None and boolean(entry) is not False


def _caching_entry(settings: Resource) -> Entry | None:
    match = next(settings.find("settings.caching_enabled"), None)
    return match.entry if match is not None else None


def _unused_cache_inline(resource: Resource, context: Context) -> Iterator[Violation]:
    """CloudFormation/SAM: MethodSettings of the stage itself (and of ``Globals.Api``)."""
    items: list[MappingNode] = []
    for entry in (resource.get("MethodSettings"), _global_method_settings(resource, context)):
        if entry is None:
            continue
        if not isinstance(entry.value, (MappingNode, SequenceNode)):
            return  # an intrinsic: not known
        items.extend(mapping_items(entry.value))
    off: Node | None = None
    for item in items:
        caching = item.get("CachingEnabled")
        if caching is None:
            continue
        state = boolean(caching)
        if state is not False:
            return  # caching is on somewhere (or not known)
        if (text(item.get("ResourcePath")), text(item.get("HttpMethod"))) == CFN_ALL_METHODS:
            off = caching.value
    if off is not None:
        yield Violation(
            _UNUSED.format(stage=resource.name), off.range, Fix.display_only(_UNUSED_FIX)
        )


def _global_method_settings(resource: Resource, context: Context) -> Entry | None:
    return api_global_entry(resource, context, "MethodSettings")
