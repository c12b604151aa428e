"""Value resolution: variables, tfvars, locals, parameters, mappings and conditions are
read before the rules run; what cannot be known stays silent; findings say where a
value came from and fixes edit it there."""

from __future__ import annotations

from pathlib import Path

from iacperf.rules.api import Applicability
from iacperf.server.analysis import scan
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.fixes import apply_edits
from iacperf.server.parsing import parse_text
from iacperf.server.rule_memo import RuleMemo

GP2 = Selection(select=frozenset({"PERF019"}))

VARIABLES = """\
variable "volume_type" {
  type    = string
  default = "gp2"
}

variable "unknown_type" {
  type = string
}

locals {
  kind  = var.volume_type
  label = "logs-${var.volume_type}"
}
"""


def _volume(name: str, value: str) -> str:
    return (
        f'resource "aws_ebs_volume" "{name}" {{\n'
        '  availability_zone = "eu-west-1a"\n'
        "  size              = 10\n"
        f"  type              = {value}\n"
        "}\n"
    )


def _lint(files: dict[str, str], selection: Selection = GP2) -> list[Finding]:
    templates = []
    for path, text in files.items():
        template, _ = parse_text(path, text)
        assert template is not None, path
        templates.append(template)
    return lint(templates, selection)


def _where(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.path, f.range.start.line) for f in findings]


def test_a_variable_default_is_known_and_the_finding_says_so() -> None:
    text = VARIABLES + _volume("data", "var.volume_type")
    (finding,) = _lint({"m/main.tf": text})
    assert (finding.path, finding.range.start.line) == ("m/main.tf", 16)
    (related,) = finding.related
    assert related.message == 'the value comes from default of variable "volume_type"'
    assert (related.path, related.range.start.line) == ("m/main.tf", 2)
    # The fix changes the default, where the value is set, not the reference.
    assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE
    fixed = apply_edits(text, list(finding.fix.edits))
    assert 'default = "gp3"' in fixed and "type              = var.volume_type" in fixed


def test_no_default_no_warning() -> None:
    assert _lint({"m/main.tf": VARIABLES + _volume("data", "var.unknown_type")}) == []


def test_locals_follow_variables_and_interpolations_are_joined() -> None:
    text = VARIABLES + _volume("a", "local.kind") + _volume("b", '"${local.kind}"')
    found = _lint({"m/main.tf": text})
    assert len(found) == 2
    for finding in found:
        assert [r.message for r in finding.related] == [
            'the value comes from default of variable "volume_type"'
        ]
    # "${local.kind}" is made from the value: the fix becomes advice, no edit.
    interpolated = found[1]
    assert interpolated.fix is not None
    assert interpolated.fix.applicability is Applicability.DISPLAY_ONLY
    assert "where the value is set" in interpolated.fix.title


def test_tfvars_override_defaults_in_terraform_order(tmp_path: Path) -> None:
    files = {
        "m/main.tf": VARIABLES.replace('default = "gp2"', 'default = "gp3"')
        + _volume("data", "var.volume_type"),
        "m/terraform.tfvars": 'volume_type = "io2"\n',
        "m/b.auto.tfvars": 'volume_type = "gp3"\n',
        "m/a.auto.tfvars": 'volume_type = "gp2"\n',
    }
    # terraform.tfvars, then *.auto.tfvars by name: b.auto.tfvars wins with gp3.
    assert _lint(files) == []
    files["m/c.auto.tfvars"] = 'volume_type = "gp2"\n'
    (finding,) = _lint(files)
    assert [(r.path, r.message) for r in finding.related] == [
        ("m/c.auto.tfvars", "the value comes from c.auto.tfvars")
    ]
    # Another file sets the value: advice that names it.
    assert finding.fix is not None and finding.fix.edits == ()
    assert "c.auto.tfvars:1" in finding.fix.title
    # A configured var file comes last.
    prod = tmp_path / "prod.tfvars"
    prod.write_text('volume_type = "gp3"\n')
    assert _lint(files, Selection(select=frozenset({"PERF019"}), var_files=(str(prod),))) == []


def test_count_zero_from_a_variable_switches_the_resource_off() -> None:
    text = 'variable "enabled" {\n  default = 0\n}\n' + _volume("data", '"gp2"').replace(
        "{\n", "{\n  count = var.enabled\n", 1
    )
    assert _lint({"m/main.tf": text}) == []
    assert len(_lint({"m/main.tf": text.replace("default = 0", "default = 1")})) == 1


CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  VolumeType:
    Type: String
    Default: gp2
  Unknown:
    Type: String
  Env:
    Type: String
    Default: prod
Mappings:
  Types:
    prod:
      Volume: gp2
    dev:
      Volume: gp3
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  FromParameter:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !Ref VolumeType
  FromMap:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !FindInMap [Types, !Ref Env, Volume]
  FromCondition:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !If [IsProd, gp2, gp3]
  NotKnown:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !FindInMap [Types, !Ref Unknown, Volume]
"""


def test_parameters_mappings_and_static_conditions() -> None:
    found = _lint({"t.yaml": CFN})
    assert _where(found) == [("t.yaml", 24), ("t.yaml", 30), ("t.yaml", 36)]
    parameter, mapped, conditional = found
    assert [r.message for r in parameter.related] == [
        'the value comes from default of parameter "VolumeType"'
    ]
    assert [(r.message, r.range.start.line) for r in mapped.related] == [
        ("the value comes from Mappings Types.prod.Volume", 13)
    ]
    assert conditional.related == ()  # the chosen branch is written right there
    fixed = apply_edits(CFN, list(parameter.fix.edits if parameter.fix else ()))
    assert "    Default: gp3\n" in fixed and "VolumeType: !Ref VolumeType" in fixed


def test_the_language_server_memo_sees_a_changed_default() -> None:
    memo = RuleMemo()
    text = VARIABLES + _volume("data", "var.volume_type")
    template, parse = parse_text("m/main.tf", text)
    assert template is not None and len(lint([template], GP2, memo=memo)) == 1
    edited = text.replace('default = "gp2"', 'default = "gp3"')
    template, _ = parse_text("m/main.tf", edited, parse)
    assert template is not None and lint([template], GP2, memo=memo) == []


def test_the_cli_reports_resolved_values(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(VARIABLES + _volume("data", "var.volume_type"))
    result = scan([str(tmp_path)], GP2)
    assert [f.code for f in result.findings] == ["PERF019"]


def test_a_changed_default_re_resolves_only_the_resources_that_use_it() -> None:
    from iacperf.server.resolve import Resolver

    text = (
        'variable "a" {\n  default = "gp2"\n}\nvariable "b" {\n  default = "gp2"\n}\n'
        + _volume("uses_a", "var.a")
        + _volume("uses_b", "var.b")
    )
    resolver = Resolver()
    template, parse = parse_text("m/main.tf", text)
    assert template is not None
    first = resolver.module([template])
    changed = text.replace('default = "gp2"', 'default = "gp3"', 1)
    edited, _ = parse_text("m/main.tf", changed, parse)
    assert edited is not None
    second = resolver.module([edited])
    assert second[1] is first[1], "var.b did not change: same resolved object"
    assert second[0] is not first[0]
    assert second[0].body.get("type").value.value == "gp3"  # type: ignore[union-attr]


NEVER = """\
  Never:
    Type: AWS::EC2::Volume
    Condition: IsDev
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: gp2
"""


def test_a_resource_whose_condition_is_statically_false_is_not_checked() -> None:
    text = CFN.replace("  NotKnown:\n", NEVER + "  NotKnown:\n").replace(
        "  IsProd: !Equals [!Ref Env, prod]\n",
        "  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\n",
    )
    found = _lint({"t.yaml": text})
    assert "Never" not in {f.resource for f in found}
    flipped = _lint({"t.yaml": text.replace("Default: prod", "Default: dev")})
    assert "Never" in {f.resource for f in flipped}


MODULE = """\
variable "instance_class" {
  type    = string
  default = "db.m7g.large"
}

variable "storage" {
  type = string
}

resource "aws_db_instance" "main" {
  engine               = "postgres"
  instance_class       = var.instance_class
  allocated_storage    = 20
  storage_type         = var.storage
  performance_insights_enabled = true
}
"""

CALLER = """\
module "db" {
  source         = "./modules/db"
  instance_class = "db.m4.large"
  storage        = var.storage_type
}

variable "storage_type" {
  default = "gp3"
}
"""


def test_a_local_module_is_checked_with_its_callers_arguments(tmp_path: Path) -> None:
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text(MODULE)
    (tmp_path / "main.tf").write_text(CALLER)
    selection = Selection(select=frozenset({"PERF024"}))
    # The module alone: its default is current generation, nothing to report.
    assert scan([str(tmp_path / "modules")], selection).findings == []
    # Called with db.m4.large: reported at the caller's argument, naming the resource.
    result = scan([str(tmp_path / "main.tf")], selection)
    (finding,) = result.findings
    assert finding.path == str(tmp_path / "main.tf")
    assert (finding.range.start.line, finding.range.start.character) == (2, 19)
    assert finding.resource == "module.db.aws_db_instance.main"
    assert "(in module.db)" in finding.message
    (inside,) = finding.related
    assert inside.path == str(tmp_path / "modules" / "db" / "main.tf")
    assert inside.range.start.line == 11
    # The fix edits the argument, in the caller's file.
    assert finding.fix is not None
    fixed = apply_edits(CALLER, list(finding.fix.edits))
    assert 'instance_class = "db.m7' in fixed


FUNCTIONS = """\
variable "architectures" {
  type    = list(string)
  default = ["arm64"]
}

variable "instance_type" {
  type    = string
  default = "m7g.large"
}

resource "aws_lambda_function" "main" {
  function_name = "app"
  role          = "arn:aws:iam::123456789012:role/app"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "app.zip"
  memory_size   = 1024
  architectures = var.architectures
}

resource "aws_instance" "main" {
  ami           = "ami-0123456789abcdef0"
  instance_type = var.instance_type
}
"""

FUNCTIONS_CALLER = """\
module "app" {
  source        = "./modules/app"
  architectures = ["x86_64"]
  instance_type = "m5.large"
}
"""


def test_module_rules_run_through_a_call_unless_the_caller_holds_their_context(
    tmp_path: Path,
) -> None:
    """PERF010 (a module rule) reports the x86 architecture a caller passes; PERF002
    does not run through calls: it rests on the AMI, which callers usually pass in."""
    (tmp_path / "modules" / "app").mkdir(parents=True)
    (tmp_path / "modules" / "app" / "main.tf").write_text(FUNCTIONS)
    (tmp_path / "main.tf").write_text(FUNCTIONS_CALLER)
    selection = Selection(select=frozenset({"PERF010", "PERF002"}))
    assert scan([str(tmp_path / "modules")], selection).findings == []
    found = scan([str(tmp_path / "main.tf")], selection).findings
    assert [(f.code, f.resource, f.range.start.line) for f in found] == [
        ("PERF010", "module.app.aws_lambda_function.main", 2)
    ]


def test_arguments_the_caller_cannot_know_stay_silent(tmp_path: Path) -> None:
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text(MODULE)
    (tmp_path / "main.tf").write_text(CALLER.replace('"db.m4.large"', "var.unknown"))
    selection = Selection(select=frozenset({"PERF024", "PERF023"}))
    assert scan([str(tmp_path / "main.tf")], selection).findings == []


def test_an_argument_from_the_callers_variable_gets_advice_not_an_edit(tmp_path: Path) -> None:
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text(MODULE)
    caller = (
        CALLER.replace('"db.m4.large"', "var.class")
        + 'variable "class" {\n  default = "db.m4.large"\n}\n'
    )
    (tmp_path / "main.tf").write_text(caller)
    (finding,) = scan(
        [str(tmp_path / "main.tf")], Selection(select=frozenset({"PERF024"}))
    ).findings
    assert (finding.range.start.line, finding.resource) == (2, "module.db.aws_db_instance.main")
    assert finding.fix is not None and finding.fix.edits == ()


ALLOWED = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AllOld:
    Type: String
    AllowedValues: [m4.large, c4.xlarge]
  OneGood:
    Type: String
    AllowedValues:
      - m4.large
      - m7i.large
  WithDefault:
    Type: String
    Default: m7i.large
    AllowedValues: [m4.large, c4.large]
  Volume:
    Type: String
    AllowedValues: [gp2]
Resources:
  Old:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref AllOld
  Mixed:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref OneGood
  Defaulted:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref WithDefault
  Disk:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !Ref Volume
"""
PREVIOUS = Selection(select=frozenset({"PERF001", "PERF019"}))


def test_a_value_every_allowed_value_makes_bad_is_reported_as_advice() -> None:
    found = _lint({"t.yaml": ALLOWED}, PREVIOUS)
    assert [(f.code, f.resource, f.range.start.line) for f in found] == [
        ("PERF001", "Old", 21),
        ("PERF019", "Disk", 35),
    ]
    old, disk = found
    # m4.large and c4.xlarge get different messages: the first one's, saying so.
    assert old.message.startswith("EC2 instance type m4.large is previous generation")
    assert old.message.endswith('so does every other value in AllowedValues of parameter "AllOld"')
    assert disk.message == "EBS volume type is gp2; use gp3"  # the same for every value
    for finding, line in ((old, 4), (disk, 16)):
        (related,) = finding.related
        assert related.message.startswith("the value comes from AllowedValues of parameter")
        assert (related.path, related.range.start.line) == ("t.yaml", line)
        # Nothing single to edit: advice, never an edit.
        assert finding.fix is not None and finding.fix.edits == ()
        assert finding.fix.applicability is Applicability.DISPLAY_ONLY


def test_one_good_allowed_value_gives_no_finding_and_a_default_wins() -> None:
    found = _lint({"t.yaml": ALLOWED}, PREVIOUS)
    assert {f.resource for f in found}.isdisjoint({"Mixed", "Defaulted"})
    # The default decides: a bad default is reported as the default, with its edit.
    bad_default = ALLOWED.replace("Default: m7i.large", "Default: m4.large")
    (defaulted,) = [
        f for f in _lint({"t.yaml": bad_default}, PREVIOUS) if f.resource == "Defaulted"
    ]
    assert [r.message for r in defaulted.related] == [
        'the value comes from default of parameter "WithDefault"'
    ]
    assert defaulted.fix is not None and defaulted.fix.edits != ()


AURORA = """\
Parameters:
  Engine:
    Type: String
    AllowedValues: [aurora-mysql, aurora-postgresql]
Resources:
  Instance:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: !Ref Engine
      DBClusterIdentifier: cluster
      DBInstanceClass: db.t2.small
"""


def test_a_remedy_that_depends_on_an_allowed_value_elsewhere_is_not_given() -> None:
    """db.t2.small is old for every allowed engine, but Aurora MySQL would take
    db.t3.small and Aurora PostgreSQL has no small class: the fact, no single remedy."""
    (finding,) = _lint({"t.yaml": AURORA}, Selection(select=frozenset({"PERF024"})))
    assert finding.message == (
        "RDS instance class db.t2.small is previous generation; the remedy depends on "
        'AllowedValues of parameter "Engine", which the template leaves open'
    )
    assert finding.fix is not None and finding.fix.edits == ()
    assert finding.fix.applicability is Applicability.DISPLAY_ONLY


def test_allowed_values_reach_map_keys_and_the_memo_sees_them_change() -> None:
    text = CFN.replace(
        "  Unknown:\n    Type: String\n",
        "  Unknown:\n    Type: String\n    AllowedValues: [prod]\n",
    )
    found = _lint({"t.yaml": text})
    (mapped,) = [f for f in found if f.resource == "NotKnown"]
    assert [r.message for r in mapped.related] == [
        "the value comes from Mappings Types.prod.Volume, "
        'keyed by AllowedValues of parameter "Unknown"'
    ]
    assert mapped.fix is not None and mapped.fix.edits == ()
    memo = RuleMemo()
    template, parse = parse_text("t.yaml", text)
    assert template is not None
    assert "NotKnown" in {f.resource for f in lint([template], GP2, memo=memo)}
    widened = text.replace("AllowedValues: [prod]", "AllowedValues: [prod, dev]")
    template, _ = parse_text("t.yaml", widened, parse)
    assert template is not None
    assert "NotKnown" not in {f.resource for f in lint([template], GP2, memo=memo)}


def test_a_module_call_switched_off_by_its_own_count_or_for_each(tmp_path: Path) -> None:
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text(MODULE)
    selection = Selection(select=frozenset({"PERF024"}))

    def reported(meta: str, declared: str = "") -> list[str]:
        source = '  source         = "./modules/db"\n'
        caller = CALLER.replace(source, f"{source}  {meta}\n") + declared
        (tmp_path / "main.tf").write_text(caller)
        return [f.resource for f in scan([str(tmp_path / "main.tf")], selection).findings]

    on = ["module.db.aws_db_instance.main"]
    assert reported("count = 1") == on
    assert reported("count = 0") == []
    assert reported("for_each = {}") == []
    assert reported('for_each = { a = "x" }') == on
    assert reported("count = var.enabled", 'variable "enabled" {\n  default = 0\n}\n') == []
    assert reported("count = var.enabled", 'variable "enabled" {\n  default = 1\n}\n') == on
    assert reported("count = local.copies", "locals {\n  copies = 0\n}\n") == []
    assert reported("for_each = var.names", 'variable "names" {\n  default = []\n}\n') == []
    assert reported("count = var.undeclared") == on  # unknown: the call is checked


def test_the_language_server_sees_a_module_call_switched_off(tmp_path: Path) -> None:
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "modules" / "db" / "main.tf").write_text(MODULE)
    source = '  source         = "./modules/db"\n'
    text = CALLER.replace(source, f"{source}  count          = var.enabled\n")
    text += 'variable "enabled" {\n  default = 1\n}\n'
    path = str(tmp_path / "main.tf")
    memo = RuleMemo()
    selection = Selection(select=frozenset({"PERF024"}))
    template, parse = parse_text(path, text)
    assert template is not None and len(lint([template], selection, memo=memo)) == 1
    # Only the caller's variable changes: the call block is the same object as before.
    template, _ = parse_text(path, text.replace("default = 1", "default = 0"), parse)
    assert template is not None and lint([template], selection, memo=memo) == []
