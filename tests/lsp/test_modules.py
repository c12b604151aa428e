"""A Terraform module is its directory: a change in one file re-checks the others."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lsprotocol import types

from .support import NAT_MODULE, S3_ENDPOINT, Client, expect, keys

pytestmark = pytest.mark.asyncio(loop_scope="module")

_folders = itertools.count()

MAIN = NAT_MODULE
ENDPOINT = S3_ENDPOINT
COMMENT = "# VPC endpoints\n"


def module(client: Client) -> Path:
    path = client.root / f"module{next(_folders)}"
    path.mkdir()
    return path


def nat_finding(client: Client) -> list[tuple[object, ...]]:
    return [expect("PERF046", client.span(MAIN, 13, 'resource "aws_nat_gateway" "public"'))]


async def open_main(client: Client, folder: Path) -> str:
    main = folder / "main.tf"
    main.write_text(MAIN)
    uri = client.open(main, MAIN)
    assert keys(await client.diagnostics_for(uri, 1)) == nat_finding(client)
    return uri


async def test_an_endpoint_typed_in_another_open_file_clears_the_finding(shared: Client) -> None:
    folder = module(shared)
    main = await open_main(shared, folder)

    endpoints = folder / "endpoints.tf"
    endpoints.write_text(COMMENT)  # on disk, the file never gets the endpoint
    seen = len(shared.published)
    other = shared.open(endpoints, COMMENT)
    assert await shared.diagnostics_for(other, 1, after=seen) == []

    seen = len(shared.published)
    shared.change(other, 2, ENDPOINT, types.Position(1, 0), types.Position(1, 0))
    # main.tf is re-checked at once, and published with main.tf's own version.
    await shared.settles(main, 1, [], after=seen)
    assert await shared.diagnostics_for(other, 2, after=seen) == []

    # Removing the endpoint again brings the finding back.
    seen = len(shared.published)
    shared.change(other, 3, "", types.Position(1, 0), types.Position(5, 0))
    await shared.settles(main, 1, nat_finding(shared), after=seen)

    # The unsaved endpoint counts while the file is open; closing it without saving leaves
    # the file on disk, which has none.
    seen = len(shared.published)
    shared.change(other, 4, ENDPOINT, types.Position(1, 0), types.Position(1, 0))
    await shared.settles(main, 1, [], after=seen)
    seen = len(shared.published)
    shared.close(other)
    await shared.settles(main, 1, nat_finding(shared), after=seen)


async def test_a_file_created_on_disk_is_followed_through_watched_files(shared: Client) -> None:
    folder = module(shared)
    main = await open_main(shared, folder)
    endpoints = folder / "endpoints.tf"

    def announce(kind: types.FileChangeType) -> int:
        seen = len(shared.published)
        shared.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=endpoints.as_uri(), type=kind)]
            )
        )
        return seen

    endpoints.write_text(ENDPOINT)
    seen = announce(types.FileChangeType.Created)
    await shared.settles(main, 1, [], after=seen)

    endpoints.write_text(COMMENT)
    seen = announce(types.FileChangeType.Changed)
    await shared.settles(main, 1, nat_finding(shared), after=seen)

    endpoints.write_text(COMMENT + ENDPOINT)
    seen = announce(types.FileChangeType.Changed)
    await shared.settles(main, 1, [], after=seen)

    endpoints.unlink()
    seen = announce(types.FileChangeType.Deleted)
    await shared.settles(main, 1, nat_finding(shared), after=seen)
    # A file that is not open never gets diagnostics of its own (scope "openFiles").
    assert shared.published_for(endpoints.as_uri()) == []


async def test_a_file_already_on_disk_counts_when_its_neighbour_is_opened(
    shared: Client,
) -> None:
    folder = module(shared)
    (folder / "endpoints.tf").write_text(ENDPOINT)
    main = folder / "main.tf"
    main.write_text(MAIN)
    assert await shared.diagnostics_for(shared.open(main, MAIN), 1) == []


async def test_another_directory_is_another_module(shared: Client) -> None:
    folder = module(shared)
    main = await open_main(shared, folder)
    sub = folder / "network"
    sub.mkdir()
    (sub / "endpoints.tf").write_text(ENDPOINT)
    seen = len(shared.published)
    other = shared.open(sub / "endpoints.tf", ENDPOINT)
    assert await shared.diagnostics_for(other, 1, after=seen) == []
    # Barrier: analyses run one at a time in order, so a module opened later is done last.
    barrier = module(shared) / "main.tf"
    barrier.write_text(MAIN)
    await shared.diagnostics_for(shared.open(barrier, MAIN), 1, after=seen)
    assert [p for p in shared.published[seen:] if p.uri == main] == []


async def test_the_file_watcher_is_registered_when_the_client_allows_it(shared: Client) -> None:
    capabilities = shared.capabilities
    assert capabilities is not None and capabilities.workspace is not None
    watched = capabilities.workspace.did_change_watched_files
    if watched is None or not watched.dynamic_registration:
        assert shared.registrations == []
        return
    (registration,) = await shared.until(lambda: shared.registrations, "a registration")
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [w["globPattern"] for w in registration.register_options["watchers"]]
    assert globs == [
        "**/*.{tf,tfvars,tf.json,tfvars.json,yaml,yml,json,template}",
        "**/.iacperf.{yaml,yml}",
    ]
