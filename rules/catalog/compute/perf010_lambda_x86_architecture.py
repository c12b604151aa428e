"""PERF010: Lambda function runs on x86_64 where arm64 (Graviton) is available."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.edits import insert_value, replace_value
from iacperf.rules.model import (
    Entry,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resource,
    SequenceNode,
)
from iacperf.rules.references import cloudformation_ids, terraform_names
from iacperf.rules.sam import Setting, function_setting
from iacperf.rules.values import strings, text
from iacperf.rules.wellarchitected import PERF02_BP01

#: Runtimes Lambda offers only on x86_64 (all deprecated): moving them to arm64 needs a
#: runtime upgrade first, which is another finding's business.
X86_ONLY_RUNTIMES = frozenset(
    {
        "go1.x",
        "java8",
        "provided",
        "python2.7",
        "python3.6",
        "python3.7",
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "ruby2.5",
    }
)
_IMAGE_PATHS = ("image_uri", "ImageUri", "Code.ImageUri")
_KEYS = {
    Format.TERRAFORM: ("architectures", "package_type", "runtime"),
    Format.CLOUDFORMATION: ("Architectures", "PackageType", "Runtime"),
}


@rule(
    code="PERF010",
    name="lambda-x86-architecture",
    title="Lambda function runs on x86_64 where arm64 (Graviton) is available",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.ALWAYS,
    terraform=("aws_lambda_function",),
    cloudformation=("AWS::Lambda::Function", "AWS::Serverless::Function"),
    evidence=(
        Link(
            "Selecting and configuring an instruction set architecture for your Lambda function",
            "https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html",
        ),
        Link("AWS Graviton Technical Guide", "https://github.com/aws/aws-graviton-getting-started"),
    ),
    well_architected=(PERF02_BP01,),
    tags=("lambda", "compute", "graviton"),
)
def lambda_x86_architecture(resource: Resource, context: Context) -> Iterator[Violation]:
    """
    ## What it does
    Flags Lambda functions that run on `x86_64`: `architectures` / `Architectures` is
    absent (the default is `x86_64`) or is `["x86_64"]`. SAM functions inherit
    `Globals.Function.Architectures`. Not flagged: container-image functions (package
    type `Image`, or an image URI), runtimes that Lambda offers only on x86_64 (`go1.x`,
    `java8`, `python3.7` ...), and Lambda@Edge functions (associated, directly or through
    a published version, with a CloudFront distribution of the same module or template).

    ## Why is this bad?
    Functions on arm64 (AWS Graviton) cost about 20% less per GB-second and, for most
    interpreted runtimes, run as fast or faster: AWS quotes up to 34% better
    price-performance.

    ## Fix safety
    Unsafe. The architecture changes in place, but code with native dependencies
    (compiled Python wheels, Node.js add-ons, binaries in layers) must be rebuilt for
    arm64 first, and every layer must be published for arm64. The fix sets `arm64` on the
    function, or in `Globals.Function` when the function inherits `x86_64` from there.

    ## Known limitations
    Layers and extensions published only for x86_64, and Regions without arm64, cannot be
    detected from the template. When both `Globals.Function.Architectures` and the
    function set a list, the function's list is read as the one that applies.
    """
    arch_key, package_key, runtime_key = _KEYS[resource.format]
    package = resource.get(package_key)
    if package is not None and text(package) != "Zip":
        return  # a container image is built for one platform (or the type is unknown)
    if any(next(resource.find(path), None) is not None for path in _IMAGE_PATHS):
        return  # an image named without PackageType (SAM infers it from ImageUri)
    if text(_setting_value(resource, context, runtime_key)) in X86_ONLY_RUNTIMES:
        return
    setting = _setting(resource, context, arch_key)
    if setting is None:
        if not _is_lambda_at_edge(resource, context):
            yield _absent(resource, arch_key)
        return
    node = setting.entry.value
    if not isinstance(node, SequenceNode) or strings(node) != ["x86_64"]:
        return  # arm64 already, or not known
    if _is_lambda_at_edge(resource, context):
        return
    edit = replace_value(resource, node.items[0], "arm64")
    if setting.from_globals:
        yield Violation(
            "Lambda function runs on x86_64 (Globals.Function.Architectures); use arm64 (Graviton)",
            resource.header_range,
            Fix.unsafe("Set Globals.Function.Architectures to arm64", edit),
            related=setting.related(resource),
        )
        return
    yield Violation(
        "Lambda function runs on x86_64; use arm64 (Graviton)",
        node.items[0].range,
        Fix.unsafe(f"Set {arch_key} to arm64", edit),
    )


def _setting(resource: Resource, context: Context, key: str) -> Setting | None:
    if resource.format is Format.CLOUDFORMATION:
        return function_setting(resource, context, key)
    entry = resource.get(key)
    return Setting(entry) if entry is not None else None


def _setting_value(resource: Resource, context: Context, key: str) -> Node | None:
    setting = _setting(resource, context, key)
    return setting.entry.value if setting is not None else None


def _absent(resource: Resource, key: str) -> Violation:
    return Violation(
        f"Lambda function has no {key}, so it runs on x86_64; use arm64 (Graviton)",
        resource.header_range,
        Fix.unsafe(f"Set {key} to arm64", insert_value(resource, [key], ["arm64"])),
    )


# ---------------------------------------------------------------------------
# Lambda@Edge: CloudFront runs only x86_64 functions.

_ASSOCIATIONS = ("lambda_function_association", "LambdaFunctionAssociations")


def _is_lambda_at_edge(resource: Resource, context: Context) -> bool:
    """True when a CloudFront distribution of the module associates this function."""
    if resource.format is Format.TERRAFORM:
        for distribution in context.module_of_kind("aws_cloudfront_distribution"):
            for node in _associations(distribution.body):
                if resource.name in _terraform_functions(node):
                    return True
        return False
    names = {resource.name} | {
        version.name
        for version in context.module_of_kind("AWS::Lambda::Version")
        if resource.name in cloudformation_ids(_value(version.get("FunctionName")))
    }
    for distribution in context.module_of_kind("AWS::CloudFront::Distribution"):
        for node in _associations(distribution.body):
            # SAM also writes ``!Ref Function.Version`` for a function's published version.
            if names & {ref.split(".", 1)[0] for ref in cloudformation_ids(node)}:
                return True
    return False


def _associations(node: Node) -> Iterator[Node]:
    """The values of every function-association entry below ``node`` (through intrinsics)."""
    if isinstance(node, MappingNode):
        for entry in node.entries:
            if entry.key in _ASSOCIATIONS:
                yield entry.value
            else:
                yield from _associations(entry.value)
    elif isinstance(node, SequenceNode):
        for item in node.items:
            yield from _associations(item)
    elif isinstance(node, IntrinsicNode):
        yield from _associations(node.argument)


def _terraform_functions(node: Node) -> set[str]:
    if isinstance(node, MappingNode):
        return {name for entry in node.entries for name in _terraform_functions(entry.value)}
    if isinstance(node, SequenceNode):
        return {name for item in node.items for name in _terraform_functions(item)}
    return terraform_names(node, "aws_lambda_function")


def _value(entry: Entry | None) -> Node | None:
    return entry.value if entry is not None else None
