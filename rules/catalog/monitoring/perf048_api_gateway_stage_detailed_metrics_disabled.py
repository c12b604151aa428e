"""PERF048: API Gateway REST stage without detailed CloudWatch metrics."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.network._api_gateway import (
    CFN_STAGE,
    SAM_API,
    TF_METHOD_SETTINGS,
    TF_STAGE,
    mapping_items,
    method_settings_for,
)
from iacperf.rules.edits import (
    Block,
    NewResource,
    Raw,
    Value,
    insert_entries,
    insert_resources_after,
    insert_value,
    replace_value,
)
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    MappingNode,
    Resource,
    ScalarNode,
    SequenceNode,
    Syntax,
)
from iacperf.rules.sam import api_global_entry
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF05_BP01, PERF05_BP02

TF_ALL_METHODS = "*/*"
CFN_ALL_METHODS = ("/*", "*")
_TITLE = "Enable detailed CloudWatch metrics for every method"


@rule(
    code="PERF048",
    name="api-gateway-stage-detailed-metrics-disabled",
    title="API Gateway REST stage without detailed CloudWatch metrics",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=(TF_STAGE,),
    cloudformation=(CFN_STAGE, SAM_API),
    evidence=(
        Link(
            "Amazon API Gateway dimensions and metrics",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html",
        ),
        Link(
            "Trace user requests to REST APIs using X-Ray in API Gateway",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html",
        ),
    ),
    well_architected=(PERF05_BP02, PERF05_BP01),
    compliance={"iso_27001_2022": "A.8.6", "nist_800_53_r5": "CA-7", "soc2_tsc": "A1.1"},
    tags=("api-gateway", "monitoring", "cloudwatch", "metrics"),
)
def api_gateway_stage_detailed_metrics_disabled(
    resource: Resource, context: Context
) -> Iterator[Violation]:
    """
    ## What it does
    Flags API Gateway REST API stages without detailed CloudWatch metrics. Terraform: no
    `aws_api_gateway_method_settings` of the same module that configures the
    `aws_api_gateway_stage` (its `stage_name` refers to the stage, or names it literally
    for the same REST API) sets `metrics_enabled = true`. CloudFormation: no entry of the
    stage's `MethodSettings` (for SAM `AWS::Serverless::Api`, also of
    `Globals.Api.MethodSettings`) sets `MetricsEnabled: true`. Method settings whose stage,
    switch or list comes from a variable or parameter count as enabling them.

    ## Why is this bad?
    Without detailed metrics CloudWatch has only stage-wide numbers: the one slow or
    failing route is hidden in the average. Detailed metrics give `Latency`,
    `IntegrationLatency`, `4XXError`, `5XXError`, `Count` and cache metrics per resource
    and method, the per-route KPIs that alarms and dashboards need.

    ## Fix safety
    Unsafe: detailed metrics are billed as custom metrics, one set per method, which
    adds up for large APIs. In Terraform the fix adds an `aws_api_gateway_method_settings`
    for every method (`*/*`) of the stage, right after it; in CloudFormation it adds
    `MethodSettings` with a `/*` `*` entry, or sets `MetricsEnabled` in the existing one.
    Where the stage already has method settings without metrics in another resource or
    entry, or is made with `count`/`for_each` or in Terraform JSON, the finding only
    advises.

    ## Known limitations
    Stages created by a deployment's `stage_name` / `StageName` and SAM's implicit API are
    not checked; nor are method settings made by another module or stack. Catalog
    correction: the catalog's evidence link is the X-Ray page; the metrics page is added.
    """
    if resource.kind == TF_STAGE:
        yield from _terraform(resource, context)
    else:
        yield from _cloudformation(resource, context)


def _terraform(stage: Resource, context: Context) -> Iterator[Violation]:
    settings = list(method_settings_for(stage, context))
    if any(_metrics(s) is not False for s in settings):
        return
    message = (
        "API Gateway stage has no detailed CloudWatch metrics (no method settings with "
        "metrics_enabled = true); enable them to see latency and errors per method"
    )
    if settings:
        names = ", ".join(s.address for s in settings)
        yield Violation(
            message,
            stage.header_range,
            Fix.display_only(f"Set metrics_enabled = true in {names}"),
        )
        return
    yield Violation(message, stage.header_range, _new_method_settings(stage, context))


def _metrics(settings: Resource) -> bool | None:
    """Whether Terraform method settings enable metrics; None when not known."""
    blocks = list(settings.find("settings"))
    if not blocks:
        return False
    for block in blocks:
        if not isinstance(block.value, MappingNode):
            return None  # a dynamic or computed block
        entry = block.value.get("metrics_enabled")
        if entry is not None and boolean(entry) is not False:
            return boolean(entry)
    return False


def _new_method_settings(stage: Resource, context: Context) -> Fix:
    advice = Fix.display_only(f"Add {TF_METHOD_SETTINGS} for {TF_ALL_METHODS} with {_TITLE}")
    rest_api = stage.get("rest_api_id")
    if stage.syntax is Syntax.JSON or rest_api is None:
        return advice
    if any(stage.get(key) is not None for key in ("count", "for_each")):
        return advice  # the stage reference needs an index or key: a judgement call
    api_value: Value
    if isinstance(rest_api.value, ExpressionNode):
        api_value = Raw(rest_api.value.text)
    elif isinstance(rest_api.value, ScalarNode) and isinstance(rest_api.value.value, str):
        api_value = rest_api.value.value
    else:
        return advice
    taken = {r.name for r in context.module_of_kind(TF_METHOD_SETTINGS)}
    name = _unused(f"{stage.name}_all", taken)
    body: dict[str, Value] = {
        "rest_api_id": api_value,
        "stage_name": Raw(f"{stage.address}.stage_name"),
        "method_path": TF_ALL_METHODS,
        "settings": Block({"metrics_enabled": True}),
    }
    return Fix.unsafe(
        _TITLE, insert_resources_after(stage, NewResource(TF_METHOD_SETTINGS, name, body))
    )


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}_{number}"
        number += 1
    return candidate


# ---------------------------------------------------------------------------
# CloudFormation and SAM: the stage's own MethodSettings


def _cloudformation(stage: Resource, context: Context) -> Iterator[Violation]:
    local = stage.get("MethodSettings")
    inherited = api_global_entry(stage, context, "MethodSettings")
    items: list[MappingNode] = []
    for entry in (local, inherited):
        if entry is None:
            continue
        if _opaque(entry):
            return  # built by an intrinsic: not known
        items.extend(mapping_items(entry.value))
    if any(
        item.get("MetricsEnabled") is not None and boolean(item.get("MetricsEnabled")) is not False
        for item in items
    ):
        return
    message = (
        "API Gateway stage has no detailed CloudWatch metrics (no MethodSettings entry with "
        "MetricsEnabled: true); enable them to see latency and errors per method"
    )
    if local is None and inherited is None:
        value = [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True}]
        edit = insert_value(stage, ["MethodSettings"], value)
        yield Violation(message, stage.header_range, Fix.unsafe(_TITLE, edit))
        return
    all_methods = next((i for i in _local_items(local) if _for_all_methods(i)), None)
    if all_methods is None:
        where = local.key_range if local is not None else stage.header_range
        yield Violation(message, where, Fix.display_only(f"{_TITLE} (/* and *)"))
        return
    switch = all_methods.get("MetricsEnabled")
    if switch is not None:
        edit = replace_value(stage, switch.value, True)
        yield Violation(message, switch.value.range, Fix.unsafe(_TITLE, edit))
        return
    first = all_methods.entries[0]
    indent = first.key_range.start.character
    edit = insert_entries(stage, all_methods, indent, [("MetricsEnabled", True)])
    yield Violation(message, first.key_range, Fix.unsafe(_TITLE, edit))


def _opaque(entry: Entry) -> bool:
    """A list built by an intrinsic, or with intrinsic items (``!If``)."""
    value = entry.value
    return not isinstance(value, SequenceNode) or any(
        not isinstance(item, MappingNode) for item in value.items
    )


def _local_items(entry: Entry | None) -> list[MappingNode]:
    return list(mapping_items(entry.value)) if entry is not None else []


def _for_all_methods(item: MappingNode) -> bool:
    return (text(item.get("ResourcePath")), text(item.get("HttpMethod"))) == CFN_ALL_METHODS
