"""Hover: the evidence behind a finding, or what was checked on a resource."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lsprotocol import types

from iacperf.rules.api import Rule
from iacperf.rules.docgen import first_paragraph
from iacperf.rules.registry import all_rules, by_code_or_name

from .support import DOCS, Client
from .support import SAM_GLOBALS_TEMPLATE as SAM

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()
COMPLIANCE = {
    "iso_27001_2022": "ISO/IEC 27001:2022",
    "nist_800_53_r5": "NIST SP 800-53 Rev. 5",
    "soc2_tsc": "SOC 2 TSC",
}

TF = """\
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp2"
}

resource "aws_ebs_volume" "defaulted" {
  availability_zone = "eu-west-1a"
  size              = 50
}

variable "type" {
  type = string
}

resource "aws_ebs_volume" "unknown" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = var.type
  tags              = { Name = local.name }
}

resource "aws_sqs_queue" "logs" {
  name   = "logs"
}
"""


def rule(code: str) -> Rule:
    return by_code_or_name()[code]


def evidence(code: str) -> list[str]:
    """The lines every finding hover of ``code`` must hold, in this order."""
    r = rule(code)
    lines = [first_paragraph(r.doc, "Why is this bad?"), "Well-Architected:"]
    lines += [f"- [{bp.id}]({bp.url}) {bp.title}" for bp in r.well_architected]
    lines.append("Evidence:")
    lines += [f"- [{link.title}]({link.url})" for link in r.evidence]
    if r.compliance:
        # Peer tools' ids (checkov, cfn-lint ...) are shown under their own key.
        refs = "; ".join(f"{COMPLIANCE.get(name, name)} {ref}" for name, ref in r.compliance)
        lines.append(f"Compliance: {refs}")
    return lines


def in_order(lines: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appear in ``lines`` as whole lines, in this order."""
    position = 0
    for line in wanted:
        try:
            position = lines.index(line, position) + 1
        except ValueError:
            return False
    return True


async def opened(client: Client, name: str, text: str) -> str:
    folder = client.root / f"h{next(_folders)}"
    folder.mkdir()
    path: Path = folder / name
    path.write_text(text)
    uri = client.open(path, text)
    await client.diagnostics_for(uri, 1)
    return uri


async def hover(client: Client, uri: str, position: types.Position) -> str | None:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_hover_on_a_finding_shows_its_evidence_and_fix(shared: Client) -> None:
    uri = await opened(shared, "main.tf", TF)
    # Anywhere inside "gp2", here on its last character.
    value = await hover(shared, uri, shared.position(TF, 3, 26))
    assert value is not None
    lines = value.split("\n")
    assert lines[:3] == [
        f"**PERF019 · {rule('PERF019').title}** (warning)",
        "",
        "EBS volume type is gp2; use gp3",
    ]
    assert in_order(lines, evidence("PERF019"))
    assert 'Evaluated value: `"gp2"`' in lines
    fix = lines.index("Fix (safe): Change volume type to gp3")
    assert lines[fix + 1 : fix + 4] == ["```", '"gp3"', "```"]
    assert lines[-1] == f"[PERF019 documentation]({DOCS.format('PERF019')})"


async def test_hover_on_a_defaulted_value_shows_no_written_value(shared: Client) -> None:
    uri = await opened(shared, "main.tf", TF)
    value = await hover(shared, uri, shared.position(TF, 6, 10))
    assert value is not None
    lines = value.split("\n")
    assert lines[2] == "EBS volume has no type, so it defaults to gp2; set it to gp3"
    assert not [line for line in lines if line.startswith("Evaluated value")]
    fix = lines.index("Fix (safe): Set volume type to gp3")
    assert lines[fix + 1 : fix + 4] == ["```", '  type              = "gp3"', "```"]


async def test_hover_lists_compliance_references(shared: Client) -> None:
    text = (
        'resource "aws_db_instance" "billing" {\n'
        '  identifier                   = "billing"\n'
        '  engine                       = "mysql"\n'
        '  instance_class               = "db.m7g.large"\n'
        "  allocated_storage            = 100\n"
        "  performance_insights_enabled = false\n"
        '  database_insights_mode       = "standard"\n'
        "}\n"
    )
    assert rule("PERF026").compliance, "PERF026 declares compliance references"
    uri = await opened(shared, "main.tf", text)
    value = await hover(shared, uri, shared.position(text, 5, 33))
    assert value is not None
    lines = value.split("\n")
    assert lines[0] == f"**PERF026 · {rule('PERF026').title}** (information)"
    assert in_order(lines, evidence("PERF026"))
    assert "Evaluated value: `false`" in lines


async def test_hover_names_where_an_inherited_value_came_from(shared: Client) -> None:
    uri = await opened(shared, "template.yaml", SAM)
    value = await hover(shared, uri, shared.position(SAM, 7, 4))
    assert value is not None
    # Two findings on the function's name (PERF010 and PERF049), one section each.
    sections = value.split("\n\n---\n\n")
    assert [s.split("\n")[0].split(" ·")[0] for s in sections] == ["**PERF010", "**PERF049"]
    lines = sections[0].split("\n")
    assert in_order(lines, evidence("PERF010"))
    where = f"{uri.removeprefix('file://')}:5:5"
    assert in_order(
        lines,
        [
            "Evaluated value: `Architectures: - x86_64`",
            f"- from Architectures is set in Globals.Function ({where})",
            "Fix (unsafe): Set Globals.Function.Architectures to arm64",
        ],
    )
    # A display-only fix is advice: its title, no edit preview.
    lines = sections[1].split("\n")
    assert in_order(lines, evidence("PERF049"))
    fix = [line for line in lines if line.startswith("Fix (")]
    assert fix == ["Fix (display-only): Add CloudWatch alarms, for example on Lambda Duration p99"]
    assert "```" not in lines


async def test_hover_on_a_resource_header_lists_the_rules_checked(shared: Client) -> None:
    uri = await opened(shared, "main.tf", TF)
    value = await hover(shared, uri, shared.position(TF, 15, 30))
    ebs = sorted(r.code for r in all_rules() if "aws_ebs_volume" in r.terraform)
    assert {"PERF019", "PERF020", "PERF021"} <= set(ebs)
    checked = ", ".join(f"{code} {rule(code).title}" for code in ebs)
    assert value == (
        "**aws_ebs_volume.unknown** (aws_ebs_volume): no iacperf findings\n"
        "\n"
        f"Checked: {checked}\n"
        "\n"
        "Not known without running Terraform/CloudFormation, so checks that need them stay "
        "silent: `tags.Name`, `type`"
    )
    value = await hover(shared, uri, shared.position(TF, 22, 0))
    assert value == (
        "**aws_sqs_queue.logs** (aws_sqs_queue): no iacperf findings\n"
        "\n"
        "No iacperf rule applies to this resource type."
    )


async def test_hover_on_a_header_names_the_findings_further_down(shared: Client) -> None:
    uri = await opened(shared, "main.tf", TF)
    value = await hover(shared, uri, shared.position(TF, 0, 12))
    assert value is not None
    assert value.split("\n")[0] == "**aws_ebs_volume.data** (aws_ebs_volume): PERF019 (line 4)"


async def test_no_hover_away_from_resources_and_findings(shared: Client) -> None:
    uri = await opened(shared, "main.tf", TF)
    assert await hover(shared, uri, shared.position(TF, 2, 4)) is None  # "size" of "data"
    assert await hover(shared, uri, shared.position(TF, 12, 4)) is None  # inside a variable
    assert await hover(shared, uri, types.Position(400, 0)) is None  # past the end
