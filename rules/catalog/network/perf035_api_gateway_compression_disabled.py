"""PERF035: REST API without payload compression."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.network._api_gateway import (
    CFN_REST_API,
    SAM_API,
    TF_REST_API,
    fronted_by_cloudfront,
    setting,
)
from iacperf.rules.edits import insert_value, replace_value
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
from iacperf.rules.values import number, strings, text
from iacperf.rules.wellarchitected import PERF04_BP05

#: Compress responses from 1 KiB: smaller ones gain little and cost CPU time.
THRESHOLD = 1024
#: Terraform's way of saying "compression off".
DISABLED = -1
OPENAPI_EXTENSION = "x-amazon-apigateway-minimum-compression-size"
#: Every payload is binary: typically files or media passed through, already compressed.
ALL_BINARY = ("*/*", "*~1*")
# Terraform expressions whose whole text is the OpenAPI document (so it can be searched).
_INLINE_BODY = ("jsonencode({", "yamlencode({", "<<")
# Definitions kept elsewhere: a local file (SAM) or an S3 object.
_LOCATIONS = ("BodyS3Location", "DefinitionUri")
# Intrinsics that insert a whole part of the document (AWS::Include) or choose one.
_DOCUMENT_INTRINSICS = ("Fn::Transform", "Fn::If", "Fn::FindInMap", "Fn::ImportValue")
# format -> (minimum size, OpenAPI bodies that may set the extension, binary media types)
_KEYS = {
    TF_REST_API: ("minimum_compression_size", ("body",), "binary_media_types"),
    CFN_REST_API: ("MinimumCompressionSize", ("Body", "BodyS3Location"), "BinaryMediaTypes"),
    SAM_API: ("MinimumCompressionSize", ("DefinitionBody", "DefinitionUri"), "BinaryMediaTypes"),
}


@rule(
    code="PERF035",
    name="api-gateway-compression-disabled",
    title="REST API without payload compression",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=(TF_REST_API,),
    cloudformation=(CFN_REST_API, SAM_API),
    evidence=(
        Link(
            "Payload compression for REST APIs in API Gateway",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gzip-compression-decompression.html",
        ),
        Link(
            "Enable payload compression for an API",
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-enable-compression.html",
        ),
    ),
    well_architected=(PERF04_BP05,),
    tags=("api-gateway", "compression", "network"),
)
def api_gateway_compression_disabled(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags API Gateway REST APIs that do not compress responses: `minimum_compression_size`
    is absent or `-1` on `aws_api_gateway_rest_api`, `MinimumCompressionSize` is absent on
    `AWS::ApiGateway::RestApi` and on SAM `AWS::Serverless::Api` (and
    `Globals.Api`). Not flagged: APIs whose OpenAPI definition sets
    `x-amazon-apigateway-minimum-compression-size`, or may set it because it comes from a
    file, an S3 object or an expression that cannot be read; APIs that treat every
    payload as binary (`*/*`); APIs that are the origin of a CloudFront distribution of the
    same module or template, which compresses at the edge (PERF037 checks that it does).

    ## Why is this bad?
    Without a minimum compression size API Gateway never compresses a response, even for
    clients that send `Accept-Encoding: gzip`. JSON and other text responses shrink to a
    fraction of their size, so they reach clients on slow or metered networks much
    sooner and transfer less data.

    ## Fix safety
    Safe: the REST API is updated in place. The fix sets the threshold to 1,024 bytes
    (smaller payloads gain little from compression and cost CPU time); API Gateway applies
    it with the next deployment of the API. Clients that do not ask for compression keep
    receiving uncompressed responses.

    ## Known limitations
    Whether responses are already compressed by the integration cannot be seen. A
    Terraform `body` is read only when it is written in place (a heredoc, `jsonencode` or
    `yamlencode` of an object); SAM's implicit API is not checked.
    """
    size_key, body_keys, binary_key = _KEYS[resource.kind]
    size = setting(resource, context, size_key)
    if size is not None:
        value = number(size.entry)
        if value is None or value != DISABLED or resource.format is not Format.TERRAFORM:
            return  # compresses, or not known
    if _body_may_compress(resource, body_keys) or _all_binary(resource, context, binary_key):
        return
    if fronted_by_cloudfront(resource, context):
        return
    if size is None:
        written = str(THRESHOLD) if resource.format is Format.TERRAFORM else THRESHOLD
        yield Violation(
            f"REST API does not compress responses ({size_key} is not set); set it to "
            f"{THRESHOLD} to gzip responses from 1 KiB",
            resource.header_range,
            Fix.safe(
                f"Compress responses from {THRESHOLD} bytes",
                insert_value(resource, [size_key], written),
            ),
        )
        return
    node = size.entry.value
    new = THRESHOLD if isinstance(node, ScalarNode) and not isinstance(node.value, str) else None
    yield Violation(
        f"REST API does not compress responses ({size_key} is {DISABLED}); set it to "
        f"{THRESHOLD} to gzip responses from 1 KiB",
        node.range,
        Fix.safe(
            f"Compress responses from {THRESHOLD} bytes",
            replace_value(resource, node, new if new is not None else str(THRESHOLD)),
        ),
    )


def _body_may_compress(resource: Resource, keys: tuple[str, ...]) -> bool:
    """True when an OpenAPI definition sets the compression extension, or may: it is read
    from a file or S3, or written so that it cannot be read here."""
    for key in keys:
        entry = resource.get(key)
        if entry is None:
            continue
        if key in _LOCATIONS:
            return True  # a file or an S3 object
        node = entry.value
        if isinstance(node, ExpressionNode):
            inline = node.text.lstrip().startswith(_INLINE_BODY)
            if not inline or OPENAPI_EXTENSION in node.text:
                return True
        elif isinstance(node, ScalarNode):
            if OPENAPI_EXTENSION in str(node.value):
                return True
        elif isinstance(node, IntrinsicNode) or _mentions_extension(node):
            return True
    return False


def _mentions_extension(node: Node) -> bool:
    """The extension as a key, or a part of the document that is included or chosen at
    deploy time (``Fn::Transform`` / ``Fn::If``) and may hold it."""
    if isinstance(node, MappingNode):
        return any(
            entry.key == OPENAPI_EXTENSION or _mentions_extension(entry.value)
            for entry in node.entries
        )
    if isinstance(node, SequenceNode):
        return any(_mentions_extension(item) for item in node.items)
    if isinstance(node, IntrinsicNode):
        return node.function in _DOCUMENT_INTRINSICS or _mentions_extension(node.argument)
    return False


def _all_binary(resource: Resource, context: Context, key: str) -> bool:
    found = setting(resource, context, key)
    if found is None:
        return False
    types = strings(found.entry)
    if types is None:
        return text(found.entry) in ALL_BINARY
    return any(item in ALL_BINARY for item in types)
