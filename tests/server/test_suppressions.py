"""Inline suppressions: what they hide, what they cannot hide, PERF900, and the edit that
writes one. Every snippet is real Terraform or CloudFormation that the rules flag.

Dates are far in the past (2001-01-01) or far in the future (2999-12-31), never today.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from iacperf.rules.api import Applicability
from iacperf.rules.builtin import UNUSED_SUPPRESSION
from iacperf.rules.model import Suppression, Template
from iacperf.rules.registry import by_code_or_name, known_rules
from iacperf.server.analysis import lint_text
from iacperf.server.cli import main
from iacperf.server.engine import Finding, Selection
from iacperf.server.fixes import apply_edits, apply_fixes
from iacperf.server.parsing import parse_text
from iacperf.server.suppressions import ignore_finding_edit, suppression_edit

RDS = frozenset({"PERF021", "PERF024", "PERF026"})
PERF900 = frozenset({"PERF900"})


def lint(path: str, text: str, select: frozenset[str] = RDS) -> list[Finding]:
    return lint_text(path, text, Selection(select=select))


def found(path: str, text: str, select: frozenset[str] = RDS) -> set[tuple[int, str]]:
    """(0-based line, code) of every finding left."""
    return {(f.range.start.line, f.code) for f in lint(path, text, select)}


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    lines = [n for n, line in enumerate(text.split("\n")) if needle in line]
    return lines[occurrence]


def template_of(path: str, text: str) -> Template:
    template, _ = parse_text(path, text)
    assert template is not None
    return template


def hcl(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


# An RDS instance with three findings on three lines: PERF026 on the header (Performance
# Insights off), PERF024 on the instance class, PERF021 on the storage type.
DB = """\
resource "aws_db_instance" "db" {
  engine            = "mysql"
  instance_class    = "db.m4.large"
  storage_type      = "standard"
  allocated_storage = 20
}
"""


def db_with(comment: str, above: str) -> str:
    """``DB`` with a comment line inserted above the first line containing ``above``."""
    lines = DB.split("\n")
    index = line_of(DB, above)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index, indent + comment)
    return "\n".join(lines)


def test_unsuppressed_baseline() -> None:
    assert found("main.tf", DB) == {(0, "PERF026"), (2, "PERF024"), (3, "PERF021")}


# ---------------------------------------------------------------------------
# Terraform


def test_comment_above_the_resource_hides_the_codes_it_names() -> None:
    text = db_with("# iacperf:ignore PERF021,PERF024 -- migrating", "resource")
    assert found("main.tf", text) == {(1, "PERF026")}


def test_comment_above_an_attribute_hides_findings_on_that_attribute_only() -> None:
    text = db_with("# iacperf:ignore PERF021, PERF024, PERF026", "storage_type")
    assert found("main.tf", text) == {(0, "PERF026"), (2, "PERF024")}


def test_comment_inside_the_block_not_above_an_attribute_covers_the_resource() -> None:
    text = hcl(
        """
        resource "aws_db_instance" "db" {
          engine            = "mysql"
          instance_class    = "db.m4.large"
          storage_type      = "standard"
          allocated_storage = 20
          # iacperf:ignore PERF024 PERF026
        }
        """
    )
    assert found("main.tf", text) == {(3, "PERF021")}
    trailing_header = DB.replace("{\n", "{ # iacperf:ignore PERF026\n", 1)
    assert found("main.tf", trailing_header) == {(2, "PERF024"), (3, "PERF021")}


def test_trailing_comment_covers_its_own_line() -> None:
    text = DB.replace('"standard"', '"standard" # iacperf:ignore PERF021 -- cold data')
    assert found("main.tf", text) == {(0, "PERF026"), (2, "PERF024")}


def test_nested_block_and_double_slash_comment() -> None:
    text = hcl(
        """
        resource "aws_instance" "web" {
          ami           = "ami-12345678"
          instance_type = "m5.large"

          // iacperf:ignore PERF019
          root_block_device {
            volume_type = "gp2"
          }

          ebs_block_device {
            device_name = "/dev/sdb"
            volume_type = "gp2"
          }
        }
        """
    )
    assert found("main.tf", text, frozenset({"PERF019"})) == {(11, "PERF019")}


def test_rule_names_and_lower_case_codes_work_like_codes() -> None:
    text = db_with("# iacperf:ignore magnetic-storage, perf024 -- by name", "resource")
    assert found("main.tf", text) == {(1, "PERF026")}


def test_stacked_comments_above_a_resource_all_apply() -> None:
    text = db_with("# iacperf:ignore PERF021", "resource")
    text = "# Production database, see ADR-12\n# iacperf:ignore PERF024\n" + text
    assert found("main.tf", text) == {(3, "PERF026")}


def test_file_level_with_codes_and_without() -> None:
    with_codes = DB + "\n# iacperf:ignore-file PERF026,PERF021 -- a legacy stack\n"
    assert found("main.tf", with_codes) == {(2, "PERF024")}
    every_rule = "# iacperf:ignore-file -- generated code\n" + DB
    assert found("main.tf", every_rule) == set()


def test_file_level_hides_a_parse_error() -> None:
    broken = '# iacperf:ignore-file PERF000\nresource "aws_ebs_volume" "v" {\n  size = \n}\n'
    assert found("main.tf", broken, frozenset({"PERF000"})) == set()
    assert found("main.tf", broken.replace("PERF000", "PERF019"), frozenset({"PERF000"})) == {
        (2, "PERF000")
    }


def test_expired_suppression_brings_the_finding_back_and_says_so() -> None:
    text = db_with("# iacperf:ignore PERF021 until=2001-01-01 -- migrate in Q1", "storage_type")
    [finding] = [f for f in lint("main.tf", text) if f.code == "PERF021"]
    assert finding.message.endswith(" (suppression expired 2001-01-01)")
    related = finding.related[-1]
    comment = line_of(text, "iacperf:ignore")
    assert related.path == "main.tf"
    assert related.range.start.line == related.range.end.line == comment
    assert text.split("\n")[comment][related.range.start.character :].startswith("# iacperf")
    assert "expired" in related.message


def test_suppression_that_has_not_expired_hides() -> None:
    text = db_with("# iacperf:ignore PERF021 until=2999-12-31 -- migrate later", "storage_type")
    assert found("main.tf", text) == {(0, "PERF026"), (2, "PERF024")}
    date_in_reason = db_with("# iacperf:ignore PERF021 -- until=2001-01-01 for Q1", "storage_type")
    [finding] = [f for f in lint("main.tf", date_in_reason) if f.code == "PERF021"]
    assert finding.message.endswith("(suppression expired 2001-01-01)")


def test_hash_inside_a_string_or_heredoc_is_not_a_suppression() -> None:
    text = hcl(
        """
        resource "aws_db_instance" "db" {
          engine            = "mysql"
          instance_class    = "db.m4.large"
          tags = {
            Note = "see # iacperf:ignore PERF021 in the wiki"
            Url  = "http://example.com/a//iacperf:ignore PERF021"
          }
          user_data = <<-EOT
            # iacperf:ignore PERF021
            // iacperf:ignore PERF021
          EOT
          storage_type      = "standard"
          allocated_storage = 20
        }
        """
    )
    assert found("main.tf", text) == {(0, "PERF026"), (2, "PERF024"), (11, "PERF021")}
    assert template_of("main.tf", text).suppressions == ()


def test_comment_after_a_string_holding_a_hash_is_a_suppression() -> None:
    text = DB.replace('"standard"', '"standard" # keep "#" here # iacperf:ignore PERF021').replace(
        '"mysql"', '"my#sql" # iacperf:ignore PERF024'
    )
    assert found("main.tf", text) == {(0, "PERF026"), (2, "PERF024")}
    [s1, s2] = template_of("main.tf", text).suppressions
    assert (s1.codes, s1.target, s2.codes, s2.target) == (("PERF024",), 1, ("PERF021",), 3)


def test_heredoc_marker_in_a_comment_does_not_hide_later_suppressions() -> None:
    text = "# write <<EOF\n" + db_with("# iacperf:ignore PERF021", "storage_type")
    assert found("main.tf", text) == {(1, "PERF026"), (3, "PERF024")}


# ---------------------------------------------------------------------------
# CloudFormation YAML

YAML_DB = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.m4.large
      StorageType: standard
      AllocatedStorage: "20"
"""


def yaml_with(comment: str, above: str) -> str:
    lines = YAML_DB.split("\n")
    index = line_of(YAML_DB, above)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index, indent + comment)
    return "\n".join(lines)


def test_yaml_baseline_and_comment_above_the_resource() -> None:
    assert found("t.yaml", YAML_DB) == {(2, "PERF026"), (6, "PERF024"), (7, "PERF021")}
    text = yaml_with("# iacperf:ignore PERF026, PERF024 -- sized later", "Db:")
    assert found("t.yaml", text) == {(8, "PERF021")}


def test_yaml_comment_above_a_property_and_trailing() -> None:
    text = yaml_with("# iacperf:ignore PERF021,PERF024,PERF026", "StorageType")
    assert found("t.yaml", text) == {(2, "PERF026"), (6, "PERF024")}
    trailing = YAML_DB.replace("db.m4.large", "db.m4.large  # iacperf:ignore PERF024")
    assert found("t.yaml", trailing) == {(2, "PERF026"), (7, "PERF021")}


def test_yaml_comment_above_properties_covers_the_properties() -> None:
    text = yaml_with("# iacperf:ignore PERF021 PERF024", "Properties")
    assert found("t.yaml", text) == {(2, "PERF026")}


def test_yaml_comment_above_a_list_item_covers_the_item() -> None:
    text = textwrap.dedent(
        """\
        Resources:
          Web:
            Type: AWS::EC2::Instance
            Properties:
              ImageId: ami-12345678
              InstanceType: m5.large
              BlockDeviceMappings:
                # iacperf:ignore PERF019 -- boot disk
                - DeviceName: /dev/xvda
                  Ebs:
                    VolumeType: gp2
                - DeviceName: /dev/sdb
                  Ebs:
                    VolumeType: gp2
        """
    )
    assert found("t.yaml", text, frozenset({"PERF019"})) == {(13, "PERF019")}


def test_yaml_hash_in_quoted_or_block_scalars_is_not_a_suppression() -> None:
    text = YAML_DB.replace(
        "      Engine: mysql\n",
        "      Engine: mysql\n"
        '      DBName: "a # iacperf:ignore PERF021"\n'
        "      Tags:\n"
        "        - Key: note\n"
        "          Value: |\n"
        "            # iacperf:ignore PERF021\n"
        "            text\n"
        "        - Key: x#iacperf:ignore\n"
        "          Value: y\n",
    )
    assert template_of("t.yaml", text).suppressions == ()
    assert (line_of(text, "StorageType"), "PERF021") in found("t.yaml", text)


def test_yaml_file_level_and_a_broken_file() -> None:
    text = "# iacperf:ignore-file PERF021\n" + YAML_DB
    assert found("t.yaml", text) == {(3, "PERF026"), (7, "PERF024")}
    broken = "# iacperf:ignore-file PERF000\nResources:\n  Db: [\n    Type: AWS::EC2::Volume\n"
    assert found("t.yaml", broken, frozenset({"PERF000"})) == set()
    assert found("t.yaml", broken.replace("PERF000", "PERF001"), frozenset({"PERF000"}))


# ---------------------------------------------------------------------------
# CloudFormation JSON (Metadata) and Terraform JSON ("//")


def cfn_json(metadata: object = None, template_metadata: object = None) -> str:
    resource: dict[str, object] = {"Type": "AWS::RDS::DBInstance"}
    if metadata is not None:
        resource["Metadata"] = metadata
    resource["Properties"] = {
        "Engine": "mysql",
        "DBInstanceClass": "db.m4.large",
        "StorageType": "standard",
        "AllocatedStorage": "20",
    }
    document: dict[str, object] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if template_metadata is not None:
        document["Metadata"] = template_metadata
    document["Resources"] = {"Db": resource}
    return json.dumps(document, indent=2) + "\n"


def json_found(text: str, select: frozenset[str] = RDS) -> set[str]:
    return {f.code for f in lint("t.json", text, select)}


def test_json_metadata_codes_names_and_objects() -> None:
    assert json_found(cfn_json()) == {"PERF021", "PERF024", "PERF026"}
    plain = cfn_json({"iacperf": {"ignore": ["PERF021", "rds-previous-generation"]}})
    assert json_found(plain) == {"PERF026"}
    objects = cfn_json(
        {
            "iacperf": {
                "ignore": [
                    {"code": "PERF021", "until": "2999-12-31", "reason": "cold data"},
                    {"code": "PERF024", "until": "2001-01-01", "reason": "sized later"},
                ]
            }
        }
    )
    findings = {f.code: f for f in lint("t.json", objects)}
    assert set(findings) == {"PERF024", "PERF026"}
    assert findings["PERF024"].message.endswith("(suppression expired 2001-01-01)")
    item = findings["PERF024"].related[-1].range
    assert objects.split("\n")[item.start.line].strip().startswith("{")


def test_json_template_metadata_ignore_file() -> None:
    text = cfn_json(template_metadata={"iacperf": {"ignore-file": ["PERF026", "PERF024"]}})
    assert json_found(text) == {"PERF021"}


def test_json_metadata_in_yaml_works_too() -> None:
    text = YAML_DB.replace(
        "    Properties:\n",
        "    Metadata:\n      iacperf:\n        ignore: [PERF021]\n    Properties:\n",
    )
    assert {code for _, code in found("t.yaml", text)} == {"PERF024", "PERF026"}


def test_a_string_in_json_is_not_a_suppression() -> None:
    text = cfn_json().replace('"mysql"', '"mysql # iacperf:ignore PERF021"')
    assert json_found(text) == {"PERF021", "PERF024", "PERF026"}
    assert template_of("t.json", text).suppressions == ()


TF_JSON = """\
{
  "//": "iacperf:ignore-file PERF026",
  "resource": {
    "aws_db_instance": {
      "db": {
        "//": "iacperf:ignore PERF021 -- cold data",
        "engine": "mysql",
        "instance_class": "db.m4.large",
        "storage_type": "standard",
        "allocated_storage": 20
      }
    }
  }
}
"""


def test_terraform_json_comment_properties() -> None:
    assert found("main.tf.json", TF_JSON) == {(7, "PERF024")}
    unused = lint("main.tf.json", TF_JSON.replace("PERF021 --", "PERF021,PERF019 --"), PERF900)
    [report] = unused
    assert report.message.startswith("Unused suppression of PERF019")
    assert report.fix is not None
    fixed = apply_edits(TF_JSON.replace("PERF021 --", "PERF021,PERF019 --"), report.fix.edits)
    assert fixed == TF_JSON


# ---------------------------------------------------------------------------
# PERF900: unused and malformed suppressions


def test_perf900_is_opt_in() -> None:
    assert UNUSED_SUPPRESSION in known_rules()
    assert by_code_or_name()["unused-suppression"] is UNUSED_SUPPRESSION
    assert not Selection().enabled(UNUSED_SUPPRESSION)
    assert not Selection(select=frozenset({"PERF019"})).enabled(UNUSED_SUPPRESSION)
    assert Selection(select=frozenset({"unused-suppression"})).enabled(UNUSED_SUPPRESSION)
    assert not Selection(select=PERF900, ignore=PERF900).enabled(UNUSED_SUPPRESSION)
    text = db_with("# iacperf:ignore PERF019", "resource")
    assert "PERF900" not in {f.code for f in lint_text("main.tf", text)}


def test_unused_suppression_is_reported_and_its_fix_removes_the_line() -> None:
    text = db_with("# iacperf:ignore PERF019 -- was a gp2 volume", "resource")
    [report] = lint("main.tf", text, PERF900)
    assert (report.code, report.severity.value, report.resource) == (
        "PERF900",
        "information",
        "aws_db_instance.db",
    )
    assert report.range.start.line == 0 and report.range.start.character == 0
    assert report.fix is not None and report.fix.applicability is Applicability.SAFE
    fixed, applied = apply_fixes(text, [report], Applicability.SAFE)
    assert (fixed, applied) == (DB, 1)


def test_partly_used_suppression_drops_the_unused_codes() -> None:
    text = db_with("# iacperf:ignore PERF021,PERF024 -- legacy", "storage_type")
    [report] = lint("main.tf", text, PERF900)
    assert report.message.startswith("Unused suppression of PERF024")
    assert report.fix is not None
    fixed = apply_edits(text, report.fix.edits)
    assert "# iacperf:ignore PERF021 -- legacy" in fixed
    assert lint("main.tf", fixed, PERF900) == []
    assert found("main.tf", fixed) == found("main.tf", text)


def test_trailing_unused_suppression_fix_keeps_the_code() -> None:
    text = DB.replace('"mysql"', '"mysql" # iacperf:ignore PERF021')
    [report] = lint("main.tf", text, PERF900)
    assert report.fix is not None
    assert apply_edits(text, report.fix.edits) == DB


def test_used_and_expired_suppressions_are_not_unused() -> None:
    text = db_with("# iacperf:ignore PERF021 until=2001-01-01", "storage_type")
    text = "# iacperf:ignore-file PERF026\n" + text
    assert lint("main.tf", text, PERF900) == []


def test_unused_judgement_does_not_depend_on_the_selection() -> None:
    # PERF024 is used: it hides a finding even though only PERF021 and PERF900 are selected.
    text = db_with("# iacperf:ignore PERF024", "instance_class")
    assert found("main.tf", text, frozenset({"PERF021", "PERF900"})) == {(4, "PERF021")}
    also_ignored = Selection(select=PERF900, ignore=frozenset({"PERF024"}))
    assert lint_text("main.tf", text, also_ignored) == []


def test_unused_bare_file_level_and_json_metadata_items() -> None:
    text = '# iacperf:ignore-file\nvariable "size" {\n  default = 10\n}\n'
    [report] = lint("main.tf", text, PERF900)
    assert report.message == "Unused suppression: it hides no finding"
    document = cfn_json({"iacperf": {"ignore": ["PERF021", "PERF019"]}})
    [report] = lint("t.json", document, PERF900)
    assert report.message.startswith("Unused suppression of PERF019")
    assert report.fix is not None
    fixed = apply_edits(document, report.fix.edits)
    assert json.loads(fixed)["Resources"]["Db"]["Metadata"] == {"iacperf": {"ignore": ["PERF021"]}}


def test_yaml_unused_block_list_item_is_removed_with_its_line() -> None:
    text = YAML_DB.replace(
        "    Properties:\n",
        "    Metadata:\n      iacperf:\n        ignore:\n          - PERF021\n"
        "          - PERF019\n    Properties:\n",
    )
    [report] = lint("t.yaml", text, PERF900)
    assert report.fix is not None
    assert apply_edits(text, report.fix.edits) == text.replace("          - PERF019\n", "")


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("# iacperf:ignore PERF999", "Suppression names unknown rule 'PERF999'"),
        ("# iacperf:ignore no-such-rule", "Suppression names unknown rule 'no-such-rule'"),
        ("# iacperf:ignore PERF021 until=2027-02-30", "Suppression invalid date '2027-02-30'"),
        ("# iacperf:ignore PERF021 until=31/12/2999", "Suppression invalid date '31/12/2999'"),
        ("# iacperf:ignore -- no codes", "Suppression names no rule"),
        ("# iacperf:ignore PERF021 until=2999-12-31 because", "Suppression unexpected 'because'"),
    ],
)
def test_malformed_suppressions_are_reported_and_never_crash(comment: str, message: str) -> None:
    text = db_with(comment, "storage_type")
    reports = [f.message for f in lint("main.tf", text, PERF900)]
    assert any(m.startswith(message) for m in reports), reports
    assert all(f.code == "PERF900" for f in lint("main.tf", text, PERF900))


def test_a_suppression_that_cannot_be_read_does_not_hide_and_says_why() -> None:
    text = db_with("# iacperf:ignore PERF021 until=2027-02-30", "storage_type")
    [finding] = [f for f in lint("main.tf", text) if f.code == "PERF021"]
    assert finding.message.endswith(
        "(suppression ignored: invalid date '2027-02-30'; write until=YYYY-MM-DD)"
    )
    unknown_and_known = db_with("# iacperf:ignore PERF999,PERF021", "storage_type")
    assert (4, "PERF021") not in found("main.tf", unknown_and_known)


def test_malformed_json_metadata() -> None:
    document = cfn_json(
        {"iacperf": {"ignore": [{"code": "PERF021", "until": "soon"}, 42, {"reason": "x"}]}}
    )
    messages = sorted(f.message for f in lint("t.json", document, PERF900))
    assert messages == [
        "Suppression an ignore item is a rule code or {code, until, reason}",
        "Suppression invalid date 'soon'; write YYYY-MM-DD",
        "Suppression names no rule; give a code",
    ]
    assert "PERF021" in json_found(document)
    not_a_list = cfn_json({"iacperf": {"ignore": "PERF021"}})
    [report] = lint("t.json", not_a_list, PERF900)
    assert report.message == "Suppression Metadata iacperf ignore must be a list of rule codes"


def test_perf900_can_itself_be_suppressed_for_the_file() -> None:
    text = "# iacperf:ignore-file PERF900\n" + db_with("# iacperf:ignore PERF019", "resource")
    assert lint("main.tf", text, PERF900) == []


# ---------------------------------------------------------------------------
# The model the parsers fill


def test_suppression_model_fields() -> None:
    text = db_with("# iacperf:ignore PERF021,PERF024 until=2999-12-31 -- Q1 migration", "storage")
    [s] = template_of("main.tf", text).suppressions
    assert isinstance(s, Suppression)
    assert (s.codes, s.line, s.target, s.reason, s.file_level) == (
        ("PERF021", "PERF024"),
        3,
        4,
        "Q1 migration",
        False,
    )
    assert str(s.until) == "2999-12-31"
    line = text.split("\n")[3]
    assert s.range.start.character == 2 and s.range.end.character == len(line)
    assert s.codes_range is not None
    start, end = s.codes_range.start.character, s.codes_range.end.character
    assert line[start:end] == "PERF021,PERF024"


# ---------------------------------------------------------------------------
# suppression_edit: the "Ignore PERFxxx for this resource" code action


def _ignore(path: str, text: str, code: str, reason: str = "reviewed") -> str:
    template = template_of(path, text)
    [finding] = [f for f in lint(path, text) if f.code == code]
    [resource] = [r for r in template.resources if r.address == finding.resource]
    edit = suppression_edit(resource, code, reason, template.suppressions)
    assert edit is not None
    return apply_edits(text, [edit])


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_edit_in_terraform(nl: str) -> None:
    text = ('variable "x" {}\n\n' + DB).replace("\n", nl)
    edited = _ignore("main.tf", text, "PERF024", "sized\nlater")
    assert edited == text.replace(
        'resource "aws', f"# iacperf:ignore PERF024 -- sized later{nl}resource " + '"aws'
    )
    assert not template_of("main.tf", edited).errors
    assert {code for _, code in found("main.tf", edited)} == {"PERF021", "PERF026"}
    again = _ignore("main.tf", edited, "PERF021")
    assert "# iacperf:ignore PERF024,PERF021 -- sized later" + nl in again
    assert {code for _, code in found("main.tf", again)} == {"PERF026"}


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_edit_in_yaml(nl: str) -> None:
    text = YAML_DB.replace("\n", nl)
    edited = _ignore("t.yaml", text, "PERF026")
    assert f"{nl}  # iacperf:ignore PERF026 -- reviewed{nl}  Db:{nl}" in edited
    assert not template_of("t.yaml", edited).errors
    assert {code for _, code in found("t.yaml", edited)} == {"PERF021", "PERF024"}
    if nl == "\r\n":
        assert edited.count("\n") == edited.count("\r\n")


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_edit_in_cloudformation_json(nl: str) -> None:
    text = cfn_json().replace("\n", nl)
    edited = _ignore("t.json", text, "PERF021", reason="")
    assert json.loads(edited)["Resources"]["Db"]["Metadata"] == {"iacperf": {"ignore": ["PERF021"]}}
    assert json_found(edited) == {"PERF024", "PERF026"}
    edited = _ignore("t.json", edited, "PERF024", reason="sized later")
    assert json.loads(edited)["Resources"]["Db"]["Metadata"]["iacperf"]["ignore"] == [
        "PERF021",
        {"code": "PERF024", "reason": "sized later"},
    ]
    assert json_found(edited) == {"PERF026"}
    if nl == "\r\n":
        assert edited.count("\n") == edited.count("\r\n")


def test_edit_extends_existing_metadata() -> None:
    for metadata in ({"Owner": "db-team"}, {"iacperf": {}}, {"iacperf": {"ignore": []}}):
        text = cfn_json(metadata)
        edited = _ignore("t.json", text, "PERF026", reason="")
        got = json.loads(edited)["Resources"]["Db"]["Metadata"]
        assert got["iacperf"]["ignore"] == ["PERF026"]
        assert got.get("Owner") == metadata.get("Owner")
        assert json_found(edited) == {"PERF021", "PERF024"}


def test_edit_in_terraform_json() -> None:
    text = TF_JSON.replace('        "//": "iacperf:ignore PERF021 -- cold data",\n', "")
    edited = _ignore("main.tf.json", text, "PERF024")
    body = json.loads(edited)["resource"]["aws_db_instance"]["db"]
    assert body["//"] == "iacperf:ignore PERF024 -- reviewed"
    assert found("main.tf.json", edited) == {(7, "PERF021")}
    again = _ignore("main.tf.json", edited, "PERF021")
    body = json.loads(again)["resource"]["aws_db_instance"]["db"]
    assert body["//"] == "iacperf:ignore PERF024,PERF021 -- reviewed"
    assert found("main.tf.json", again) == set()


# ---------------------------------------------------------------------------
# The CLI honours them


def test_cli_check_honours_suppressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "main.tf"
    path.write_text(db_with("# iacperf:ignore PERF021,PERF024,PERF026", "resource"))
    assert main(["check", "--select", "PERF021,PERF024,PERF026", str(path)]) == 0
    assert "Found 0 findings" in capsys.readouterr().out
    assert main(["check", "--select", "PERF900", "--format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    path.write_text(db_with("# iacperf:ignore PERF019", "resource"))
    assert main(["check", "--select", "PERF900", "--fix", str(path)]) == 0
    assert path.read_text() == DB


def test_ignore_finding_edit_finds_the_resource() -> None:
    template = template_of("main.tf", DB)
    [finding] = [f for f in lint("main.tf", DB) if f.code == "PERF024"]
    edit = ignore_finding_edit(template, finding, "sized later")
    assert edit is not None
    edited = apply_edits(DB, [edit])
    assert edited == "# iacperf:ignore PERF024 -- sized later\n" + DB
    parse_error = lint_text(
        "main.tf", DB + "resource {\n", Selection(select=frozenset({"PERF000"}))
    )
    assert ignore_finding_edit(template, parse_error[0]) is None
