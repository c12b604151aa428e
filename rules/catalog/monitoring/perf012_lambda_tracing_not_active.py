"""PERF012: Lambda function without active X-Ray tracing."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.edits import Block, insert_value, replace_value
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
from iacperf.rules.sam import FUNCTION, function_setting, global_entry
from iacperf.rules.values import text
from iacperf.rules.wellarchitected import PERF02_BP03, PERF05_BP02

ACTIVE = "Active"
#: Layer names of OpenTelemetry (ADOT) and APM vendors that trace the function themselves.
TRACING_LAYERS = (
    "aws-otel",
    "awsopentelemetry",
    "opentelemetry",
    "datadog",
    "newrelic",
    "dynatrace",
    "lumigo",
    "elastic-apm",
    "appdynamics",
    "instana",
    "splunk",
    "signalfx",
    "honeycomb",
)


@rule(
    code="PERF012",
    name="lambda-tracing-not-active",
    title="Lambda function without active X-Ray tracing",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Visualize Lambda function invocations using AWS X-Ray",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
        ),
    ),
    well_architected=(PERF05_BP02, PERF02_BP03),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7",
        "checkov": "CKV_AWS_50",
        "aws-security-hub": "Lambda.7",
        "aws-config": "lambda-function-xray-enabled",
    },
    tags=("lambda", "monitoring", "x-ray", "tracing"),
)
def lambda_tracing_not_active(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions whose X-Ray tracing mode is not `Active`: `tracing_config`
    / `TracingConfig` is absent (the default is `PassThrough`) or set to `PassThrough`,
    and SAM functions whose `Tracing` (or `Globals.Function.Tracing`) is absent,
    `PassThrough` or `Disabled`. Functions with an OpenTelemetry (ADOT) or APM vendor
    layer (Datadog, New Relic, Dynatrace, Lumigo ...) are not flagged: they are traced
    another way.

    ## Why is this bad?
    Without active tracing Lambda records no trace for requests that arrive untraced, so
    cold starts, slow downstream calls and the share of time spent in each service stay
    invisible: the data needed to find latency bottlenecks is missing.

    ## Fix safety
    Safe: tracing is switched on in place, without replacing or restarting the function.
    The execution role needs `xray:PutTraceSegments` and `xray:PutTelemetryRecords`
    (the managed policy `AWSXRayDaemonWriteAccess`); SAM adds them to the role it creates.
    Traces are billed per trace recorded beyond the X-Ray free tier. When a SAM function
    inherits its mode from `Globals.Function.Tracing`, the fix changes it there.
    """
    if _traced_by_layer(resource, context):
        return
    if resource.kind == FUNCTION:
        yield from _sam_tracing(resource, context)
    elif resource.format is Format.TERRAFORM:
        yield from _modes(resource, "tracing_config", "mode", Block({"mode": ACTIVE}))
    else:
        yield from _modes(resource, "TracingConfig", "Mode", {"Mode": ACTIVE})


def _modes(resource: Resource, block: str, key: str, value: object) -> Iterator[Violation]:
    configs = list(resource.find(block))
    if not configs:
        yield Violation(
            f"Lambda function has no {block}, so X-Ray tracing is PassThrough; set it to {ACTIVE}",
            resource.header_range,
            Fix.safe("Enable active X-Ray tracing", insert_value(resource, [block], value)),
        )
        return
    for config in configs:
        if not isinstance(config.value, MappingNode):
            continue  # an intrinsic or expression: not known
        mode = config.value.get(key)
        if mode is None:
            yield Violation(
                f"Lambda {block} has no {key}, so X-Ray tracing is PassThrough; set it to {ACTIVE}",
                config.entry.key_range,
                Fix.safe(
                    "Enable active X-Ray tracing", insert_value(resource, [block, key], ACTIVE)
                ),
            )
        elif text(mode) not in (None, ACTIVE):
            yield _inactive(resource, mode.value)


def _sam_tracing(resource: Resource, context: Context) -> Iterator[Violation]:
    setting = function_setting(resource, context, "Tracing")
    if setting is None:
        yield Violation(
            f"Lambda function has no Tracing, so X-Ray tracing is PassThrough; set it to {ACTIVE}",
            resource.header_range,
            Fix.safe("Enable active X-Ray tracing", insert_value(resource, ["Tracing"], ACTIVE)),
        )
        return
    mode = text(setting.entry)
    if mode in (None, ACTIVE):
        return
    if not setting.from_globals:
        yield _inactive(resource, setting.entry.value)
        return
    yield Violation(
        f"X-Ray tracing mode is {mode} (Globals.Function.Tracing); set it to {ACTIVE}",
        resource.header_range,
        Fix.safe(
            "Set Globals.Function.Tracing to Active",
            replace_value(resource, setting.entry.value, ACTIVE),
        ),
        related=setting.related(resource),
    )


def _inactive(resource: Resource, node: Node) -> Violation:
    return Violation(
        f"X-Ray tracing mode is {text(node)}; set it to {ACTIVE}",
        node.range,
        Fix.safe("Enable active X-Ray tracing", replace_value(resource, node, ACTIVE)),
    )


def _traced_by_layer(resource: Resource, context: Context) -> bool:
    key = "layers" if resource.format is Format.TERRAFORM else "Layers"
    layers = [resource.get(key), global_entry(resource, context, key)]  # SAM concatenates
    return any(
        pattern in written.lower()
        for entry in layers
        if entry is not None
        for written in _texts(entry.value)
        for pattern in TRACING_LAYERS
    )


def _texts(node: Node) -> Iterator[str]:
    """Every string written in ``node``: literals, Terraform expressions, ``!Sub`` bodies."""
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
