"""What the Lambda rules of this package share: a function's settings (with SAM Globals),
its SnapStart state, and the other resources of the module that point at it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import Context
from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    ScalarNode,
    SequenceNode,
)
from iacperf.rules.references import cloudformation_ids, refers_to, terraform_names
from iacperf.rules.sam import FUNCTION, Setting, function_setting
from iacperf.rules.values import text

PUBLISHED_VERSIONS = "PublishedVersions"
TF_FUNCTION = "aws_lambda_function"

#: Managed runtimes SnapStart supports, with the first supported version of each family:
#: Java 11+, Python 3.12+, .NET 8+ (Lambda SnapStart docs; cfn-lint E2530).
_SNAPSTART_RUNTIMES = (
    (re.compile(r"java(\d+)$"), 11),
    (re.compile(r"python3\.(\d+)$"), 12),
    (re.compile(r"dotnet(\d+)$"), 8),
)


def setting(resource: Resource, context: Context, key: str) -> Setting | None:
    """The function's ``key``; a SAM function also inherits ``Globals.Function``."""
    if resource.kind == FUNCTION:
        return function_setting(resource, context, key)
    entry = resource.get(key)
    return Setting(entry) if entry is not None else None


def keys(resource: Resource, terraform: str, cloudformation: str) -> str:
    return terraform if resource.format is Format.TERRAFORM else cloudformation


def snapstart_runtime(runtime: str) -> bool:
    """True for a managed runtime that supports SnapStart (``java21``, ``python3.12``)."""
    for pattern, first in _SNAPSTART_RUNTIMES:
        match = pattern.match(runtime)
        if match is not None:
            return int(match.group(1)) >= first
    return False


def paid_snapstart(runtime: str) -> bool:
    """SnapStart is free for Java; Python and .NET pay for the cache and each restore."""
    return not runtime.startswith("java")


def snapstart_state(resource: Resource, context: Context) -> bool | None:
    """True when SnapStart applies to published versions, False when it is absent or
    ``None``, None when it cannot be told (an intrinsic, an expression)."""
    if resource.format is Format.TERRAFORM:
        blocks = [match.value for match in resource.find("snap_start")]  # also dynamic
    else:
        found = setting(resource, context, "SnapStart")
        blocks = [found.entry.value] if found is not None else []
    if not blocks:
        return False
    values: set[str | None] = set()
    for block in blocks:
        if not isinstance(block, MappingNode):
            return None
        apply_on = block.get(keys(resource, "apply_on", "ApplyOn"))
        values.add(text(apply_on) if apply_on is not None else None)
    if None in values:
        return None
    return PUBLISHED_VERSIONS in values


def names_other(node: Node | None, resource: Resource, context: Context) -> bool:
    """True when ``node`` refers to another function of the module, and not ``resource``."""
    if resource.format is Format.TERRAFORM:
        named = terraform_names(node, TF_FUNCTION)
        return bool(named) and resource.name not in named
    functions = {
        r.name for r in context.module_of_kind("AWS::Lambda::Function", "AWS::Serverless::Function")
    }
    named = cloudformation_ids(node) & functions
    return bool(named) and resource.name not in named


# ---------------------------------------------------------------------------
# Lambda@Edge: functions that CloudFront runs.

_ASSOCIATIONS = ("lambda_function_association", "LambdaFunctionAssociations")
_ARN_KEYS = ("lambda_arn", "LambdaFunctionARN")
_EVENT_KEYS = ("event_type", "EventType")


def edge_event_types(resource: Resource, context: Context) -> list[str | None]:
    """The CloudFront event types (``viewer-request`` ...) this function is associated
    with in the module; None for an event type that cannot be read."""
    names = {resource.name}
    if resource.format is Format.TERRAFORM:
        kinds: tuple[str, ...] = ("aws_cloudfront_distribution",)
    else:
        kinds = ("AWS::CloudFront::Distribution",)
        names |= {
            version.name
            for version in context.module_of_kind("AWS::Lambda::Version")
            if refers_to(_value(version.get("FunctionName")), resource)
        }
    found: list[str | None] = []
    for distribution in context.module_of_kind(*kinds):
        for association in _associations(distribution.body):
            if _names(association, resource, names):
                event = next((association.get(k) for k in _EVENT_KEYS if association.get(k)), None)
                found.append(text(event))
    return found


def _names(association: MappingNode, resource: Resource, names: set[str]) -> bool:
    arn = next((entry for key in _ARN_KEYS if (entry := association.get(key)) is not None), None)
    if arn is None:
        return False
    if resource.format is Format.TERRAFORM:
        return resource.name in terraform_names(arn.value, TF_FUNCTION)
    # SAM also writes ``!Ref Function.Version`` for a function's published version.
    return bool(names & {ref.split(".", 1)[0] for ref in cloudformation_ids(arn.value)})


def _associations(node: Node) -> Iterator[MappingNode]:
    """Every function-association mapping below ``node`` (through lists and intrinsics)."""
    if isinstance(node, MappingNode):
        for entry in node.entries:
            if entry.key in _ASSOCIATIONS:
                yield from _mappings(entry.value)
            elif _dynamic_association(entry):
                assert isinstance(entry.value, MappingNode)
                content = entry.value.get("content")
                if content is not None:
                    yield from _mappings(content.value)
            else:
                yield from _associations(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _associations(item)
    elif isinstance(node, IntrinsicNode):
        yield from _associations(node.argument)


def _dynamic_association(entry: Entry) -> bool:
    """``dynamic "lambda_function_association" { content { ... } }``."""
    return (
        entry.key == "dynamic"
        and isinstance(entry.value, MappingNode)
        and bool(entry.labels)
        and entry.labels[0] in _ASSOCIATIONS
    )


def _mappings(node: Node) -> Iterator[MappingNode]:
    if isinstance(node, MappingNode):
        yield node
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _mappings(item)
    elif isinstance(node, IntrinsicNode):
        yield from _mappings(node.argument)


def _value(entry: Entry | None) -> Node | None:
    return entry.value if entry is not None else None


EDGE_PRINCIPAL = "edgelambda.amazonaws.com"
_ROLE_KINDS = ("aws_iam_role", "AWS::IAM::Role")


def edge_role(resource: Resource, context: Context) -> bool:
    """True when the function's execution role (or SAM's own trust policy) lets
    ``edgelambda.amazonaws.com`` assume it: the function is built for Lambda@Edge."""
    if resource.kind == FUNCTION:
        trust = resource.get("AssumeRolePolicyDocument")
        if trust is not None and EDGE_PRINCIPAL in _texts(trust.value):
            return True
    role = resource.get(keys(resource, "role", "Role"))
    if role is None:
        return False
    for candidate in context.module_of_kind(*_ROLE_KINDS):
        if not refers_to(role.value, candidate):
            continue
        trust = candidate.get(keys(candidate, "assume_role_policy", "AssumeRolePolicyDocument"))
        if trust is None:
            continue
        if EDGE_PRINCIPAL in _texts(trust.value):
            return True
        if candidate.format is Format.TERRAFORM:
            return _edge_policy_document(trust.value, context)
    return False


def _edge_policy_document(node: Node, context: Context) -> bool:
    """``assume_role_policy = data.aws_iam_policy_document.x.json`` naming the edge service."""
    named = terraform_names(node, "data.aws_iam_policy_document")
    if not named:
        return False
    for labels, body in context.blocks_of("data"):
        named_here = len(labels) == 2 and labels[1] in named
        if labels[0] == "aws_iam_policy_document" and named_here and EDGE_PRINCIPAL in _texts(body):
            return True
    return False


def _texts(node: Node) -> str:
    """Every string written in ``node`` (literals and expression text), joined."""
    parts: list[str] = []
    _collect(node, parts)
    return "\n".join(parts)


def _collect(node: Node, parts: list[str]) -> None:
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        parts.append(node.value)
    elif isinstance(node, ExpressionNode):
        parts.append(node.text)
    elif isinstance(node, IntrinsicNode):
        _collect(node.argument, parts)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            _collect(item, parts)
    elif isinstance(node, MappingNode):
        for entry in node.entries:
            _collect(entry.value, parts)


# ---------------------------------------------------------------------------
# Provisioned concurrency configured for the function elsewhere in the module.

_TF_CONFIG = "aws_lambda_provisioned_concurrency_config"
_TF_ALIAS = "aws_lambda_alias"
_CFN_PUBLISHED = ("AWS::Lambda::Version", "AWS::Lambda::Alias")
_SCALING_TARGETS = ("aws_appautoscaling_target", "AWS::ApplicationAutoScaling::ScalableTarget")


def provisioned(resource: Resource, context: Context) -> bool:
    """True when provisioned concurrency may be configured for the function: a config,
    version or alias with provisioned concurrency, or a ``lambda`` scaling target, that
    names it (or names something that cannot be told apart from it)."""
    if resource.kind == FUNCTION and setting(resource, context, "ProvisionedConcurrencyConfig"):
        return True
    if resource.format is Format.TERRAFORM:
        holders = [
            (config.get("function_name"), config) for config in context.module_of_kind(_TF_CONFIG)
        ]
    else:
        holders = [
            (published.get("FunctionName"), published)
            for published in context.module_of_kind(*_CFN_PUBLISHED)
            if published.get("ProvisionedConcurrencyConfig") is not None
        ]
    if any(_may_name(entry, resource, context) for entry, _ in holders):
        return True
    return any(_scales_concurrency(target, resource, context) for target in _targets(context))


def _targets(context: Context) -> Iterator[Resource]:
    return context.module_of_kind(*_SCALING_TARGETS)


def _scales_concurrency(target: Resource, resource: Resource, context: Context) -> bool:
    namespace = target.get(keys(target, "service_namespace", "ServiceNamespace"))
    if namespace is None or text(namespace) not in (None, "lambda"):
        return False
    return _may_name(target.get(keys(target, "resource_id", "ResourceId")), resource, context)


def _may_name(entry: Entry | None, resource: Resource, context: Context) -> bool:
    """Whether a function name (or ARN, or resource id) may be ``resource``'s."""
    if entry is None:
        return False
    node = entry.value
    if refers_to(node, resource) or _through_alias(node, resource, context):
        return True
    literal = text(node)
    if literal is not None:
        own = text(resource.get(keys(resource, "function_name", "FunctionName")))
        return own is not None and own in literal.split(":")[-2:] + literal.split("/")
    # An expression that names other functions of the module is not this one.
    return not names_other(node, resource, context) and not _names_alias(node, resource)


def _through_alias(node: Node, resource: Resource, context: Context) -> bool:
    if resource.format is not Format.TERRAFORM:
        return False
    aliases = terraform_names(node, _TF_ALIAS)
    return any(
        alias.name in aliases and refers_to(_value(alias.get("function_name")), resource)
        for alias in context.module_of_kind(_TF_ALIAS)
    )


def _names_alias(node: Node, resource: Resource) -> bool:
    """A Terraform expression naming an alias (of another function, or it would have
    matched already)."""
    return resource.format is Format.TERRAFORM and bool(terraform_names(node, _TF_ALIAS))


def managed_instances(resource: Resource, context: Context) -> bool:
    """A function on Lambda Managed Instances (a capacity provider): its execution
    environments are long-lived containers on EC2, not Firecracker microVMs started on
    demand, so cold-start settings (SnapStart, memory-bound CPU) work differently."""
    key = keys(resource, "capacity_provider_config", "CapacityProviderConfig")
    return setting(resource, context, key) is not None
