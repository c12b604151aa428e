"""report_unknown: PERF901 says which rule a value it cannot know kept from deciding, once
per resource and rule, on that value; off by default."""

from __future__ import annotations

from iacperf.rules.api import Severity
from iacperf.rules.builtin import UNKNOWN_VALUE
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.parsing import parse_text
from iacperf.server.rule_memo import RuleMemo

REPORT = Selection(report_unknown=True)

VOLUME = """\
variable "volume_type" {
  type = string
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = var.volume_type
}
"""


def _lint(path: str, text: str, selection: Selection = REPORT) -> list[Finding]:
    template, _ = parse_text(path, text)
    assert template is not None
    return lint([template], selection)


def _unknown(findings: list[Finding]) -> list[str]:
    return [f.message for f in findings if f.rule is UNKNOWN_VALUE]


def test_off_by_default() -> None:
    assert not Selection().enabled(UNKNOWN_VALUE)
    assert _lint("m/main.tf", VOLUME, Selection()) == []


def test_each_rule_that_reads_the_unknown_value_is_named_on_it() -> None:
    found = _lint("m/main.tf", VOLUME)
    assert {f.code for f in found} == {"PERF901"}
    assert sorted(f.message.split(" ")[0] for f in found) == ["PERF019", "PERF020", "PERF021"]
    for finding in found:
        assert finding.severity is Severity.INFORMATION
        assert finding.resource == "aws_ebs_volume.data"
        assert (finding.range.start.line, finding.range.start.character) == (7, 22)
        assert finding.message.endswith(
            "could not be evaluated: `type` is `var.volume_type`, "
            "a variable without a default or tfvars value"
        )
    (gp2,) = [f for f in found if f.message.startswith("PERF019")]
    assert gp2.message.startswith("PERF019 (EBS gp2 volume (migrate to gp3)) could not be")


def test_a_known_value_or_a_finding_leaves_nothing_to_report() -> None:
    known = VOLUME.replace("var.volume_type", '"gp3"')
    assert _lint("m/main.tf", known) == []
    bad = VOLUME.replace("var.volume_type", '"gp2"')
    assert [f.code for f in _lint("m/main.tf", bad)] == ["PERF019"]


def test_the_value_is_explained_in_the_modules_terms() -> None:
    def why(value: str, extra: str = "") -> list[str]:
        text = extra + VOLUME.replace("var.volume_type", value)
        return sorted({m.split(": ", 1)[1] for m in _unknown(_lint("m/main.tf", text))})

    assert why("var.other") == ["`type` is `var.other`, a variable this module does not declare"]
    assert why("local.kind", 'locals {\n  kind = lower("GP3")\n}\n') == [
        "`type` is `local.kind`, a local known only when Terraform runs"
    ]
    assert why('lower("GP2")') == ['`type` is `lower("GP2")`, known only when Terraform runs']


CFN = """\
Parameters:
  Size:
    Type: String
  Either:
    Type: String
    AllowedValues: [gp2, gp3]
Resources:
  Disk:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: !Select [0, !GetAZs ""]
      Size: 10
      VolumeType: !Ref Size
  Decided:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 10
      VolumeType: !Ref Either
"""


def test_cloudformation_parameters_without_a_default() -> None:
    found = _lint("t.yaml", CFN, Selection(select=frozenset({"PERF019"}), report_unknown=True))
    (finding,) = found  # Decided: every allowed value was checked, one is fine
    assert (finding.resource, finding.range.start.line) == ("Disk", 12)
    assert finding.message == (
        "PERF019 (EBS gp2 volume (migrate to gp3)) could not be evaluated: "
        "`VolumeType` is `!Ref Size`, a parameter without a Default"
    )


def test_selection_and_suppression_apply() -> None:
    only = Selection(select=frozenset({"PERF019"}), report_unknown=True)
    assert [m.split(" ")[0] for m in _unknown(_lint("m/main.tf", VOLUME, only))] == ["PERF019"]
    ignored = Selection(ignore=frozenset({"unknown-value"}), report_unknown=True)
    assert _lint("m/main.tf", VOLUME, ignored) == []
    # Selecting PERF901 by code turns it on as well.
    selected = Selection(select=frozenset({"PERF019", "PERF901"}))
    assert len(_unknown(_lint("m/main.tf", VOLUME, selected))) == 1
    suppressed = VOLUME.replace(
        'resource "aws_ebs_volume"',
        '# iacperf:ignore PERF901 -- set per stage\nresource "aws_ebs_volume"',
    )
    assert _lint("m/main.tf", suppressed) == []


def test_the_language_server_memo_follows_the_setting() -> None:
    memo = RuleMemo()
    template, _ = parse_text("m/main.tf", VOLUME)
    assert template is not None
    assert len(lint([template], REPORT, memo=memo)) == 3
    assert lint([template], Selection(), memo=memo) == []
    assert len(lint([template], REPORT, memo=memo)) == 3
