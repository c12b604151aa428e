"""PERF047: API Gateway REST stage without X-Ray tracing."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Severity, Violation, rule
from iacperf.rules.catalog.network._api_gateway import CFN_STAGE, SAM_API, TF_STAGE, setting
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import Format, Resource
from iacperf.rules.values import boolean
from iacperf.rules.wellarchitected import PERF05_BP02


@rule(
    code="PERF047",
    name="api-gateway-stage-tracing-disabled",
    title="API Gateway REST stage without X-Ray tracing",
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    terraform=(TF_STAGE,),
    cloudformation=(CFN_STAGE, SAM_API),
    evidence=(
        Link(
            "Trace user requests to REST APIs using X-Ray in API Gateway",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html",
        ),
    ),
    well_architected=(PERF05_BP02,),
    compliance={
        "iso_27001_2022": "A.8.6",
        "nist_800_53_r5": "CA-7",
        "checkov": "CKV_AWS_73",
        "aws-config": "api-gw-xray-enabled",
        "aws-security-hub": "APIGateway.3",
    },
    tags=("api-gateway", "monitoring", "x-ray", "tracing"),
)
def api_gateway_stage_tracing_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags API Gateway REST API stages that do not send traces to AWS X-Ray:
    `xray_tracing_enabled` / `TracingEnabled` is absent (the default is false) or false,
    on `aws_api_gateway_stage`, `AWS::ApiGateway::Stage` and SAM `AWS::Serverless::Api`
    (also through `Globals.Api.TracingEnabled`). HTTP and WebSocket APIs
    (`aws_apigatewayv2_*`, `AWS::ApiGatewayV2::*`) have no X-Ray setting and are not
    checked.

    ## Why is this bad?
    Without traces, the time a request spends in API Gateway, in its authorizer and in
    each integration (Lambda, HTTP backends, AWS services) cannot be told apart, so slow
    requests cannot be traced to the part that makes them slow. With tracing on, API
    Gateway starts the trace that the Lambda functions and services behind it continue.

    ## Fix safety
    Safe: tracing is switched on in place, without a new deployment. X-Ray samples
    requests (by default the first request each second and 5% of the rest) and bills
    traces recorded beyond the free tier. When a SAM API inherits `TracingEnabled: false`
    from `Globals.Api`, the fix changes it there, for every API of the template.

    ## Known limitations
    Tracing done by a third-party APM or an OpenTelemetry collector cannot be seen;
    suppress the finding there. Stages created by a deployment's `stage_name` /
    `StageName` and SAM's implicit API are not checked.
    """
    key = "xray_tracing_enabled" if resource.format is Format.TERRAFORM else "TracingEnabled"
    found = setting(resource, context, key)
    if found is None:
        yield Violation(
            f"API Gateway stage does not trace requests with X-Ray ({key} is not set); set "
            f"{key} to true",
            resource.header_range,
            Fix.safe("Enable X-Ray tracing", insert_value(resource, [key], True)),
        )
        return
    if boolean(found.entry) is not False:
        return  # traced, or not known
    where = f"Globals.Api.{key}" if found.from_globals else key
    yield Violation(
        f"API Gateway stage does not trace requests with X-Ray ({where} is false); set it to true",
        resource.header_range if found.from_globals else found.entry.value.range,
        Fix.safe("Enable X-Ray tracing", replace_value(resource, found.entry.value, True)),
        related=found.related(resource),
    )
