"""Push diagnostics: exact ranges and versions while a document is opened and edited."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lsprotocol import types

from .support import DOCS, Client, expect, keys
from .support import SAM_GLOBALS_TEMPLATE as SAM

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()

TF = 'resource "aws_ebs_volume" "data" {\n  size = 100\n  type = "gp2"\n}\n'


def folder(client: Client) -> Path:
    """A fresh Terraform module (directory) in the shared workspace."""
    path = client.root / f"m{next(_folders)}"
    path.mkdir()
    return path


async def test_edits_in_a_row_give_exact_ranges_for_each_version(shared: Client) -> None:
    path = folder(shared) / "main.tf"
    path.write_text(TF)
    text = TF
    uri = shared.open(path, text)
    assert keys(await shared.diagnostics_for(uri, 1)) == [
        expect("PERF019", shared.span(text, 2, '"gp2"'))
    ]

    # v2: a comment line above the resource moves the finding down one line.
    shared.change(uri, 2, "# data volume\n", types.Position(0, 0), types.Position(0, 0))
    text = "# data volume\n" + text
    assert keys(await shared.diagnostics_for(uri, 2)) == [
        expect("PERF019", shared.span(text, 3, '"gp2"'))
    ]

    # v3: gp2 -> gp3 inside the string clears it.
    shared.change(uri, 3, "gp3", types.Position(3, 10), types.Position(3, 13))
    text = text.replace("gp2", "gp3")
    assert await shared.diagnostics_for(uri, 3) == []

    # v4: two changes in one notification, applied in order: a second volume without a
    # type is appended, then the comment line is removed (which moves it up again).
    added = 'resource "aws_ebs_volume" "logs" {\n  size = 10\n}\n'
    shared.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(5, 0), types.Position(5, 0)),
                    text="\n" + added,
                ),
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(0, 0), types.Position(1, 0)), text=""
                ),
            ],
        )
    )
    text = text.removeprefix("# data volume\n") + "\n" + added
    header = 'resource "aws_ebs_volume" "logs"'
    assert keys(await shared.diagnostics_for(uri, 4)) == [
        expect("PERF019", shared.span(text, 5, header))
    ]

    # v5: deleting the whole second block (a multi-line range) clears it.
    shared.change(uri, 5, "", types.Position(4, 0), types.Position(8, 0))
    assert await shared.diagnostics_for(uri, 5) == []
    versions = [p.version for p in shared.published_for(uri)]
    assert sorted(set(versions)) == [1, 2, 3, 4, 5] and versions == sorted(versions)


async def test_outdated_versions_are_never_published(shared: Client) -> None:
    """Changes sent in a burst: every publication describes the text of its version."""
    path = folder(shared) / "main.tf"
    path.write_text(TF)
    uri = shared.open(path, TF)
    texts = {1: TF}
    for version in range(2, 9):
        # Each version adds one line on top, so each version's finding is on its own line.
        shared.change(uri, version, f"# v{version}\n", types.Position(0, 0), types.Position(0, 0))
        texts[version] = f"# v{version}\n" + texts[version - 1]

    await shared.diagnostics_for(uri, 8)
    # A barrier: analyses run one at a time, in order, so once another module's result is
    # in, no analysis of ``uri`` is still running.
    other = folder(shared) / "other.tf"
    other.write_text(TF)
    await shared.diagnostics_for(shared.open(other, TF), 1)

    published = shared.published_for(uri)
    assert published, "nothing was published"
    for params in published:
        assert params.version in texts
        text = texts[params.version]
        line = text.split("\n").index('  type = "gp2"')
        assert keys(params.diagnostics) == [expect("PERF019", shared.span(text, line, '"gp2"'))]
    assert published[-1].version == 8
    versions = [p.version for p in published]
    assert versions == sorted(versions), "an older result arrived after a newer one"


async def test_each_diagnostic_carries_code_link_source_severity_and_fix(shared: Client) -> None:
    path = folder(shared) / "main.tf"
    path.write_text(TF)
    uri = shared.open(path, TF)
    (diagnostic,) = await shared.diagnostics_for(uri, 1)
    gp2 = shared.span(TF, 2, '"gp2"')
    assert diagnostic.range == gp2
    assert diagnostic.message == "EBS volume type is gp2; use gp3"
    assert diagnostic.code == "PERF019"
    assert diagnostic.code_description == types.CodeDescription(href=DOCS.format("PERF019"))
    assert diagnostic.source == "iacperf"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.related_information is None
    assert diagnostic.data == {
        "code": "PERF019",
        "resource": "aws_ebs_volume.data",
        "fix": {
            "title": "Change volume type to gp3",
            "applicability": "safe",
            "edits": [
                {
                    "range": {
                        "start": {"line": 2, "character": gp2.start.character},
                        "end": {"line": 2, "character": gp2.end.character},
                    },
                    "newText": '"gp3"',
                }
            ],
        },
    }


async def test_a_value_from_sam_globals_is_related_information(shared: Client) -> None:
    path = folder(shared) / "template.yaml"
    path.write_text(SAM)
    uri = shared.open(path, SAM)
    diagnostics = await shared.diagnostics_for(uri, 1)
    orders = shared.span(SAM, 7, "Orders")
    assert keys(diagnostics) == [expect("PERF010", orders), expect("PERF049", orders)]
    perf010 = next(d for d in diagnostics if d.code == "PERF010")
    assert perf010.severity == types.DiagnosticSeverity.Hint
    assert list(perf010.related_information or ()) == [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=uri,
                range=types.Range(shared.position(SAM, 4, 4), shared.position(SAM, 5, 14)),
            ),
            message="Architectures is set in Globals.Function",
        )
    ]
    assert perf010.data["fix"] == {
        "title": "Set Globals.Function.Architectures to arm64",
        "applicability": "unsafe",
        "edits": [
            {
                "range": {
                    "start": {"line": 5, "character": 8},
                    "end": {"line": 5, "character": 14},
                },
                "newText": "arm64",
            }
        ],
    }
    # A display-only fix travels too, without edits.
    perf049 = next(d for d in diagnostics if d.code == "PERF049")
    assert perf049.data["fix"]["applicability"] == "display-only"
    assert perf049.data["fix"]["edits"] == []


NON_ASCII = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  App:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        BlockDeviceMappings:
          - DeviceName: /dev/xvda
            Ebs: {Note: "données 📦", VolumeType: gp2, VolumeSize: 30}
"""


async def test_columns_are_in_the_negotiated_position_encoding(shared: Client) -> None:
    """VS Code counts UTF-16 units, Neovim UTF-8 bytes: the same finding, other columns."""
    path = folder(shared) / "template.yaml"
    path.write_text(NON_ASCII)
    uri = shared.open(path, NON_ASCII)
    diagnostics = await shared.diagnostics_for(uri, 1)
    row = NON_ASCII.split("\n")[8]
    before = row[: row.index("gp2")]
    expected_start = {"utf-8": len(before.encode()), "utf-16": len(before) + 1}[shared.encoding]
    (perf019,) = [d for d in diagnostics if d.code == "PERF019"]
    assert perf019.range == types.Range(
        types.Position(8, expected_start), types.Position(8, expected_start + 3)
    )
    assert perf019.data["fix"]["edits"][0]["range"]["start"]["character"] == expected_start


BROKEN = """\
resource "aws_ebs_volume" "a" {
  size = 10
  type = "gp2"
}

resource "aws_ebs_volume" "b" {
  size =
  type = "gp2"
}

resource "aws_ebs_volume" "c" {
  size = 10
  type = "standard"
}
"""


async def test_a_syntax_error_costs_only_its_own_block(shared: Client) -> None:
    path = folder(shared) / "main.tf"
    good = BROKEN.replace("  size =\n", "  size = 10\n")
    path.write_text(good)
    uri = shared.open(path, good)
    assert keys(await shared.diagnostics_for(uri, 1)) == [
        expect("PERF019", shared.span(good, 2, '"gp2"')),
        expect("PERF019", shared.span(good, 7, '"gp2"')),
        expect("PERF021", shared.span(good, 12, '"standard"')),
    ]
    # Deleting the value of "b"'s size breaks only block "b".
    shared.change(uri, 2, "", types.Position(6, 8), types.Position(6, 11))
    diagnostics = await shared.diagnostics_for(uri, 2)
    assert keys(diagnostics) == [
        ("PERF000", 6, 8, 6, 8),
        expect("PERF019", shared.span(BROKEN, 2, '"gp2"')),
        expect("PERF021", shared.span(BROKEN, 12, '"standard"')),
    ]
    (error,) = [d for d in diagnostics if d.code == "PERF000"]
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.message == "Terraform syntax error: unexpected end of line"
    assert not shared.messages, "a syntax error must not pop up a message"
    # Typing the value back brings block "b"'s finding back.
    shared.change(uri, 3, " 10", types.Position(6, 8), types.Position(6, 8))
    assert keys(await shared.diagnostics_for(uri, 3)) == [
        expect("PERF019", shared.span(good, 2, '"gp2"')),
        expect("PERF019", shared.span(good, 7, '"gp2"')),
        expect("PERF021", shared.span(good, 12, '"standard"')),
    ]


async def test_closing_a_document_clears_its_diagnostics(shared: Client) -> None:
    path = folder(shared) / "main.tf"
    path.write_text(TF)
    uri = shared.open(path, TF)
    assert await shared.diagnostics_for(uri, 1)
    seen = len(shared.published)
    shared.close(uri)
    assert await shared.diagnostics_for(uri, None, after=seen) == []


async def test_files_that_are_not_iac_get_no_diagnostics(shared: Client) -> None:
    base = folder(shared)
    config = base / "settings.json"
    config.write_text('{"editor.tabSize": 2}\n')
    uri = shared.open(config, config.read_text())
    # Barrier: analyses run one at a time in the order they were asked for, so once the
    # Terraform file opened afterwards has its diagnostics, the JSON file's would be in.
    tf = base / "main.tf"
    tf.write_text(TF)
    await shared.diagnostics_for(shared.open(tf, TF), 1)
    assert shared.published_for(uri) == []


async def test_paths_that_need_percent_encoding(shared: Client) -> None:
    """The client's URI spells ``@`` and spaces as %40 and %20; replies use its spelling."""
    base = folder(shared) / "@scope" / "my module"
    base.mkdir(parents=True)
    path = base / "main.tf"
    path.write_text(TF)
    uri = shared.open(path, TF)
    assert "%40scope/my%20module" in uri
    gp2 = shared.span(TF, 2, '"gp2"')
    assert keys(await shared.diagnostics_for(uri, 1)) == [expect("PERF019", gp2)]

    at = types.TextDocumentIdentifier(uri=uri)
    hover = await shared.text_document_hover_async(types.HoverParams(at, gp2.start))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**PERF019 ·")
    actions = await shared.text_document_code_action_async(
        types.CodeActionParams(
            at,
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[], only=["source.fixAll.iacperf"]),
        )
    )
    assert [a.title for a in actions or [] if isinstance(a, types.CodeAction)] == [
        "iacperf: fix all safe findings (1)"
    ]

    # A neighbour typed into the same module re-checks it, under the client's URI.
    seen = len(shared.published)
    other = shared.open(base / "more.tf", "")
    shared.change(other, 2, "# nothing\n", types.Position(0, 0), types.Position(0, 0))
    await shared.diagnostics_for(other, 2, after=seen)
    assert {p.uri for p in shared.published[seen:]} == {uri, other}


async def test_a_file_that_stops_being_cloudformation_loses_its_findings(shared: Client) -> None:
    """Half-typed, a template may no longer look like CloudFormation at all."""
    text = (
        "Resources:\n"
        "  Data:\n"
        "    Type: AWS::EC2::Volume\n"
        "    Properties: {AvailabilityZone: eu-west-1a, Size: 10, VolumeType: gp2}\n"
    )
    path = folder(shared) / "template.yaml"
    path.write_text(text)
    uri = shared.open(path, text)
    gp2 = expect("PERF019", shared.span(text, 3, "gp2"))
    assert keys(await shared.diagnostics_for(uri, 1)) == [gp2]
    shared.change(uri, 2, "x", types.Position(0, 1), types.Position(0, 1))  # "Rxesources"
    assert await shared.diagnostics_for(uri, 2) == []
    shared.change(uri, 3, "", types.Position(0, 1), types.Position(0, 2))
    assert keys(await shared.diagnostics_for(uri, 3)) == [gp2]
