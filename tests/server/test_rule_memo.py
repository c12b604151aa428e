"""The language server's rule memo: reused findings must always equal a fresh lint.

A memo that reused a module rule's findings after a resource it depends on changed
would keep a stale finding on an unchanged block; these tests make exactly that change.
"""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, FixAvailability, Rule, Scope, Severity, Violation
from iacperf.rules.model import Resource
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.parsing.terraform import TerraformParse, parse_terraform
from iacperf.server.rule_memo import RuleMemo

TABLE = """\
resource "aws_dynamodb_table" "orders" {
  name           = "orders"
  read_capacity  = 5
  write_capacity = 5
  hash_key       = "id"

  attribute {
    name = "id"
    type = "S"
  }
}
"""

TARGET = """
resource "aws_appautoscaling_target" "orders_read" {
  service_namespace  = "dynamodb"
  scalable_dimension = "dynamodb:table:ReadCapacityUnits"
  resource_id        = "table/${aws_dynamodb_table.orders.name}"
  min_capacity       = 5
  max_capacity       = 100
}
"""

VOLUME = """
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 10
  type              = "gp2"
}
"""

NAT = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_nat_gateway" "a" {
  subnet_id = aws_subnet.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.a.id
  }
}
"""

ENDPOINT = """
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.eu-west-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}

resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.eu-west-1.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}
"""

SELECTION = Selection()


class _Editor:
    """One open file, parsed incrementally and linted with a memo, as the server does."""

    def __init__(self, text: str) -> None:
        self.memo = RuleMemo()
        self.parse: TerraformParse | None = None
        self.set(text)

    def set(self, text: str) -> list[Finding]:
        self.parse = parse_terraform("/ws/main.tf", text, self.parse)
        found = lint([self.parse.template], SELECTION, memo=self.memo)
        assert found == lint([self.parse.template], SELECTION)  # the memo changes nothing
        self.findings = found
        return found

    def codes(self) -> list[tuple[str, str]]:
        return [(f.code, f.resource) for f in self.findings]


def test_a_new_scaling_target_clears_the_unchanged_table() -> None:
    editor = _Editor(TABLE)
    assert ("PERF030", "aws_dynamodb_table.orders") in editor.codes()
    editor.set(TABLE + TARGET)
    assert "PERF030" not in {code for code, _ in editor.codes()}
    editor.set(TABLE)  # and it comes back when the target goes
    assert ("PERF030", "aws_dynamodb_table.orders") in editor.codes()


def test_a_new_gateway_endpoint_clears_the_unchanged_nat_gateway() -> None:
    editor = _Editor(NAT)
    assert ("PERF046", "aws_nat_gateway.a") in editor.codes()
    editor.set(NAT + ENDPOINT)
    assert ("PERF046", "aws_nat_gateway.a") not in editor.codes()


INSTANCE = """\
resource "aws_instance" "web" {
  instance_type = "m4.large"

  root_block_device {
    volume_type = "gp2"
  }
}
"""


def test_blocks_an_edit_did_not_touch_are_not_checked_again() -> None:
    editor = _Editor(INSTANCE + VOLUME)
    assert ("PERF001", "aws_instance.web") in editor.codes()
    before = editor.memo.misses, editor.memo.hits
    editor.set(INSTANCE + VOLUME.replace('"gp2"', '"gp3"'))
    # Only the volume's rules ran again; the instance's rules (all per resource) did not.
    instance_rules = sum(1 for r in _rules() if "aws_instance" in r.terraform)
    volume_rules = sum(1 for r in _rules() if "aws_ebs_volume" in r.terraform)
    assert instance_rules > 0
    assert editor.memo.misses - before[0] == volume_rules
    assert editor.memo.hits - before[1] == instance_rules
    assert ("PERF019", "aws_ebs_volume.data") not in editor.codes()
    assert ("PERF001", "aws_instance.web") in editor.codes()


def _rules() -> list[Rule]:
    from iacperf.rules.registry import all_rules

    return [r for r in all_rules() if r.scope is not Scope.PROJECT]


def _names_of_kind(resource: Resource, context: Context) -> Iterator[Violation]:
    """A module rule that reports how many roles the module has, on every bucket."""
    roles = list(context.module_of_kind("aws_iam_role"))
    yield Violation(f"{len(roles)} roles", resource.header_range)


PROBE = Rule(
    code="PERF999",
    name="probe",
    title="probe",
    severity=Severity.HINT,
    scope=Scope.MODULE,
    fix=FixAvailability.NONE,
    terraform=("aws_s3_bucket",),
    cloudformation=(),
    evidence=(),
    well_architected=(),
    compliance=(),
    tags=(),
    check=_names_of_kind,
    doc="",
)


def test_what_a_rule_read_decides_when_it_runs_again() -> None:
    memo = RuleMemo()
    bucket = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    role = '\nresource "aws_iam_role" "r{n}" {{\n  name = "r{n}"\n}}\n'
    other = '\nresource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'

    def run(text: str, parse: TerraformParse | None) -> tuple[list[str], TerraformParse]:
        parsed = parse_terraform("/ws/main.tf", text, parse)
        found = lint([parsed.template], SELECTION, rules=[PROBE], memo=memo)
        return [f.message for f in found], parsed

    messages, parse = run(bucket + role.format(n=1), None)
    assert messages == ["1 roles"]
    misses = memo.misses
    messages, parse = run(bucket + role.format(n=1) + other, parse)
    assert messages == ["1 roles"] and memo.misses == misses  # a queue is no role
    messages, parse = run(bucket + role.format(n=1) + other + role.format(n=2), parse)
    assert messages == ["2 roles"] and memo.misses == misses + 1
