"""What the language server knows about the workspace: parsed files, open and on disk.

Owned by the analysis worker thread. Open documents are parsed incrementally (only the
Terraform blocks an edit touched); files that are not open are read from disk once and
re-read when their size or modification time changes, so a Terraform module's other
files and the rest of the project are always in view.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from iacperf.rules.api import Rule
from iacperf.rules.model import Format, Template
from iacperf.rules.records import field, record
from iacperf.server.analysis import DEFAULT_MAX_BYTES, read_text
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.parsing import FileParse, detect, is_candidate, parse_text
from iacperf.server.parsing.limits import oversized_template, text_size
from iacperf.server.rule_memo import RuleMemo

Log = Callable[[str], None]


@record(frozen=False)
class _Entry:
    template: Template | None
    parse: FileParse | None = None
    stamp: tuple[float, int] | None = None  # (mtime, size) for files read from disk
    open: bool = False


@record(frozen=False)
class Project:
    log: Log = print
    max_bytes: int = DEFAULT_MAX_BYTES
    entries: dict[str, _Entry] = field(default_factory=dict)
    #: Findings of blocks an edit did not touch, reused on the next lint of their module.
    memo: RuleMemo = field(default_factory=RuleMemo)
    #: folder -> the Terraform files of ``entries`` in it, so a keystroke never walks
    #: every file of the workspace to find its module.
    terraform_folders: dict[str, set[str]] = field(default_factory=dict)
    _selection: Selection | None = None

    def _put(self, path: str, entry: _Entry) -> None:
        self.entries[path] = entry
        if _is_terraform(path):
            self.terraform_folders.setdefault(os.path.dirname(path), set()).add(path)

    def _drop(self, path: str) -> None:
        if self.entries.pop(path, None) is None:
            return
        if _is_terraform(path):
            folder = os.path.dirname(path)
            files = self.terraform_folders.get(folder, set())
            files.discard(path)
            if not files:
                self.terraform_folders.pop(folder, None)
        # The memo keeps findings, plans and resolved values per module and file; a file
        # that left the project (closed and not on disk, deleted) would stay in it for
        # the life of the server. Start it afresh: one full lint, on a rare event.
        self.memo = RuleMemo()

    def state_sizes(self) -> dict[str, int]:
        """How much per-file state is kept (the server's debug request; memory tests)."""
        return {
            "project_entries": len(self.entries),
            "project_open": sum(1 for e in self.entries.values() if e.open),
            "project_terraform_folders": len(self.terraform_folders),
            "memo_files": len(self.memo._existing),
            "memo_modules": len(self.memo._seen),
        }

    # -- documents -----------------------------------------------------------

    def update_open(self, path: str, text: str) -> Template | None:
        """Parse an open document's new text, reusing its unchanged Terraform blocks.

        Text over ``max_bytes`` is not parsed (parsing costs up to 200 times a file's
        size in memory): its template holds only an error that says so."""
        previous = self.entries.get(path)
        size = text_size(text, self.max_bytes)
        if size is not None:
            self._put(path, _Entry(oversized_template(path, text, size, self.max_bytes), open=True))
            return self.entries[path].template
        template, parse = parse_text(path, text, previous.parse if previous else None, editing=True)
        self._put(path, _Entry(template, parse, open=True))
        return template

    def close(self, path: str) -> None:
        """The editor closed it: from now on the file on disk counts."""
        if os.path.isfile(path):
            entry = self.entries.get(path)
            if entry is not None:
                entry.open = False
                entry.stamp = None  # read again from disk
            self.load_disk(path)
        else:
            self._drop(path)

    def forget(self, path: str) -> None:
        entry = self.entries.get(path)
        if entry is not None and not entry.open:
            self._drop(path)

    def load_disk(self, path: str) -> Template | None:
        """Read a file that is not open, unless the copy in memory is still current."""
        entry = self.entries.get(path)
        if entry is not None and entry.open:
            return entry.template
        try:
            stat = os.stat(path)
        except OSError:
            self._drop(path)
            return None
        stamp = (stat.st_mtime, stat.st_size)
        if entry is not None and entry.stamp == stamp:
            return entry.template
        text = read_text(path, self.log, self.max_bytes)
        template = parse_text(path, text)[0] if text is not None else None
        self._put(path, _Entry(template, stamp=stamp))
        return template

    # -- modules -------------------------------------------------------------

    def module_paths(self, path: str) -> list[str]:
        """The files analysed together with ``path``: its Terraform directory, or itself."""
        kind = detect(path)
        if kind is None or kind[0] is not Format.TERRAFORM:
            return [path]
        folder = os.path.dirname(path)
        paths = set(self.terraform_folders.get(folder, ()))
        try:
            with os.scandir(folder or ".") as listing:
                for item in listing:
                    candidate = os.path.join(folder, item.name)
                    if _is_terraform(candidate) and item.is_file():
                        paths.add(candidate)
        except OSError:
            pass
        return sorted(paths)

    def templates(self, paths: Iterable[str]) -> list[Template]:
        found = []
        for path in paths:
            entry = self.entries.get(path)
            template = entry.template if entry and entry.open else self.load_disk(path)
            if template is not None:
                found.append(template)
        return found

    def all_templates(self) -> list[Template]:
        return [e.template for e in self.entries.values() if e.template is not None]

    def lint_module(
        self,
        path: str,
        selection: Selection,
        on_rule_error: Callable[[Rule, str, BaseException], None],
    ) -> dict[str, list[Finding]]:
        """Findings for every file of ``path``'s module (empty lists for clean files)."""
        if selection == self._selection:
            # The same settings as last time: the very object, so the rule memo's checks
            # are identity checks, not one comparison of the settings per resource.
            selection = self._selection
        self._selection = selection
        paths = self.module_paths(path)
        group = self.templates(paths)
        findings = lint(
            group,
            selection,
            on_rule_error=on_rule_error,
            project=self.all_templates(),
            memo=self.memo,
        )
        by_path: dict[str, list[Finding]] = {t.path: [] for t in group}
        for finding in findings:
            by_path.setdefault(finding.path, []).append(finding)
        return by_path

    def is_open(self, path: str) -> bool:
        entry = self.entries.get(path)
        return entry is not None and entry.open

    def template_of(self, path: str) -> Template | None:
        entry = self.entries.get(path)
        return entry.template if entry is not None else None


def _is_terraform(path: str) -> bool:
    kind = detect(path)
    return kind is not None and kind[0] is Format.TERRAFORM and is_candidate(path)


def scan_order(paths: Iterable[str], open_paths: set[str]) -> list[str]:
    """The order of a workspace scan: open files, then the other files of their folders
    (their Terraform modules, whose findings the open files show), then the rest."""
    folders = {os.path.dirname(p) for p in open_paths}
    return sorted(paths, key=lambda p: (p not in open_paths, os.path.dirname(p) not in folders, p))
