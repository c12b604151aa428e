"""Half-typed text is the normal case: no popups, no error responses, findings that match
a fresh analysis of every version the server published for."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from iacperf.server.analysis import lint_text
from iacperf.server.engine import Finding

from .support import Client, keys, units

pytestmark = pytest.mark.asyncio(loop_scope="module")

TF = """\
# storage
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp2"
  tags = {
    Name = "data-${var.env}"
  }
}

resource "aws_db_instance" "orders" {
  engine         = "postgres"
  instance_class = "db.m4.large"
  storage_type   = "standard"
}
"""

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Data:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: !Select [0, !GetAZs ""]
      Size: 100
      VolumeType: gp2
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Architectures: [x86_64]
"""


def fresh(path: Path, text: str, encoding: str) -> list[tuple[object, ...]]:
    """What a from-scratch analysis of ``text`` reports (the server parses incrementally)."""

    def as_key(f: Finding) -> tuple[object, ...]:
        lines = text.split("\n")

        def place(line: int, character: int) -> tuple[int, int]:
            if line >= len(lines):  # past the end: clients get the end of the text
                return len(lines) - 1, units(lines[-1], encoding)
            return line, units(lines[line][:character], encoding)

        r = f.range
        return (
            f.code,
            *place(r.start.line, r.start.character),
            *place(r.end.line, r.end.character),
        )

    return sorted(as_key(f) for f in lint_text(str(path), text))


async def type_out(client: Client, path: Path, final: str) -> dict[int, str]:
    """Open an empty file and type ``final`` one character per change; returns the text of
    every version. Every few characters, hover and ask for code actions where the cursor is,
    as an editor does while the user types."""
    path.write_text("")
    uri = client.open(path, "")
    texts = {1: ""}
    line, column = 0, 0
    for index, char in enumerate(final):
        version = index + 2
        position = types.Position(line, units(final.split("\n")[line][:column], client.encoding))
        client.change(uri, version, char, position, position)
        texts[version] = final[: index + 1]
        line, column = (line + 1, 0) if char == "\n" else (line, column + 1)
        if index % 9 == 0:
            at = types.TextDocumentIdentifier(uri=uri)
            await client.text_document_hover_async(types.HoverParams(at, position))
            await client.text_document_code_action_async(
                types.CodeActionParams(
                    at, types.Range(position, position), types.CodeActionContext(diagnostics=[])
                )
            )
    return texts


async def check_typing(client: Client, name: str, final: str) -> None:
    path = client.root / name
    texts = await type_out(client, path, final)
    uri = path.as_uri()
    last = max(texts)
    await client.diagnostics_for(uri, last)
    assert keys(client.diagnostics[uri]) == fresh(path, final, client.encoding)
    for params in client.published_for(uri):
        assert params.version is not None
        assert keys(params.diagnostics) == fresh(path, texts[params.version], client.encoding), (
            f"version {params.version}: {texts[params.version]!r}"
        )
    assert client.messages == [], "no popups while typing"
    failures = [m.message for m in client.log_messages if "failed" in m.message]
    assert failures == []


async def test_typing_a_terraform_file_character_by_character(shared: Client) -> None:
    await check_typing(shared, "main.tf", TF)
    codes = sorted({d.code for d in shared.diagnostics[(shared.root / "main.tf").as_uri()]})
    # The typed-out file ends with these findings among others (every version above was
    # compared with a fresh analysis, whatever the rule set).
    assert {"PERF019", "PERF021", "PERF024", "PERF026", "PERF049"} <= set(codes)


async def test_typing_a_cloudformation_template_character_by_character(shared: Client) -> None:
    await check_typing(shared, "template.yaml", CFN)
    codes = sorted({d.code for d in shared.diagnostics[(shared.root / "template.yaml").as_uri()]})
    assert {"PERF010", "PERF012", "PERF019", "PERF049"} <= set(codes)
