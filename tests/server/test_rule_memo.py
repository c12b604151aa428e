"""The language server's rule memo: reused findings must always equal a fresh lint.

A memo that reused a module rule's findings after a resource it depends on changed
would keep a stale finding on an unchanged block; these tests make exactly that change.
"""

from __future__ import annotations

from collections.abc import Iterator

from iacperf.rules.api import Context, FixAvailability, Rule, Scope, Severity, Violation
from iacperf.rules.model import Resource
from iacperf.rules.records import replace
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


def _role_names(context: Context) -> tuple[str, ...]:
    return tuple(r.name for r in context.module_of_kind("aws_iam_role"))


def _names_in_summary(resource: Resource, context: Context) -> Iterator[Violation]:
    """A module rule that reads the module through a summary only."""
    yield Violation("roles: " + ",".join(context.summary(_role_names)), resource.header_range)


SUMMARY_PROBE = replace(PROBE, code="PERF998", name="summary-probe", check=_names_in_summary)


def test_a_rule_reading_a_summary_runs_again_only_when_the_summary_changes() -> None:
    memo = RuleMemo()
    bucket = 'resource "aws_s3_bucket" "b{n}" {{\n  bucket = "b{n}"\n}}\n'
    buckets = "".join(bucket.format(n=n) for n in range(3))
    role = '\nresource "aws_iam_role" "{name}" {{\n  description = "{text}"\n}}\n'

    def run(text: str, parse: TerraformParse | None) -> tuple[list[str], TerraformParse]:
        parsed = parse_terraform("/ws/main.tf", text, parse)
        found = lint([parsed.template], SELECTION, rules=[SUMMARY_PROBE], memo=memo)
        assert found == lint([parsed.template], SELECTION, rules=[SUMMARY_PROBE])
        return [f.message for f in found], parsed

    messages, parse = run(buckets + role.format(name="a", text="x"), None)
    assert messages == ["roles: a"] * 3
    misses = memo.misses
    # The role changed, but not the summary: no bucket is checked again.
    messages, parse = run(buckets + role.format(name="a", text="y"), parse)
    assert messages == ["roles: a"] * 3 and memo.misses == misses
    # One bucket changed: only its rule runs again.
    messages, parse = run(
        buckets.replace('"b1"\n', '"b1x"\n') + role.format(name="a", text="y"), parse
    )
    assert messages == ["roles: a"] * 3 and memo.misses == misses + 1
    # The summary changed: every bucket is checked again.
    messages, parse = run(
        buckets.replace('"b1"\n', '"b1x"\n') + role.format(name="c", text="y"), parse
    )
    assert messages == ["roles: c"] * 3 and memo.misses == misses + 4


DATABASE = """
resource "aws_db_instance" "db{n}" {{
  identifier     = "db{n}"
  engine         = "postgres"
  instance_class = "db.m7g.large"{extra}
}}
"""
MONITORED = """
  monitoring_interval = 60
  monitoring_role_arn = aws_iam_role.rds_monitoring.arn"""


def test_an_edit_of_one_database_checks_only_it_again_and_fixes_follow_the_role() -> None:
    """PERF027 offers another database's monitoring role in its fix (a summary): an edit
    of one database does not re-check the others unless a role in use changed."""
    databases = [DATABASE.format(n=n, extra="") for n in range(4)]
    editor = _Editor("".join(databases))
    assert [r for c, r in editor.codes() if c == "PERF027"] == [
        f"aws_db_instance.db{n}" for n in range(4)
    ]
    assert all(
        f.fix is not None and not f.fix.edits for f in editor.findings if f.code == "PERF027"
    )
    misses = editor.memo.misses
    databases[2] = databases[2].replace('engine         = "postgres"', 'engine = "postgres"')
    editor.set("".join(databases))
    db_rules = sum(1 for r in _rules() if "aws_db_instance" in r.terraform)
    assert editor.memo.misses - misses == db_rules
    databases[3] = DATABASE.format(n=3, extra=MONITORED)
    editor.set("".join(databases))
    fixes = {f.resource: f.fix for f in editor.findings if f.code == "PERF027"}
    assert sorted(fixes) == [f"aws_db_instance.db{n}" for n in range(3)]
    for fix in fixes.values():
        assert fix is not None
        assert any("aws_iam_role.rds_monitoring.arn" in e.new_text for e in fix.edits)


def _count_roles(context: Context) -> Iterator[Violation]:
    """A project rule that reads the roles of the project only."""
    roles = list(context.project_of_kind("aws_iam_role"))
    if roles:
        yield Violation(f"{len(roles)} roles", roles[0].header_range, resource=roles[0])


PROJECT_PROBE = replace(
    PROBE, code="PERF997", name="project-probe", scope=Scope.PROJECT, check=_count_roles
)


def test_a_project_rule_runs_again_only_when_a_kind_it_read_changed() -> None:
    memo = RuleMemo()
    role = 'resource "aws_iam_role" "r{n}" {{\n  name = "r{n}"\n}}\n'
    queue = '\nresource "aws_sqs_queue" "q" {{\n  name = "{name}"\n}}\n'

    def run(text: str, parse: TerraformParse | None) -> tuple[list[str], TerraformParse]:
        parsed = parse_terraform("/ws/main.tf", text, parse)
        found = lint([parsed.template], SELECTION, rules=[PROJECT_PROBE], memo=memo)
        assert found == lint([parsed.template], SELECTION, rules=[PROJECT_PROBE])
        return [f.message for f in found], parsed

    messages, parse = run(role.format(n=1) + queue.format(name="a"), None)
    assert messages == ["1 roles"]
    misses = memo.project_misses
    messages, parse = run(role.format(n=1) + queue.format(name="b"), parse)
    assert messages == ["1 roles"] and memo.project_misses == misses  # a queue is no role
    messages, parse = run(role.format(n=1) + role.format(n=2) + queue.format(name="b"), parse)
    assert messages == ["2 roles"] and memo.project_misses == misses + 1


def test_random_edits_of_a_big_module_lint_as_a_fresh_lint_does() -> None:
    """Every Terraform fixture in one module (databases, roles, alarms, NAT gateways and
    endpoints, modules ...), edited at random: after every edit, the memo's lint (reused
    groups, summaries, project rules, kinds the edit did not touch) equals a lint from
    scratch."""
    import random
    from pathlib import Path

    fixtures = Path(__file__).parents[1] / "rules" / "fixtures"
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*/*.tf")) if p.is_file()
    )
    rng = random.Random(1127)
    memo = RuleMemo()
    parse = parse_terraform("/ws/main.tf", text, editing=True)
    for _ in range(30):
        lines = text.split("\n")
        at = rng.randrange(len(lines))
        line = lines[at]
        roll = rng.random()
        if roll < 0.45 and '"' in line:
            quote = line.index('"') + 1
            lines[at] = line[:quote] + rng.choice("abx1") + line[quote:]
        elif roll < 0.7:
            lines[at] = line[: len(line) // 2]
        elif roll < 0.85:
            lines.insert(at, "")
        else:
            name = f"r{rng.randrange(99)}"
            lines.insert(at, f'resource "aws_iam_role" "{name}" {{\n  name = "x"\n}}')
        text = "\n".join(lines)
        parse = parse_terraform("/ws/main.tf", text, parse, editing=True)
        remembered = lint([parse.template], SELECTION, memo=memo)
        assert remembered == lint([parse.template], SELECTION)
    assert memo.hits > memo.misses  # the memo did its job along the way
    # A long session keeps what the one file holds now, not every template it replaced.
    assert len(memo._existing) == 1
    assert len(parse.cache) <= parse.chunk_count + 1_000


def test_a_resource_that_changes_kind_in_place_is_counted_in_its_new_kind() -> None:
    """The same number of resources, one of them now another kind: the kinds index that
    keystrokes carry forward must move it, for module and project rules alike."""
    memo = RuleMemo()
    text = (
        'resource "aws_iam_role" "a" {\n  name = "a"\n}\n\n'
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'
    )
    rules = [PROJECT_PROBE, PROBE]
    bucket = '\nresource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    parsed = parse_terraform("/ws/main.tf", text + bucket)
    found = lint([parsed.template], SELECTION, rules=rules, memo=memo)
    assert sorted(f.message for f in found) == ["1 roles", "1 roles"]
    edited = text.replace('"aws_sqs_queue" "q"', '"aws_iam_role" "q"') + bucket
    parsed = parse_terraform("/ws/main.tf", edited, parsed)
    found = lint([parsed.template], SELECTION, rules=rules, memo=memo)
    assert found == lint([parsed.template], SELECTION, rules=rules)
    assert sorted(f.message for f in found) == ["2 roles", "2 roles"]


def test_a_resource_switched_off_in_place_leaves_the_project() -> None:
    """``count = 0`` typed into a role: project rules stop seeing it on that keystroke."""
    memo = RuleMemo()
    roles = 'resource "aws_iam_role" "a" {\n  name = "a"\n}\n\nresource "aws_iam_role" "b" {\n'
    text = roles + '  name = "b"\n}\n'
    parsed = parse_terraform("/ws/main.tf", text)
    found = lint([parsed.template], SELECTION, rules=[PROJECT_PROBE], memo=memo)
    assert [f.message for f in found] == ["2 roles"]
    parsed = parse_terraform("/ws/main.tf", roles + "  count = 0\n}\n", parsed)
    found = lint([parsed.template], SELECTION, rules=[PROJECT_PROBE], memo=memo)
    assert [f.message for f in found] == ["1 roles"]


_FLAKY = {"raise": True}


def _flaky(resource: Resource, context: Context) -> Iterator[Violation]:
    if _FLAKY["raise"]:
        raise RuntimeError("a rule bug")
    yield Violation("checked", resource.header_range)


FLAKY = replace(PROBE, code="PERF996", name="flaky", check=_flaky)


def test_a_rule_that_raised_runs_again_on_the_next_keystroke() -> None:
    """Nothing is remembered for a resource whose rule raised: the next lint, even for an
    edit elsewhere, runs it again."""
    memo = RuleMemo()
    bucket = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    queue = '\nresource "aws_sqs_queue" "q" {{\n  name = "{name}"\n}}\n'
    errors: list[str] = []
    _FLAKY["raise"] = True
    try:
        parsed = parse_terraform("/ws/main.tf", bucket + queue.format(name="a"))
        found = lint(
            [parsed.template],
            SELECTION,
            rules=[FLAKY],
            memo=memo,
            on_rule_error=lambda r, where, error: errors.append(str(error)),
        )
        assert found == [] and errors == ["a rule bug"]
    finally:
        _FLAKY["raise"] = False
    parsed = parse_terraform("/ws/main.tf", bucket + queue.format(name="b"), parsed)
    found = lint([parsed.template], SELECTION, rules=[FLAKY], memo=memo)
    assert [(f.code, f.message) for f in found] == [("PERF996", "checked")]
