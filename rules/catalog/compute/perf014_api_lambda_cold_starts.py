"""PERF014: API-fronted Lambda without provisioned concurrency or SnapStart."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.compute._lambda import (
    keys,
    managed_instances,
    provisioned,
    setting,
    snapstart_runtime,
    snapstart_state,
)
from iacperf.rules.edits import Edit, NewResource, Raw, insert_entries, insert_resources_after
from iacperf.rules.model import Entry, Format, MappingNode, Node, Resource, Syntax
from iacperf.rules.references import refers_to, terraform_names
from iacperf.rules.sam import FUNCTION
from iacperf.rules.values import boolean, text
from iacperf.rules.wellarchitected import PERF02_BP02, PERF02_BP05

API_PRINCIPAL = "apigateway.amazonaws.com"
ALIAS = "live"
#: Where API Gateway names the function it invokes, per integration type.
_INTEGRATIONS = {
    "aws_api_gateway_integration": "uri",
    "aws_apigatewayv2_integration": "integration_uri",
    "AWS::ApiGateway::Method": "Integration.Uri",
    "AWS::ApiGatewayV2::Integration": "IntegrationUri",
}
#: API definitions (OpenAPI bodies, SAM authorizers) that may name the function.
_DEFINITIONS = {
    "AWS::ApiGateway::RestApi": "Body",
    "AWS::ApiGatewayV2::Api": "Body",
    "AWS::Serverless::Api": "",
    "AWS::Serverless::HttpApi": "",
}
_SAM_API_EVENTS = frozenset({"Api", "HttpApi"})
_SAM_SCHEDULE_EVENTS = frozenset({"Schedule", "ScheduleV2"})


@rule(
    code="PERF014",
    name="api-lambda-cold-starts",
    title="API-fronted Lambda without provisioned concurrency or SnapStart",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Configuring provisioned concurrency for a function",
            "https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html",
        ),
        Link(
            "Improving startup performance with Lambda SnapStart",
            "https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html",
        ),
    ),
    well_architected=(PERF02_BP02, PERF02_BP05),
    tags=("lambda", "compute", "api-gateway", "cold-start", "provisioned-concurrency"),
)
def api_lambda_cold_starts(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions that API Gateway invokes and that have neither provisioned
    concurrency nor SnapStart. A function counts as API-fronted when, in the same
    Terraform module or CloudFormation template, an API Gateway integration
    (`aws_api_gateway_integration.uri`, `aws_apigatewayv2_integration.integration_uri`,
    `AWS::ApiGateway::Method` `Integration.Uri`, `AWS::ApiGatewayV2::Integration`
    `IntegrationUri`) or an API definition (`Body`, SAM `DefinitionBody` and authorizers)
    names it, an `aws_lambda_permission` / `AWS::Lambda::Permission` lets
    `apigateway.amazonaws.com` invoke it, or a SAM function has an `Api` or `HttpApi`
    event. Provisioned concurrency counts when an `aws_lambda_provisioned_concurrency_config`,
    an `AWS::Lambda::Version` or `AWS::Lambda::Alias` with `ProvisionedConcurrencyConfig`,
    SAM's `ProvisionedConcurrencyConfig` (also from `Globals.Function`) or an Application
    Auto Scaling target in the `lambda` namespace names the function. Functions that a
    schedule invokes as well (an EventBridge rule or EventBridge Scheduler schedule, SAM
    `Schedule` events) are taken to be kept warm that way, and functions on Lambda
    Managed Instances are not flagged.

    ## Why is this bad?
    API Gateway calls the function synchronously, so every cold start (a new execution
    environment loading the runtime and the code) adds its full latency, often hundreds
    of milliseconds to seconds, to a user's request, typically during traffic spikes.
    Provisioned concurrency keeps environments initialised; SnapStart (Java, Python,
    .NET) restores them from a snapshot.

    ## Fix safety
    Unsafe, and only offered where it can be written down: a SAM function gets
    `AutoPublishAlias: live` (unless it has an alias) and one provisioned execution; a
    Terraform function with an alias in the module, or with `publish = true`, gets an
    `aws_lambda_provisioned_concurrency_config` of one execution on that alias or on the
    latest version. Provisioned concurrency is billed for every hour it is configured,
    whether used or not, and callers must invoke the alias or version. Where SnapStart
    is available for the runtime, enabling it (PERF013) is the cheaper alternative.
    Otherwise the finding is advice.

    ## Known limitations
    APIs, aliases, warm-up schedules and scaling defined in another stack or module
    cannot be seen; low-traffic or internal APIs where cold starts are acceptable should
    suppress the finding with a reason.
    """
    if managed_instances(resource, context) or not _api_fronted(resource, context):
        return
    if snapstart_state(resource, context) is not False or provisioned(resource, context):
        return
    if _scheduled(resource, context):
        return
    found = setting(resource, context, keys(resource, "runtime", "Runtime"))
    runtime = text(found.entry) if found is not None else None
    snapstart = runtime is not None and snapstart_runtime(runtime)
    remedy = "configure provisioned concurrency on an alias"
    if snapstart:
        remedy += f" or enable SnapStart ({runtime} supports it)"
    yield Violation(
        "Lambda function is invoked synchronously by API Gateway and has neither provisioned "
        f"concurrency nor SnapStart, so requests wait for cold starts; {remedy}",
        resource.header_range,
        _fix(resource, context),
    )


def _api_fronted(resource: Resource, context: Context) -> bool:
    if resource.kind == FUNCTION and _sam_events(resource) & _SAM_API_EVENTS:
        return True
    targets = [resource, *_aliases(resource, context)]
    kinds = [k for k in _INTEGRATIONS if _format_of(k) is resource.format]
    for integration in context.module_of_kind(*kinds):
        for match in integration.find(_INTEGRATIONS[integration.kind]):
            if _names_any(match.value, targets):
                return True
    if resource.format is Format.CLOUDFORMATION:
        for api in context.module_of_kind(*_DEFINITIONS):
            where = _DEFINITIONS[api.kind]
            node = api.body if not where else _value(api.get(where))
            if _names_any(node, targets):
                return True
    kind = keys(resource, "aws_lambda_permission", "AWS::Lambda::Permission")
    for permission in context.module_of_kind(kind):
        principal = text(permission.get(keys(permission, "principal", "Principal")))
        function = permission.get(keys(permission, "function_name", "FunctionName"))
        if principal == API_PRINCIPAL and _names_any(_value(function), targets):
            return True
    return False


def _aliases(resource: Resource, context: Context) -> list[Resource]:
    """The function's aliases in the module: an API may invoke one of them."""
    kind = keys(resource, "aws_lambda_alias", "AWS::Lambda::Alias")
    key = keys(resource, "function_name", "FunctionName")
    return [
        alias
        for alias in context.module_of_kind(kind)
        if refers_to(_value(alias.get(key)), resource)
    ]


def _names_any(node: Node | None, targets: list[Resource]) -> bool:
    return any(refers_to(node, target) for target in targets)


def _sam_events(resource: Resource) -> set[str]:
    events = resource.get("Events")
    if events is None or not isinstance(events.value, MappingNode):
        return set()
    found = set()
    for event in events.value.entries:
        if isinstance(event.value, MappingNode):
            kind = text(event.value.get("Type"))
            if kind is not None:
                found.add(kind)
    return found


def _scheduled(resource: Resource, context: Context) -> bool:
    """Invoked by a schedule too: the usual way to keep a function warm."""
    if resource.kind == FUNCTION and _sam_events(resource) & _SAM_SCHEDULE_EVENTS:
        return True
    if resource.format is Format.TERRAFORM:
        rules = {
            r.name
            for r in context.module_of_kind("aws_cloudwatch_event_rule")
            if r.get("schedule_expression") is not None
        }
        for target in context.module_of_kind("aws_cloudwatch_event_target"):
            rule_names = terraform_names(_value(target.get("rule")), "aws_cloudwatch_event_rule")
            if rule_names & rules and refers_to(_value(target.get("arn")), resource):
                return True
        return any(
            refers_to(m.value, resource)
            for schedule in context.module_of_kind("aws_scheduler_schedule")
            for m in schedule.find("target.arn")
        )
    for events_rule in context.module_of_kind("AWS::Events::Rule"):
        if events_rule.get("ScheduleExpression") is None:
            continue
        if any(refers_to(m.value, resource) for m in events_rule.find("Targets[].Arn")):
            return True
    return any(
        refers_to(m.value, resource)
        for schedule in context.module_of_kind("AWS::Scheduler::Schedule")
        for m in schedule.find("Target.Arn")
    )


# ---------------------------------------------------------------------------
# Fix


def _fix(resource: Resource, context: Context) -> Fix:
    title = "Add provisioned concurrency (1 execution)"
    advice = Fix.display_only("Configure provisioned concurrency on an alias, or enable SnapStart")
    if resource.kind == FUNCTION:
        return Fix.unsafe(title, _sam_edit(resource, context))
    if resource.format is Format.CLOUDFORMATION or resource.syntax is Syntax.JSON:
        return advice  # the alias or version to configure is another resource
    if any(resource.get(key) is not None for key in ("count", "for_each")):
        return advice
    qualifier = _qualifier(resource, context)
    if qualifier is None:
        return advice
    taken = {r.name for r in context.module_of_kind("aws_lambda_provisioned_concurrency_config")}
    name = resource.name
    number = 2
    while name in taken:
        name, number = f"{resource.name}_{number}", number + 1
    body = {
        "function_name": Raw(f"aws_lambda_function.{resource.name}.function_name"),
        "provisioned_concurrent_executions": 1,
        "qualifier": Raw(qualifier),
    }
    new = NewResource("aws_lambda_provisioned_concurrency_config", name, body)
    return Fix.unsafe(title, insert_resources_after(resource, new))


def _qualifier(resource: Resource, context: Context) -> str | None:
    """An alias of the function in the module, else its latest published version."""
    for alias in _aliases(resource, context):
        if alias.get("count") is None and alias.get("for_each") is None:
            return f"aws_lambda_alias.{alias.name}.name"
    if boolean(resource.get("publish")) is True:
        return f"aws_lambda_function.{resource.name}.version"
    return None


def _sam_edit(resource: Resource, context: Context) -> Edit:
    entries: list[tuple[str, object]] = []
    if setting(resource, context, "AutoPublishAlias") is None:
        entries.append(("AutoPublishAlias", ALIAS))
    entries.append(("ProvisionedConcurrencyConfig", {"ProvisionedConcurrentExecutions": 1}))
    indent = resource.body.indent
    if indent is None:
        indent = resource.header_range.start.character + 2 * resource.indent_unit
    return insert_entries(resource, resource.body, indent, entries)


def _format_of(kind: str) -> Format:
    return Format.CLOUDFORMATION if "::" in kind else Format.TERRAFORM


def _value(entry: Entry | None) -> Node | None:
    return entry.value if entry is not None else None
