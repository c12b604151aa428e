"""PERF011: Lambda memory left at the 128 MB default."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.compute._lambda import (
    edge_event_types,
    edge_role,
    keys,
    managed_instances,
    setting,
)
from iacperf.rules.model import Resource
from iacperf.rules.values import number
from iacperf.rules.wellarchitected import PERF02_BP04

DEFAULT_MB = 128
#: CloudFront viewer triggers accept at most 128 MB (Lambda@Edge quotas).
_VIEWER_EVENTS = frozenset({"viewer-request", "viewer-response"})


@rule(
    code="PERF011",
    name="lambda-default-memory",
    title="Lambda memory left at the 128 MB default",
    severity=Severity.INFORMATION,
    scope=Scope.MODULE,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Configure Lambda function memory",
            "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html",
        ),
        Link(
            "What is AWS Compute Optimizer?",
            "https://docs.aws.amazon.com/compute-optimizer/latest/ug/what-is-compute-optimizer.html",
        ),
    ),
    well_architected=(PERF02_BP04,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "soc2_tsc": "A1.1",
        "aws-config": "lambda-function-settings-check",
    },
    tags=("lambda", "compute", "right-sizing"),
)
def lambda_default_memory(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions that run with 128 MB of memory: `memory_size` / `MemorySize`
    is absent (the default is 128 MB) or set to 128. SAM functions inherit
    `Globals.Function.MemorySize`. Lambda@Edge viewer-request and viewer-response
    triggers are not flagged, since 128 MB is the most those triggers allow: functions
    that a CloudFront distribution of the same module or template associates with a
    viewer event, and functions whose execution role trusts `edgelambda.amazonaws.com`
    when the distribution is elsewhere (the event type cannot be seen then). Functions on
    Lambda Managed Instances (a capacity provider) are not flagged either: their CPU is
    not allocated in proportion to this setting as for on-demand functions.

    ## Why is this bad?
    Lambda allocates CPU in proportion to memory: at 128 MB a function gets about a
    fourteenth of a vCPU, so CPU-bound work, cold starts and even network-heavy code run
    slowly, and because duration is billed per millisecond a bigger setting often costs
    the same or less. The right value can only be measured: AWS Lambda Power Tuning and
    AWS Compute Optimizer find it from real invocations.

    ## Fix safety
    No automatic fix: the right size depends on the workload. The hint asks for a measured
    `memory_size` / `MemorySize`; changing it is an in-place update.

    ## Known limitations
    Small I/O-bound glue functions for which 128 MB was measured to be best are flagged
    too; suppress the finding with a reason. Catalog correction: the rule reads the
    CloudFront distributions of the module to spare Lambda@Edge viewer triggers, so its
    scope is module, not resource.
    """
    key = keys(resource, "memory_size", "MemorySize")
    found = setting(resource, context, key)
    if found is not None:
        size = number(found.entry)
        if size is None or size != DEFAULT_MB:
            return  # another size, or not known
    if _viewer_trigger(resource, context) or managed_instances(resource, context):
        return
    advice = Fix.display_only(
        f"Measure with AWS Lambda Power Tuning or Compute Optimizer, then set {key}"
    )
    remedy = f"measure the function (AWS Lambda Power Tuning, Compute Optimizer) and set {key}"
    if found is None:
        yield Violation(
            f"Lambda function has no {key}, so it gets the {DEFAULT_MB} MB default and the "
            f"CPU share that goes with it; {remedy}",
            resource.header_range,
            advice,
        )
    elif found.from_globals:
        yield Violation(
            f"Lambda memory is {DEFAULT_MB} MB (Globals.Function.{key}), the smallest size "
            f"with the smallest CPU share; {remedy}",
            resource.header_range,
            advice,
            related=found.related(resource),
        )
    else:
        yield Violation(
            f"Lambda {key} is {DEFAULT_MB} MB, the smallest size with the smallest CPU "
            f"share; {remedy}",
            found.entry.value.range,
            advice,
        )


def _viewer_trigger(resource: Resource, context: Context) -> bool:
    """A Lambda@Edge viewer trigger, or an edge function whose trigger cannot be seen."""
    events = edge_event_types(resource, context)
    if not events:
        return edge_role(resource, context)  # associated by another stack or module
    return any(event is None or event in _VIEWER_EVENTS for event in events)
