"""Hostile documents in the editor: the server answers every request, publishes ranges
inside the document in the client's encoding, and loses nothing."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from lsprotocol import types

from tests.fuzz.edits import random_edit
from tests.fuzz.hostile import random_text
from tests.fuzz.session import position_inside

from .support import (
    NAT_MODULE,
    S3_ENDPOINT,
    Client,
    apply_text_edits,
    edits_for,
    expect,
    keys,
    offset_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()
GP2_TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'


def folder(client: Client) -> Path:
    path = client.root / f"hostile{next(_folders)}"
    path.mkdir()
    return path


def client_position(client: Client, text: str, offset: int) -> types.Position:
    lines = text[:offset].split("\n")
    return client.position(text[:offset], len(lines) - 1, len(lines[-1]))


async def ask(client: Client, uri: str, at: types.Position) -> None:
    """Hover and code actions where the cursor is: both must be answered."""
    doc = types.TextDocumentIdentifier(uri=uri)
    await client.text_document_hover_async(types.HoverParams(doc, at))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(doc, types.Range(at, at), types.CodeActionContext(diagnostics=[]))
    )
    assert actions is not None


def assert_inside(client: Client, uri: str, text: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    for params in client.published_for(uri)[-1:]:
        for diagnostic in params.diagnostics:
            for position in (diagnostic.range.start, diagnostic.range.end):
                assert position_inside_units(lines, position, client.encoding), diagnostic


def position_inside_units(lines: list[str], position: types.Position, encoding: str) -> bool:
    if encoding == types.PositionEncodingKind.Utf16:
        return position_inside(lines, position)
    if position.line >= len(lines):
        return position.line == len(lines) and position.character == 0
    row = lines[position.line].rstrip("\n")
    units = len(row.encode("utf-8")) if encoding == types.PositionEncodingKind.Utf8 else len(row)
    return position.character <= units


@pytest.mark.timeout(600)
async def test_random_text_and_bytes_opened_and_edited(shared: Client) -> None:
    """No escape, end to end: every request answered, every range inside, no errors."""
    rng = random.Random(20261127)
    base = folder(shared)
    names = ["main.tf", "template.yaml", "template.json", "main.tf.json", "x.tfvars"]
    uris: list[str] = []
    for index in range(25):
        name = names[index % len(names)]
        # Lone "\r"s are line ends to clients; this test computes positions on "\n" only.
        text = random_text(rng).replace("\r", "")
        if name.startswith("template") and index % 2:
            text = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + text
        uri = shared.open(base / f"d{index}" / name, text)
        uris.append(uri)
        for version in range(2, 14):
            edit = random_edit(rng, text, [text], [])
            start = client_position(shared, text, edit.start)
            end = client_position(shared, text, edit.end)
            new_text = edit.text.replace("\r", "")
            shared.change(uri, version, new_text, start, end)
            text = text[: edit.start] + new_text + text[edit.end :]
            await ask(shared, uri, end)  # hover waits for the analysis of this version
        assert_inside(shared, uri, text)
        shared.close(uri)
    assert shared.messages == []
    assert sum(len(shared.published_for(uri)) for uri in uris) > 20  # mostly PERF000
    errors = [m.message for m in shared.log_messages if "failed" in m.message]
    assert errors + [m.message for m in shared.log_messages if "internal" in m.message] == []


async def test_a_10_mb_document_is_refused_with_a_clear_message(shared: Client) -> None:
    path = folder(shared) / "huge.tf"
    text = 'locals { x = "' + "a" * 10_000_000 + '" }\n'
    uri = shared.open(path, text)
    (diagnostic,) = await shared.diagnostics_for(uri, 1, timeout=120)
    assert diagnostic.code == "PERF000"
    assert "not analysed: 10,000,018 bytes is over the 5,242,880-byte limit" in diagnostic.message
    await ask(shared, uri, types.Position(0, 5))
    shared.close(uri)


async def test_bom_crlf_tabs_and_emoji_keep_positions_right(shared: Client) -> None:
    text = (
        "\ufeff# 😀 sparkles ✨\r\n"
        'resource "aws_ebs_volume" "v" {\r\n'
        '\ttags = { a = "😀😀" }\r\n'
        '\ttype = "gp2" # ✓ 😀\r\n'
        "}\r\n"
    )
    path = folder(shared) / "main.tf"
    uri = shared.open(path, text)
    found = await shared.diagnostics_for(uri, 1)
    plain = text.replace("\r\n", "\n")
    assert keys(found) == [expect("PERF019", shared.span(plain, 3, '"gp2"'))]
    # The quick fix lands exactly on the value, in the client's units.
    actions = await shared.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri=uri),
            found[0].range,
            types.CodeActionContext(diagnostics=found),
        )
    )
    assert actions is not None
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and "gp3" in a.title)
    fixed = apply_text_edits(plain, edits_for(fix, uri), shared.encoding)
    assert fixed == plain.replace('"gp2"', '"gp3"')
    assert offset_of(plain, found[0].range.start, shared.encoding) == plain.index('"gp2"')


async def test_untitled_documents_get_answers_and_no_diagnostics(shared: Client) -> None:
    uri = "untitled:Untitled-1"
    shared.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="terraform", version=1, text=GP2_TF)
        )
    )
    await ask(shared, uri, types.Position(2, 10))
    shared.change(uri, 2, "x", types.Position(0, 0), types.Position(0, 0))
    await ask(shared, uri, types.Position(2, 10))
    shared.close(uri)
    assert shared.published_for(uri) == []


async def test_a_file_that_vanishes_or_changes_on_disk_while_open(shared: Client) -> None:
    path = folder(shared) / "main.tf"
    path.write_text(GP2_TF)
    uri = shared.open(path, GP2_TF)
    expected = [expect("PERF019", shared.span(GP2_TF, 2, '"gp2"'))]
    assert keys(await shared.diagnostics_for(uri, 1)) == expected
    # Changed on disk while open: the editor's text is what counts.
    path.write_text('resource "aws_ebs_volume" "v" {\n  type = "gp3"\n}\n')
    shared.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri, types.FileChangeType.Changed)])
    )
    # Gone from disk while open: edits go on.
    path.unlink()
    shared.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri, types.FileChangeType.Deleted)])
    )
    shared.change(uri, 2, "# still here\n", types.Position(0, 0), types.Position(0, 0))
    edited = "# still here\n" + GP2_TF
    assert keys(await shared.diagnostics_for(uri, 2)) == [
        expect("PERF019", shared.span(edited, 3, '"gp2"'))
    ]
    seen = len(shared.published)
    shared.close(uri)
    await shared.settles(uri, None, [], after=seen)


async def test_two_folders_with_the_same_module_name_stay_apart(shared: Client) -> None:
    first, second = folder(shared) / "infra", folder(shared) / "infra"
    first.mkdir()
    second.mkdir()
    nat = shared.open(first / "main.tf", NAT_MODULE)
    found = await shared.diagnostics_for(nat, 1)
    assert "PERF046" in {d.code for d in found}
    # An endpoint in the other "infra" is another module: the NAT finding stays.
    other = shared.open(second / "main.tf", NAT_MODULE + "\n" + S3_ENDPOINT)
    assert "PERF046" not in {d.code for d in await shared.diagnostics_for(other, 1)}
    seen = len(shared.published)
    shared.change(nat, 2, "\n", types.Position(0, 0), types.Position(0, 0))
    assert "PERF046" in {d.code for d in await shared.diagnostics_for(nat, 2, after=seen)}
