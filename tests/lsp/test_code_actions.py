"""Code actions: quick fixes give exactly the rule fixtures' ``.fixed`` files; fix-all."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest
from lsprotocol import types

from .support import (
    DOCS,
    FIXTURES,
    Client,
    apply_text_edits,
    edits_for,
    expect,
    keys,
    offset_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()
FIX_ALL = "source.fixAll.iacperf"
FIXED = sorted(p.with_name(p.name.removesuffix(".fixed")) for p in FIXTURES.glob("*/bad.*.fixed"))


async def opened(client: Client, name: str, text: str) -> tuple[str, list[types.Diagnostic]]:
    folder = client.root / f"c{next(_folders)}"
    folder.mkdir()
    path: Path = folder / name
    path.write_text(text)
    uri = client.open(path, text)
    return uri, await client.diagnostics_for(uri, 1)


async def actions(
    client: Client,
    uri: str,
    at: types.Range,
    diagnostics: Sequence[types.Diagnostic],
    only: list[str] | None = None,
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=at,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )
    found = []
    for item in result or []:
        assert isinstance(item, types.CodeAction), item
        found.append(item)
    return found


async def quick_fix(
    client: Client, uri: str, diagnostic: types.Diagnostic
) -> types.CodeAction | None:
    """The quick fix an editor offers at the diagnostic (None when it has no edits)."""
    offered = await actions(client, uri, diagnostic.range, [diagnostic])
    fixes = [a for a in offered if a.title.startswith(diagnostic.data["fix"]["title"])]
    assert len(fixes) <= 1, offered
    return fixes[0] if fixes else None


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return a[0] < b[1] and b[0] < a[1]


def one_pass(text: str, fixes: Sequence[list[types.TextEdit]], encoding: str) -> str:
    """Apply whole fixes in order, leaving out one that overlaps an earlier one."""
    taken: list[tuple[int, int]] = []
    chosen: list[types.TextEdit] = []
    for edits in fixes:
        spans = [
            (offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding))
            for e in edits
        ]
        if any(overlaps(span, other) for span in spans for other in taken):
            continue
        taken += spans
        chosen += edits
    return apply_text_edits(text, chosen, encoding)


@pytest.mark.parametrize("bad", FIXED, ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_quick_fixes_give_the_fixed_fixture(shared: Client, bad: Path) -> None:
    code = bad.parent.name
    text = bad.read_text(encoding="utf-8")
    uri, diagnostics = await opened(shared, bad.name, text)
    for diagnostic in diagnostics:
        assert diagnostic.source == "iacperf"
        assert diagnostic.code_description == types.CodeDescription(
            href=DOCS.format(diagnostic.code)
        )
        assert diagnostic.severity is not None
        assert diagnostic.data["code"] == diagnostic.code
    mine = [d for d in diagnostics if d.code == code]
    assert mine, f"{code} reports nothing on {bad.name}"
    fixes = []
    for diagnostic in mine:
        action = await quick_fix(shared, uri, diagnostic)
        applicability = diagnostic.data["fix"]["applicability"] if diagnostic.data else None
        if applicability in (None, "display-only"):
            assert action is None, f"no quick fix for {applicability}: {action}"
            continue
        assert action is not None, f"no quick fix for {diagnostic}"
        assert action.kind == types.CodeActionKind.QuickFix
        assert action.title == f"{diagnostic.data['fix']['title']} ({code})"
        assert list(action.diagnostics or ()) == [diagnostic]
        assert action.is_preferred is (applicability == "safe")
        fixes.append(edits_for(action, uri))
    fixed = one_pass(text, fixes, shared.encoding)
    assert fixed == bad.with_name(bad.name + ".fixed").read_text(encoding="utf-8")

    # The fixed text, typed into the editor, converges: nothing fixable of the rule is left.
    shared.replace_all(uri, 2, text, fixed)
    after = await shared.diagnostics_for(uri, 2)
    assert [d for d in after if d.code == code and (d.data or {}).get("fix", {}).get("edits")] == []
    assert [d for d in after if d.code == "PERF000"] == []


TF = """\
resource "aws_ebs_volume" "data" {
  size = 100
  type = "gp2"
}

resource "aws_ebs_volume" "logs" {
  size = 10
}

resource "aws_ebs_volume" "cold" {
  size = 500
  type = "standard"
}

resource "aws_instance" "web" {
  monitoring    = true # detailed monitoring on: PERF004 stays quiet
  instance_type = "m7g.large"

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_type = "gp2"
  }
}
"""

# Every safe fix. Unsafe ones stay: "standard" -> gp3 (PERF021 rates the change unsafe) and
# the instance's ebs_block_device (replaces the instance); so does display-only advice.
TF_FIXED = """\
resource "aws_ebs_volume" "data" {
  size = 100
  type = "gp3"
}

resource "aws_ebs_volume" "logs" {
  size = 10
  type = "gp3"
}

resource "aws_ebs_volume" "cold" {
  size = 500
  type = "standard"
}

resource "aws_instance" "web" {
  monitoring    = true # detailed monitoring on: PERF004 stays quiet
  instance_type = "m7g.large"

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_type = "gp2"
  }
}
"""


async def test_fix_all_applies_every_safe_fix_in_one_edit(shared: Client) -> None:
    uri, diagnostics = await opened(shared, "main.tf", TF)
    # PERF049 (no alarms) is a project rule: whether it fires depends on the other files of
    # this shared workspace, so it is left out here.
    assert keys([d for d in diagnostics if d.code != "PERF049"]) == sorted(
        [
            expect("PERF019", shared.span(TF, 2, '"gp2"')),
            expect("PERF019", shared.span(TF, 5, 'resource "aws_ebs_volume" "logs"')),
            expect("PERF021", shared.span(TF, 11, '"standard"')),
            expect("PERF019", shared.span(TF, 20, '"gp2"')),
        ]
    )
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    for only in ([FIX_ALL], ["source.fixAll"], ["source"]):
        (action,) = await actions(shared, uri, whole, [], only=only)
        assert action.kind == FIX_ALL
        assert action.title == "iacperf: fix all safe findings (2)"
        assert apply_text_edits(TF, edits_for(action, uri), shared.encoding) == TF_FIXED
    # Quick fixes are not source actions, and fix-all is not a quick fix.
    assert await actions(shared, uri, whole, diagnostics, only=["source.organizeImports"]) == []
    mine = [d for d in diagnostics if d.code != "PERF049"]
    offered = await actions(shared, uri, whole, mine, only=[types.CodeActionKind.QuickFix])
    assert FIX_ALL not in [a.kind for a in offered]
    quick = [a for a in offered if not a.title.startswith("Ignore ")]
    assert sorted(a.title for a in offered if a.title.startswith("Ignore ")) == [
        "Ignore PERF019 for aws_ebs_volume.data",
        "Ignore PERF019 for aws_ebs_volume.logs",
        "Ignore PERF019 for aws_instance.web",
        "Ignore PERF021 for aws_ebs_volume.cold",
    ]
    assert sorted(a.title for a in quick) == [
        "Change volume type to gp3 (PERF019)",
        "Change volume type to gp3 (PERF019)",
        "Change volume type to gp3 (PERF021)",
        "Set volume type to gp3 (PERF019)",
    ]
    assert [a.title for a in quick if a.is_preferred] == [
        "Change volume type to gp3 (PERF019)",
        "Set volume type to gp3 (PERF019)",
    ]

    shared.replace_all(uri, 2, TF, TF_FIXED)
    after = await shared.diagnostics_for(uri, 2)
    assert keys([d for d in after if d.code != "PERF049"]) == sorted(
        [
            expect("PERF021", shared.span(TF_FIXED, 12, '"standard"')),
            expect("PERF019", shared.span(TF_FIXED, 21, '"gp2"')),
        ]
    )
    assert await actions(shared, uri, whole, [], only=[FIX_ALL]) == []


async def test_fix_all_in_crlf_file_keeps_its_line_endings(shared: Client) -> None:
    text = TF.replace("\n", "\r\n")
    uri, _ = await opened(shared, "main.tf", text)
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    (action,) = await actions(shared, uri, whole, [], only=[FIX_ALL])
    assert apply_text_edits(text, edits_for(action, uri), shared.encoding) == TF_FIXED.replace(
        "\n", "\r\n"
    )


async def test_fix_all_without_a_trailing_newline(shared: Client) -> None:
    text = 'resource "aws_ebs_volume" "logs" {\n  size = 10\n}'
    uri, _ = await opened(shared, "main.tf", text)
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    (action,) = await actions(shared, uri, whole, [], only=[FIX_ALL])
    assert apply_text_edits(text, edits_for(action, uri), shared.encoding) == (
        'resource "aws_ebs_volume" "logs" {\n  size = 10\n  type = "gp3"\n}'
    )


async def test_the_ignore_action_suppresses_the_finding_for_its_resource(shared: Client) -> None:
    uri, diagnostics = await opened(shared, "main.tf", TF)
    (cold,) = [d for d in diagnostics if d.code == "PERF021"]
    offered = await actions(shared, uri, cold.range, [cold])
    assert [a.title for a in offered] == [
        "Change volume type to gp3 (PERF021)",
        "Ignore PERF021 for aws_ebs_volume.cold",
    ]
    ignore = offered[1]
    assert ignore.kind == types.CodeActionKind.QuickFix and not ignore.is_preferred
    assert list(ignore.diagnostics or ()) == [cold]
    ignored = apply_text_edits(TF, edits_for(ignore, uri), shared.encoding)
    assert ignored == TF.replace(
        'resource "aws_ebs_volume" "cold"',
        '# iacperf:ignore PERF021\nresource "aws_ebs_volume" "cold"',
    )
    shared.replace_all(uri, 2, TF, ignored)
    after = await shared.diagnostics_for(uri, 2)
    assert keys([d for d in after if d.code != "PERF049"]) == sorted(
        [
            expect("PERF019", shared.span(ignored, 2, '"gp2"')),
            expect("PERF019", shared.span(ignored, 5, 'resource "aws_ebs_volume" "logs"')),
            expect("PERF019", shared.span(ignored, 21, '"gp2"')),
        ]
    )
