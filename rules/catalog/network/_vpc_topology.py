"""What one Terraform directory or CloudFormation template says about its VPCs.

NAT gateways, the VPC each one is in, the VPC endpoints beside them and the route tables
that send traffic to them, read per format for PERF046. Every answer may be "unknown"
(None): a reference to a variable, a parameter or another module's output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacperf.rules.api import Context
from iacperf.rules.edits import Raw, Value
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
    Syntax,
)
from iacperf.rules.records import record
from iacperf.rules.references import terraform_names
from iacperf.rules.values import boolean, text

S3 = "s3"
DYNAMODB = "dynamodb"
#: A service set that stands for "could be any": an endpoint we cannot read.
ANY = "*"

_DYNAMODB_TF_KINDS = ("aws_dynamodb_table",)
_DYNAMODB_CFN_KINDS = (
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::Serverless::SimpleTable",
)
# Resources whose policies may grant DynamoDB access (SAM functions name policy templates).
_POLICY_TF_KINDS = (
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_role",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy_attachment",
)
_POLICY_CFN_KINDS = (
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::Serverless::Function",
)
_DYNAMODB_POLICY = re.compile(r"dynamodb:|AmazonDynamoDB|DynamoDB\w*Policy\b", re.IGNORECASE)
_LITERAL = "literal:"
_TF_TABLES = ("aws_route_table", "aws_default_route_table")
_CFN_TABLE = "AWS::EC2::RouteTable"
# Module inputs that create VPC endpoints (not EKS's ``cluster_endpoint_*`` settings).
_ENDPOINT_INPUT = re.compile(r"(?:s3|dynamodb|vpc|gateway)_endpoint|^endpoints$")
_NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")


@record
class VpcRef:
    """How a resource names its VPC. ``definite`` keys name one VPC for sure (a VPC
    resource of the module, a literal ID): two different definite keys are two VPCs."""

    key: str
    definite: bool


def distinct(a: VpcRef | None, b: VpcRef | None) -> bool:
    """True only when ``a`` and ``b`` are certainly different VPCs."""
    return a is not None and b is not None and a.definite and b.definite and a.key != b.key


@record
class Endpoint:
    service: str | None  # last label of the service name ("s3"); None when unknown
    gateway: bool | None  # VPC endpoint type is Gateway; None when unknown
    vpc: VpcRef | None


class Module:
    """The resources of one Terraform directory / CloudFormation template, indexed."""

    def __init__(self, resource: Resource, context: Context) -> None:
        self.format = resource.format
        self.syntax = resource.syntax
        self.context = context
        # Resources are read kind by kind (never ``context.module`` as a whole), so the
        # language server's rule memo re-runs the rule only when one of those kinds changes.
        self._by_kind: dict[str, dict[str, Resource]] = {}

    @property
    def terraform(self) -> bool:
        return self.format is Format.TERRAFORM

    def resources(self) -> list[Resource]:
        """Every resource of the module: reading it makes the rule depend on all of them."""
        return [r for r in self.context.module if r.format is self.format]

    def of_kind(self, *kinds: str) -> Iterator[Resource]:
        return (r for r in self.context.module_of_kind(*kinds) if r.format is self.format)

    def lookup(self, kind: str, name: str) -> Resource | None:
        by_name = self._by_kind.get(kind)
        if by_name is None:
            by_name = self._by_kind[kind] = {r.name: r for r in self.of_kind(kind)}
        return by_name.get(name)

    # -- NAT gateways -----------------------------------------------------------

    def nat_is_public(self, nat: Resource) -> bool | None:
        """Public unless ``connectivity_type``/``ConnectivityType`` says otherwise."""
        entry = nat.get("connectivity_type" if self.terraform else "ConnectivityType")
        if entry is None:
            return True
        value = text(entry)
        return None if value is None else value.lower() == "public"

    def nat_vpc(self, nat: Resource) -> tuple[VpcRef | None, Node | None]:
        """The NAT gateway's VPC and the node that names it (a subnet's VPC ID)."""
        if not self.terraform:
            direct = nat.get("VpcId")  # regional NAT gateways name their VPC directly
            if direct is not None:
                return self.vpc_ref(direct.value), direct.value
        subnet_entry = nat.get("subnet_id" if self.terraform else "SubnetId")
        if subnet_entry is None:
            return None, None
        kind = "aws_subnet" if self.terraform else "AWS::EC2::Subnet"
        subnets = self.referenced(subnet_entry.value, kind)
        if len(subnets) != 1:
            return None, None
        vpc_entry = subnets[0].get("vpc_id" if self.terraform else "VpcId")
        if vpc_entry is None:
            return None, None
        return self.vpc_ref(vpc_entry.value), vpc_entry.value

    def vpc_ref(self, node: Node) -> VpcRef | None:
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            if self.terraform and "${" in node.value:
                return VpcRef(node.value, False)  # Terraform JSON interpolation
            return VpcRef(_LITERAL + node.value, True)
        if self.terraform:
            if not isinstance(node, ExpressionNode):
                return None
            vpcs = _tf_names(node, "aws_vpc")
            if len(vpcs) == 1 and self.lookup("aws_vpc", vpcs[0]) is not None:
                return VpcRef("aws_vpc." + vpcs[0], True)
            return VpcRef(node.text, False)
        target = _ref_target(node)
        if target is not None:
            return VpcRef(target, self.lookup("AWS::EC2::VPC", target) is not None)
        if isinstance(node, IntrinsicNode):
            return VpcRef(repr(node.argument), False)
        return None

    def referenced(self, node: Node, kind: str) -> list[Resource]:
        """Resources of ``kind`` that ``node`` refers to, in this module."""
        if self.terraform:
            names = _tf_names(node, kind) if isinstance(node, ExpressionNode) else []
            return [r for n in names if (r := self.lookup(kind, n)) is not None]
        target = _ref_target(node)
        found = self.lookup(kind, target) if target is not None else None
        return [found] if found is not None else []

    # -- VPC endpoints ------------------------------------------------------------

    def endpoints(self) -> Iterator[Endpoint]:
        kind = "aws_vpc_endpoint" if self.terraform else "AWS::EC2::VPCEndpoint"
        keys = (
            ("service_name", "vpc_endpoint_type", "vpc_id")
            if self.terraform
            else ("ServiceName", "VpcEndpointType", "VpcId")
        )
        for endpoint in self.of_kind(kind):
            service, kind_entry, vpc = (endpoint.get(key) for key in keys)
            yield Endpoint(
                service=service_label(service.value) if service is not None else "",
                gateway=_is_gateway(kind_entry),
                vpc=self.vpc_ref(vpc.value) if vpc is not None else None,
            )

    def endpoints_elsewhere(self) -> set[str]:
        """Services whose endpoints may come from outside the module's resources.

        Terraform: module calls about endpoints (``vpc-endpoints`` modules, ``enable_s3_endpoint``
        inputs) and ``data "aws_vpc_endpoint"`` look-ups of endpoints made elsewhere.
        CloudFormation: nested stacks about endpoints.
        """
        services: set[str] = set()
        if self.terraform:
            for label, body in self.context.blocks_of("module"):
                if _about_endpoints(label, body):
                    services.add(ANY)
            for label, body in self.context.blocks_of("data"):
                if label[:1] == ("aws_vpc_endpoint",):
                    entry = body.get("service_name")
                    service = service_label(entry.value) if entry is not None else None
                    services.add(service or ANY)
            return services
        for stack in self.of_kind(*_NESTED_STACKS):
            location = stack.get("TemplateURL") or stack.get("Location")
            where = text(location) or ""
            if "endpoint" in (stack.name + where).lower():
                services.add(ANY)
        return services

    # -- DynamoDB -----------------------------------------------------------------

    def uses_dynamodb(self) -> bool:
        """A DynamoDB table, a policy granting DynamoDB actions, or a DynamoDB module."""
        tables = _DYNAMODB_TF_KINDS if self.terraform else _DYNAMODB_CFN_KINDS
        if any(True for _ in self.of_kind(*tables)):
            return True
        policies = _POLICY_TF_KINDS if self.terraform else _POLICY_CFN_KINDS
        if any(mentions(r.body, _DYNAMODB_POLICY) for r in self.of_kind(*policies)):
            return True
        if not self.terraform:
            return False
        for label, body in self.context.blocks_of("data"):
            if label[:1] == ("aws_iam_policy_document",) and mentions(body, _DYNAMODB_POLICY):
                return True
        for label, body in self.context.blocks_of("module"):
            source = text(body.get("source")) or ""
            if "dynamodb" in (" ".join(label) + source).lower():
                return True
        return False

    # -- route tables -------------------------------------------------------------

    def route_tables(self, nats: list[Resource]) -> list[Value] | None:
        """Route table IDs that send traffic to ``nats``, as values to insert; None when
        one cannot be written down (computed per instance, or from unknown input)."""
        found = [(where, value) for _, where, value in self._routes_to({n.name for n in nats})]
        if any(value is None for _, value in found):
            return None
        seen: list[Value] = []
        for _, value in sorted(found, key=lambda item: item[0]):
            if value not in seen:
                seen.append(value)
        return seen

    def owns_network(self, nat: Resource) -> bool:
        """Whether this module manages the NAT gateway's network: its VPC, or a route table
        that sends traffic to it. Otherwise the network (and its endpoints) is another
        stack's or module's."""
        vpc = self.nat_vpc(nat)[0]
        if vpc is not None and vpc.definite and not vpc.key.startswith(_LITERAL):
            return True
        return any(local for local, _, _ in self._routes_to({nat.name}))

    def _routes_to(self, names: set[str]) -> Iterator[tuple[bool, tuple[str, int], Value | None]]:
        """Per route to the NAT gateways ``names``: whether its route table is a resource of
        this module, where the route is, and the table's ID (None when unwritable)."""
        if not self.terraform:
            for route in self.of_kind("AWS::EC2::Route"):
                if any(_ref_target(t.value) in names for t in _targets(route)):
                    table = route.get("RouteTableId")
                    local = table is not None and bool(self.referenced(table.value, _CFN_TABLE))
                    yield local, _where(route), self._cfn_route_table(route)
            return
        for route in self.of_kind("aws_route"):
            if any(names & set(self._nat_names(t.value)) for t in _targets(route)):
                table = route.get("route_table_id")
                local = table is not None and any(
                    self.referenced(table.value, kind) for kind in _TF_TABLES
                )
                yield local, _where(route), self._tf_route_table(table.value) if table else None
        for route_table in self.of_kind(*_TF_TABLES):
            inline = [
                *route_table.find("route.nat_gateway_id"),
                *route_table.find("route.gateway_id"),
            ]
            if any(names & set(self._nat_names(match.value)) for match in inline):
                yield True, _where(route_table), _tf_instances(route_table)

    def _cfn_route_table(self, route: Resource) -> Value | None:
        table = route.get("RouteTableId")
        if table is None or route.node.get("Condition") is not None:
            return None
        tables = self.referenced(table.value, _CFN_TABLE)
        if any(t.node.get("Condition") is not None for t in tables):
            return None  # the endpoint would need the same condition
        return self.cfn_value(table.value)

    def _nat_names(self, node: Node) -> list[str]:
        if isinstance(node, ExpressionNode):
            return _tf_names(node, "aws_nat_gateway")
        return []

    def _tf_route_table(self, node: Node) -> Value | None:
        for kind in _TF_TABLES:
            tables = self.referenced(node, kind)
            if len(tables) == 1:
                return _tf_instances(tables[0])
        return self.tf_value(node)

    # -- values to write ----------------------------------------------------------

    def tf_value(self, node: Node) -> Value | None:
        """A Terraform value to copy into a new resource, or None when it is per instance."""
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ExpressionNode) and not _per_instance(node):
            return Raw(node.text)
        return None

    def cfn_value(self, node: Node) -> Value | None:
        """A CloudFormation ID to copy: a literal, ``Ref``, ``GetAtt`` or ``ImportValue``."""
        if isinstance(node, ScalarNode) and isinstance(node.value, str):
            return node.value
        if not isinstance(node, IntrinsicNode):
            return None
        argument = node.argument
        if node.function in ("Ref", "Fn::ImportValue") and isinstance(argument, ScalarNode):
            return self.intrinsic(node.function, str(argument.value))
        if node.function == "Fn::GetAtt":
            parts = text(argument)
            if parts is None:
                items = argument.items if isinstance(argument, SequenceNode) else ()
                texts = [text(item) for item in items]
                if len(texts) != 2 or None in texts:
                    return None
                parts = ".".join(t for t in texts if t is not None)
            return self.intrinsic("Fn::GetAtt", parts)
        return None

    def intrinsic(self, function: str, argument: str) -> Value:
        """An intrinsic in the template's style: ``!Ref X`` in YAML, ``{"Ref": "X"}`` in JSON."""
        if self.syntax is Syntax.JSON:
            if function == "Fn::GetAtt":
                return {function: argument.split(".", 1)}
            return {function: argument}
        tag = "!Ref" if function == "Ref" else "!" + function.removeprefix("Fn::")
        quoted = argument if re.fullmatch(r"[A-Za-z0-9_.:-]+", argument) else f"'{argument}'"
        return Raw(f"{tag} {quoted}")


def service_label(node: Node) -> str | None:
    """The last label of an endpoint service name (``com.amazonaws.eu-west-1.s3`` -> ``s3``).

    Reads literals, Terraform templates (``"com.amazonaws.${var.region}.s3"``), ``Fn::Sub``
    and ``Fn::Join``; None when the tail is computed.
    """
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return _label_of_template(node.value)
    if isinstance(node, ExpressionNode):
        written = node.text.strip()
        if len(written) >= 2 and written[0] == written[-1] == '"':
            return _label_of_template(written[1:-1])
        return None
    if isinstance(node, IntrinsicNode):
        argument = node.argument
        if node.function == "Fn::Sub":
            template = argument.items[0] if isinstance(argument, SequenceNode) else argument
            value = text(template)
            return _label_of_template(value) if value is not None else None
        if node.function == "Fn::Join" and isinstance(argument, SequenceNode):
            return _label_of_join(argument)
    return None


def _label_of_template(value: str) -> str | None:
    if "${" not in value:
        return value.rsplit(".", 1)[-1]
    return _label_of_tail(value[value.rfind("}") + 1 :])


def _label_of_tail(tail: str) -> str | None:
    """The last label of the literal text after a computed part: known only past a dot."""
    if "." not in tail:
        return None
    return tail.rsplit(".", 1)[-1] or None


def _label_of_join(argument: SequenceNode) -> str | None:
    if len(argument.items) != 2 or not isinstance(argument.items[1], SequenceNode):
        return None
    delimiter = text(argument.items[0])
    if delimiter is None:
        return None
    trailing: list[str] = []
    computed = False
    for part in reversed(argument.items[1].items):
        value = text(part)
        if value is None:
            computed = True
            break
        trailing.insert(0, value)
    tail = delimiter.join(trailing)
    if not computed:
        return tail.rsplit(".", 1)[-1]
    return _label_of_tail(delimiter + tail)


def _is_gateway(entry: Entry | None) -> bool | None:
    if entry is None:
        return True  # both Terraform and CloudFormation default to Gateway
    value = text(entry)
    return None if value is None else value.lower() == "gateway"


def _ref_target(node: Node) -> str | None:
    if isinstance(node, IntrinsicNode) and node.function == "Ref":
        return text(node.argument)
    return None


def _tf_names(node: ExpressionNode, kind: str) -> list[str]:
    """Names of ``kind`` resources an expression refers to (``aws_vpc.main.id`` -> main)."""
    return sorted(terraform_names(node, kind))


def _per_instance(node: ExpressionNode) -> bool:
    """Refers to ``count.index``/``each``/``self``: meaningless outside its resource."""
    return any(r.split(".")[0] in ("count", "each", "self") for r in node.references)


def _tf_instances(table: Resource) -> Value:
    """Every ID of a Terraform resource: ``x.id``, or a splat when it has count/for_each."""
    address = f"{table.kind}.{table.name}"
    if table.get("for_each") is not None:
        return Raw(f"values({address})[*].id")
    if table.get("count") is not None:
        return Raw(f"{address}[*].id")
    return Raw(f"{address}.id")


def _targets(route: Resource) -> list[Entry]:
    """Where a route names its NAT gateway: the NAT attribute, or the generic gateway one
    (AWS accepts a NAT gateway ID there too)."""
    keys = (
        ("nat_gateway_id", "gateway_id")
        if route.format is Format.TERRAFORM
        else ("NatGatewayId", "GatewayId")
    )
    return [entry for key in keys if (entry := route.get(key)) is not None]


def _where(resource: Resource) -> tuple[str, int]:
    return (resource.path, resource.absolute(resource.range).start.line)


def _about_endpoints(label: tuple[str, ...], body: MappingNode) -> bool:
    """A module named or sourced for endpoints, or given endpoint inputs that are not
    switched off (``enable_s3_endpoint = true``, ``endpoints = {...}``)."""
    source = text(body.get("source")) or ""
    if "endpoint" in (" ".join(label) + source).lower():
        return True
    return any(
        _ENDPOINT_INPUT.search(entry.key) and boolean(entry) is not False for entry in body.entries
    )


def mentions(node: Node, pattern: re.Pattern[str]) -> bool:
    """Whether any text in ``node`` (literals, expressions, intrinsics) matches ``pattern``."""
    if isinstance(node, ScalarNode):
        return isinstance(node.value, str) and pattern.search(node.value) is not None
    if isinstance(node, ExpressionNode):
        return pattern.search(node.text) is not None
    if isinstance(node, IntrinsicNode):
        return mentions(node.argument, pattern)
    if isinstance(node, MappingNode):
        return any(
            pattern.search(e.key) is not None or mentions(e.value, pattern) for e in node.entries
        )
    if isinstance(node, SequenceNode):
        return any(mentions(item, pattern) for item in node.items)
    return False
