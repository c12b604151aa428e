"""PERF046: NAT gateway without S3/DynamoDB gateway VPC endpoints."""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, Fix, FixAvailability, Link, Scope, Severity, Violation, rule
from iacperf.rules.catalog.network._vpc_topology import (
    ANY,
    DYNAMODB,
    S3,
    Module,
    VpcRef,
    distinct,
)
from iacperf.rules.edits import NewResource, Raw, Value, insert_resources_after, render_inline
from iacperf.rules.model import Node, Resource, Syntax
from iacperf.rules.wellarchitected import PERF04_BP01, PERF04_BP02

_DISPLAY = {S3: "S3", DYNAMODB: "DynamoDB"}
_CFN_IDS = {S3: "S3GatewayEndpoint", DYNAMODB: "DynamoDBGatewayEndpoint"}


@rule(
    code="PERF046",
    name="nat-gateway-without-gateway-endpoints",
    title="NAT gateway without S3/DynamoDB gateway VPC endpoints",
    severity=Severity.WARNING,
    scope=Scope.MODULE,
    fix=FixAvailability.SOMETIMES,
    terraform=("aws_nat_gateway",),
    cloudformation=("AWS::EC2::NatGateway",),
    evidence=(
        Link(
            "Gateway endpoints",
            "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html",
        ),
        Link(
            "Gateway endpoints for Amazon S3",
            "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html",
        ),
        Link(
            "Gateway endpoints for Amazon DynamoDB",
            "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-ddb.html",
        ),
    ),
    well_architected=(PERF04_BP02, PERF04_BP01),
    tags=("vpc", "nat-gateway", "vpc-endpoint", "s3", "dynamodb", "network"),
)
def nat_gateway_without_gateway_endpoints(
    resource: Resource, context: Context
) -> Iterator[Violation]:
    """
    ## What it does
    Flags a public NAT gateway (`connectivity_type` / `ConnectivityType` absent or
    `public`) when the same Terraform directory or CloudFormation template has no gateway
    VPC endpoint for S3 (`aws_vpc_endpoint` / `AWS::EC2::VPCEndpoint` with a service name
    ending in `.s3` and endpoint type `Gateway`, the default) in the NAT gateway's VPC.
    When the module also uses DynamoDB (a table, or a policy that grants `dynamodb:`
    actions), a DynamoDB gateway endpoint is expected as well. Only NAT gateways whose
    network the module manages are checked: their VPC, or a route table that sends
    traffic to them, is defined there.

    ## Why is this bad?
    Without gateway endpoints, S3 and DynamoDB traffic from private subnets takes an
    extra hop through the NAT gateway: it shares the NAT gateway's bandwidth, adds
    latency and is charged per GB processed. Gateway endpoints route that traffic
    straight to the service from the route tables, at no additional charge.

    ## Fix safety
    Unsafe. When the NAT gateway's VPC and the route tables that send traffic to it
    can be written down, the fix adds the missing endpoints (and, in Terraform, a
    `data "aws_region"` for the service name) after the first NAT gateway of the VPC.
    Adding them changes routing: S3 traffic stops coming from the NAT gateway's public
    IP, which breaks bucket policies that allow only that IP (`aws:SourceIp`), and
    endpoint policies may need review. Otherwise the fix is advice only.

    ## Known limitations
    Endpoints made by another stack, Terraform directory or child module cannot be
    seen. So a NAT gateway in an imported network (a subnet from a variable, parameter
    or `Fn::ImportValue`, routed by imported route tables) is not checked, and a module
    call or nested stack whose name or source mentions endpoints, an endpoint whose
    service name or type is computed, or a `data "aws_vpc_endpoint"` look-up counts as
    present. S3 interface endpoints do not count: the gateway endpoint is the one
    without charge for traffic from inside the VPC.
    """
    module = Module(resource, context)
    if module.nat_is_public(resource) is not True or not module.owns_network(resource):
        return
    vpc, vpc_node = module.nat_vpc(resource)
    missing = _missing(module, vpc)
    if not missing:
        return
    where = "module" if module.terraform else "template"
    names = " or ".join(_DISPLAY[s] for s in missing)
    remedy = (
        f"add a gateway endpoint for {names}"
        if len(missing) == 1
        else f"add gateway endpoints for {' and '.join(_DISPLAY[s] for s in missing)}"
    )
    traffic = f"{names} traffic" if len(missing) == 1 else "their traffic"
    yield Violation(
        f"No {names} gateway VPC endpoint for the NAT gateway's VPC in this {where}, "
        f"so {traffic} from private subnets goes through the NAT gateway; {remedy}",
        resource.header_range,
        _fix(module, resource, vpc, vpc_node, missing),
    )


def _missing(module: Module, vpc: VpcRef | None) -> list[str]:
    """Services without a gateway endpoint that may serve ``vpc``."""
    covered = module.endpoints_elsewhere()
    for endpoint in module.endpoints():
        if endpoint.gateway is False or distinct(endpoint.vpc, vpc):
            continue
        covered.add(endpoint.service if endpoint.service is not None else ANY)
    if ANY in covered:
        return []
    wanted = [S3, DYNAMODB] if module.uses_dynamodb() else [S3]
    return [service for service in wanted if service not in covered]


def _fix(
    module: Module, nat: Resource, vpc: VpcRef | None, vpc_node: Node | None, missing: list[str]
) -> Fix:
    names = " and ".join(_DISPLAY[s] for s in missing)
    plural = "s" if len(missing) > 1 else ""
    title = f"Add {names} gateway VPC endpoint{plural}"
    advice = Fix.display_only(f"{title} to the route tables of the private subnets")
    if vpc is None or vpc_node is None:
        return advice
    if module.terraform and (nat.syntax is Syntax.JSON or _repeated_or_placed(nat)):
        return advice
    if not module.terraform and nat.node.get("Condition") is not None:
        return advice
    groups = _vpc_groups(module)
    group = groups.get(vpc, [])
    if not group or group[0] is not nat:
        return advice  # the first NAT gateway of the VPC carries the fix
    vpc_value = module.tf_value(vpc_node) if module.terraform else module.cfn_value(vpc_node)
    tables = module.route_tables(group)
    if vpc_value is None or not tables:
        return advice
    # Endpoints for several VPCs are told apart by their first NAT gateway's name.
    prefix = (nat.name + ("_" if module.terraform else "")) if len(groups) > 1 else ""
    if module.terraform:
        new = _terraform(module, nat, groups, prefix, vpc_value, tables, missing)
        if new is None:
            return advice
    else:
        new = _cloudformation(module, prefix, vpc_value, tables, missing)
    return Fix.unsafe(title, insert_resources_after(nat, *new))


def _repeated_or_placed(nat: Resource) -> bool:
    """A NAT gateway made conditionally, per instance, or in a region of its own: the
    endpoints would need the same ``count``/``for_each``/``region``, a judgement call."""
    return any(nat.get(key) is not None for key in ("count", "for_each", "region", "provider"))


def _vpc_groups(module: Module) -> dict[VpcRef, list[Resource]]:
    """The flagged NAT gateways by VPC, each list in file order."""
    groups: dict[VpcRef, list[Resource]] = {}
    for nat in sorted(module.of_kind("aws_nat_gateway", "AWS::EC2::NatGateway"), key=_position):
        vpc = module.nat_vpc(nat)[0]
        if vpc is None or module.nat_is_public(nat) is not True or not module.owns_network(nat):
            continue
        if vpc in groups or _missing(module, vpc):
            groups.setdefault(vpc, []).append(nat)
    return groups


def _position(resource: Resource) -> tuple[str, int, int]:
    start = resource.absolute(resource.range).start
    return (resource.path, start.line, start.character)


def _terraform(
    module: Module,
    nat: Resource,
    groups: dict[VpcRef, list[Resource]],
    prefix: str,
    vpc: Value,
    tables: list[Value],
    missing: list[str],
) -> list[NewResource] | None:
    new: list[NewResource] = []
    region = _region_data_source(module)
    if region is None:
        first_overall = min((g[0] for g in groups.values()), key=_position)
        if first_overall is not nat:
            return None  # the data source comes with the first VPC's fix
        taken = {
            labels[1]
            for labels, _ in module.context.blocks_of("data")
            if labels[:1] == ("aws_region",) and len(labels) == 2
        }
        region = _unused("current", taken, "_")
        new.append(NewResource("aws_region", region, {}, block="data"))
    taken = {r.name for r in module.of_kind("aws_vpc_endpoint")}
    for service in missing:
        name = _unused(prefix + service, taken, "_")
        body: dict[str, Value] = {
            "vpc_id": vpc,
            "service_name": Raw(f'"com.amazonaws.${{data.aws_region.{region}.name}}.{service}"'),
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": _terraform_list(tables),
        }
        new.append(NewResource("aws_vpc_endpoint", name, body))
    return new


def _region_data_source(module: Module) -> str | None:
    """The label of a ``data "aws_region"`` that reads the provider's own region."""
    for labels, body in module.context.blocks_of("data"):
        reads_own = all(body.get(key) is None for key in ("name", "region", "count", "for_each"))
        if labels[:1] == ("aws_region",) and len(labels) == 2 and reads_own:
            return labels[1]
    return None


def _terraform_list(tables: list[Value]) -> Value:
    """One list of route table IDs from single IDs and splats (``x[*].id``)."""
    splats = [t for t in tables if isinstance(t, Raw) and t.endswith("[*].id")]
    if not splats:
        return tables
    if len(tables) == 1:
        return tables[0]
    parts = [render_inline(Syntax.HCL, t if t in splats else [t]) for t in tables]
    return Raw(f"concat({', '.join(parts)})")


def _cloudformation(
    module: Module, prefix: str, vpc: Value, tables: list[Value], missing: list[str]
) -> list[NewResource]:
    taken = {r.name for r in module.resources()}  # logical IDs of every kind
    new = []
    for service in missing:
        template = f"com.amazonaws.${{AWS::Region}}.{service}"
        if module.syntax is Syntax.JSON:
            service_name: Value = {"Fn::Sub": template}
        else:
            service_name = Raw(f"!Sub '{template}'")
        body: dict[str, Value] = {
            "VpcId": vpc,
            "ServiceName": service_name,
            "VpcEndpointType": "Gateway",
            "RouteTableIds": tables,
        }
        new.append(
            NewResource("AWS::EC2::VPCEndpoint", _unused(prefix + _CFN_IDS[service], taken), body)
        )
    return new


def _unused(name: str, taken: set[str], separator: str = "") -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}{separator}{number}"
        number += 1
    taken.add(candidate)
    return candidate
