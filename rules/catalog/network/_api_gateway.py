"""API Gateway REST APIs and stages, read per format for PERF034, PERF035, PERF047, PERF048.

A REST API stage is a Terraform ``aws_api_gateway_stage``, a CloudFormation
``AWS::ApiGateway::Stage`` or a SAM ``AWS::Serverless::Api`` (an API with its stage, whose
settings may come from ``Globals.Api``). Every answer may be "unknown" (None): a
reference to a variable, a parameter or another module's output.
"""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context
from iacperf.rules.model import Format, MappingNode, Node, Resource, SequenceNode
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.sam import API, Setting, api_setting
from iacperf.rules.values import text

TF_STAGE = "aws_api_gateway_stage"
TF_REST_API = "aws_api_gateway_rest_api"
TF_METHOD_SETTINGS = "aws_api_gateway_method_settings"
TF_DEPLOYMENT = "aws_api_gateway_deployment"
CFN_STAGE = "AWS::ApiGateway::Stage"
CFN_REST_API = "AWS::ApiGateway::RestApi"
SAM_API = API
_DISTRIBUTION = {
    Format.TERRAFORM: "aws_cloudfront_distribution",
    Format.CLOUDFORMATION: "AWS::CloudFront::Distribution",
}
_ORIGINS = {
    Format.TERRAFORM: ("origin",),
    Format.CLOUDFORMATION: (
        "DistributionConfig.Origins",
        "DistributionConfig.CustomOrigin",
    ),
}


def setting(resource: Resource, context: Context, key: str) -> Setting | None:
    """A stage or API property; SAM APIs also inherit it from ``Globals.Api``."""
    if resource.kind == SAM_API:
        return api_setting(resource, context, key)
    entry = resource.get(key)
    return Setting(entry) if entry is not None else None


def rest_api_names(resource: Resource) -> set[str]:
    """The REST APIs (Terraform names, CloudFormation logical ids) a stage belongs to; a
    REST API or SAM API names itself. Empty when that is not known."""
    if resource.kind in (TF_REST_API, CFN_REST_API, SAM_API):
        return {resource.name}
    entry = resource.get("rest_api_id" if resource.format is Format.TERRAFORM else "RestApiId")
    if entry is None:
        return set()
    if resource.format is Format.TERRAFORM:
        return terraform_names(entry.value, TF_REST_API)
    return cloudformation_ids(entry.value)


def fronted_by_cloudfront(resource: Resource, context: Context) -> bool:
    """True when a CloudFront distribution of the module has an origin that names the REST
    API of ``resource`` (a stage, a REST API or a SAM API), one of its stages or
    deployments: CloudFront can then cache and compress in front of the API."""
    apis = rest_api_names(resource)
    if not apis:
        return False
    if resource.format is Format.TERRAFORM:
        named = {
            TF_REST_API: apis,
            TF_STAGE: {
                s.name for s in context.module_of_kind(TF_STAGE) if rest_api_names(s) & apis
            },
            TF_DEPLOYMENT: _tf_deployments(apis, context),
        }
        return any(
            terraform_names(origin, kind) & names
            for origin in _origins(resource, context)
            for kind, names in named.items()
        )
    ids = apis | {s.name for s in context.module_of_kind(CFN_STAGE) if rest_api_names(s) & apis}
    return any(cloudformation_ids(origin) & ids for origin in _origins(resource, context))


def _tf_deployments(apis: set[str], context: Context) -> set[str]:
    found = set()
    for deployment in context.module_of_kind(TF_DEPLOYMENT):
        entry = deployment.get("rest_api_id")
        if entry is not None and terraform_names(entry.value, TF_REST_API) & apis:
            found.add(deployment.name)
    return found


def _origins(resource: Resource, context: Context) -> Iterator[Node]:
    """The origins of every CloudFront distribution of the module."""
    for distribution in context.module_of_kind(_DISTRIBUTION[resource.format]):
        for path in _ORIGINS[resource.format]:
            for match in distribution.find(path):
                yield match.value


def method_settings_for(stage: Resource, context: Context) -> Iterator[Resource]:
    """Terraform method settings that may apply to ``stage``: every one that does not
    provably name another stage or another REST API."""
    for settings in context.module_of_kind(TF_METHOD_SETTINGS):
        if applies_to(settings, stage) is not False:
            yield settings


def applies_to(settings: Resource, stage: Resource) -> bool | None:
    """Whether Terraform method settings configure ``stage``; None when not known."""
    stage_name = settings.get("stage_name")
    if stage_name is None:
        return False
    if refers_to(stage_name.value, stage):
        return True
    if terraform_names(stage_name.value, TF_STAGE):
        return False  # names another stage
    apis = rest_api_names(stage)
    rest_api = settings.get("rest_api_id")
    named = terraform_names(rest_api.value, TF_REST_API) if rest_api is not None else set()
    if named and apis and not named & apis:
        return False
    literal, own = text(stage_name), text(stage.get("stage_name"))
    if literal is None or own is None:
        return None
    if literal != own:
        return False
    return True if named and named & apis else None


def mapping_items(node: Node) -> Iterator[MappingNode]:
    """The mappings of a list (``MethodSettings``), or a Terraform block given once."""
    if isinstance(node, SequenceNode):
        for item in node.items:
            if isinstance(item, MappingNode):
                yield item
    elif isinstance(node, MappingNode):
        yield node


# ---------------------------------------------------------------------------
# The HTTP methods a REST API has, as far as the module or template defines them.

_TF_METHOD = "aws_api_gateway_method"
_CFN_METHOD = "AWS::ApiGateway::Method"
_SAM_FUNCTION = "AWS::Serverless::Function"
_OPENAPI_ANY = "x-amazon-apigateway-any-method"
_OPENAPI_VERBS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def api_methods(resource: Resource, context: Context) -> list[str] | None:
    """HTTP methods (``GET``, ``ANY`` ...) of the REST API of ``resource`` defined in the
    module: method resources, an OpenAPI definition written in place, SAM function events.
    None when some cannot be read (a definition in a file, a method from a variable)."""
    apis = rest_api_names(resource)
    if not apis:
        return None
    if resource.format is Format.TERRAFORM:
        return _terraform_methods(apis, context)
    verbs: list[str] = []
    sources: list[list[str] | None] = []
    if resource.kind == SAM_API:
        sources.append(_definition_methods(resource, "DefinitionBody", "DefinitionUri"))
        sources.append(_sam_event_methods(resource.name, context))
    for api in context.module_of_kind(CFN_REST_API):
        if api.name in apis:
            sources.append(_definition_methods(api, "Body", "BodyS3Location"))
    for found in sources:
        if found is None:
            return None
        verbs.extend(found)
    for method in context.module_of_kind(_CFN_METHOD):
        entry = method.get("RestApiId")
        if entry is not None and cloudformation_ids(entry.value) & apis:
            verb = text(method.get("HttpMethod"))
            if verb is None:
                return None
            verbs.append(verb.upper())
    return verbs


def _terraform_methods(apis: set[str], context: Context) -> list[str] | None:
    for api in context.module_of_kind(TF_REST_API):
        if api.name in apis and api.get("body") is not None:
            return None  # an OpenAPI body: not read
    verbs = []
    for method in context.module_of_kind(_TF_METHOD):
        entry = method.get("rest_api_id")
        if entry is not None and terraform_names(entry.value, TF_REST_API) & apis:
            verb = text(method.get("http_method"))
            if verb is None:
                return None
            verbs.append(verb.upper())
    return verbs


def _definition_methods(api: Resource, inline: str, location: str) -> list[str] | None:
    """Methods of the API's OpenAPI definition: none without one, None when it is kept in
    a file or S3, or built by an intrinsic."""
    if api.get(location) is not None:
        return None
    entry = api.get(inline)
    return _openapi_methods(entry.value) if entry is not None else []


def _openapi_methods(definition: Node) -> list[str] | None:
    if not isinstance(definition, MappingNode):
        return None  # a string, an include, an S3 location
    paths = definition.get("paths")
    if paths is None:
        return []
    if not isinstance(paths.value, MappingNode):
        return None
    verbs = []
    for path in paths.value.entries:
        if not isinstance(path.value, MappingNode):
            return None
        for operation in path.value.entries:
            key = operation.key.lower()
            if key == _OPENAPI_ANY:
                verbs.append("ANY")
            elif key in _OPENAPI_VERBS:
                verbs.append(key.upper())
    return verbs


def _sam_event_methods(api: str, context: Context) -> list[str] | None:
    """Methods of SAM function events of type ``Api`` that name this API."""
    verbs = []
    for function in context.module_of_kind(_SAM_FUNCTION):
        events = function.get("Events")
        if events is None or not isinstance(events.value, MappingNode):
            continue
        for event in events.value.entries:
            if not isinstance(event.value, MappingNode) or text(event.value.get("Type")) != "Api":
                continue
            properties = event.value.get("Properties")
            if properties is None or not isinstance(properties.value, MappingNode):
                continue
            target = properties.value.get("RestApiId")
            if target is None or api not in cloudformation_ids(target.value):
                continue
            verb = text(properties.value.get("Method"))
            if verb is None:
                return None
            verbs.append(verb.upper())
    return verbs
