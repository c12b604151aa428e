"""The workspace scan reads open files first, then the rest of their modules."""

from __future__ import annotations

from iacperf.server.lsp.project import scan_order


def test_open_files_then_their_folders_then_the_rest() -> None:
    paths = ["/w/a/main.tf", "/w/b/main.tf", "/w/b/vars.tf", "/w/c.yaml", "/w/z/open.tf"]
    order = scan_order(paths, {"/w/z/open.tf", "/w/b/vars.tf"})
    assert order == ["/w/b/vars.tf", "/w/z/open.tf", "/w/b/main.tf", "/w/a/main.tf", "/w/c.yaml"]


def test_nothing_open_keeps_path_order() -> None:
    paths = ["/w/b.tf", "/w/a.tf"]
    assert scan_order(paths, set()) == ["/w/a.tf", "/w/b.tf"]
