"""From paths or text to findings: reading files, grouping modules, running the engine."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence

from iacperf.rules.model import Template
from iacperf.rules.records import field, record
from iacperf.server.engine import Finding, RuleErrorHandler, Selection, lint
from iacperf.server.parsing import is_candidate, parse_text
from iacperf.server.writing import digest

ALWAYS_SKIPPED_DIRS = frozenset({".terraform", "node_modules", ".git", ".iacperf_cache"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

Warn = Callable[[str], None]


@record(frozen=False)
class ScanResult:
    findings: list[Finding]
    templates: list[Template]
    files: int = 0  # IaC files read (Terraform, or YAML/JSON that is CloudFormation)
    skipped: list[str] = field(default_factory=list)
    #: sha256 of the text each template was parsed from, so --fix never writes over news.
    digests: dict[str, str] = field(default_factory=dict)
    #: Set by scans that keep no templates (worker processes, the cache).
    parse_error_count: int | None = None

    @property
    def parse_errors(self) -> int:
        if self.parse_error_count is not None:
            return self.parse_error_count
        return sum(len(t.errors) for t in self.templates)


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """True when the path, or any of its folder names, matches one of the glob patterns."""
    normalized = os.path.normpath(path).replace(os.sep, "/")
    parts = normalized.split("/")
    return any(
        fnmatch.fnmatch(normalized, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts)
        for pattern in patterns
    )


def iter_files(paths: Sequence[str], warn: Warn, exclude: Sequence[str] = ()) -> Iterator[str]:
    """Candidate files under ``paths`` in a stable order; never follows a loop.

    ``exclude`` holds glob patterns matched against each relative path and each folder
    or file name (``--exclude 'test*' --exclude 'legacy/*.tf'``).
    """
    seen_dirs: set[tuple[int, int]] = set()
    for given in paths:
        if os.path.isfile(given):
            yield given
            continue
        if not os.path.isdir(given):
            gone = not os.path.exists(given)
            warn(f"{given}: {'no such file or directory' if gone else 'not a regular file'}")
            continue
        for root, dirs, files in os.walk(given, followlinks=True):
            try:
                stat = os.stat(root)
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) in seen_dirs:
                warn(f"{root}: directory already visited (symlink loop?), skipped")
                dirs[:] = []
                continue
            seen_dirs.add((stat.st_dev, stat.st_ino))
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in ALWAYS_SKIPPED_DIRS
                and not (exclude and excluded(os.path.join(root, d), exclude))
            )
            for name in sorted(files):
                path = os.path.normpath(os.path.join(root, name))
                if is_candidate(name) and not (exclude and excluded(path, exclude)):
                    yield path


def read_text(path: str, warn: Warn, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """The file's text, or None with one warning when it is too big, binary or unreadable."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            # A named pipe or a device would block the read (the language server's worker
            # scanning the workspace) or never end.
            warn(f"{path}: skipped, not a regular file")
            return None
        size = status.st_size
        if size > max_bytes:
            warn(f"{path}: skipped, {size:,} bytes is over the {max_bytes:,}-byte limit")
            return None
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        warn(f"{path}: skipped, cannot read it ({error.strerror or error})")
        return None
    if b"\x00" in data[:8192]:
        warn(f"{path}: skipped, binary file")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        warn(f"{path}: skipped, not UTF-8 text (byte {error.start})")
        return None


def parse_files(paths: Iterable[str], warn: Warn, max_bytes: int = DEFAULT_MAX_BYTES) -> ScanResult:
    """Read and parse every path; the result has templates but no findings yet."""
    result = ScanResult(findings=[], templates=[])
    for path in paths:
        text = read_text(path, warn, max_bytes)
        if text is None:
            result.skipped.append(path)
            continue
        template, _ = parse_text(path, text)
        if template is not None:
            result.templates.append(template)
            result.digests[path] = digest(text)
    result.files = len(result.templates)
    return result


def scan(
    paths: Sequence[str],
    selection: Selection | None = None,
    warn: Warn = lambda _: None,
    on_rule_error: RuleErrorHandler | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    exclude: Sequence[str] = (),
) -> ScanResult:
    result = parse_files(iter_files(paths, warn, exclude), warn, max_bytes)
    if on_rule_error is None:

        def on_rule_error(rule: object, where: str, error: BaseException) -> None:
            warn(f"internal error in {getattr(rule, 'code', rule)} on {where}: {error!r}")

    result.findings = lint(result.templates, selection, on_rule_error=on_rule_error)
    return result


def lint_text(
    path: str,
    text: str,
    selection: Selection | None = None,
    on_rule_error: RuleErrorHandler | None = None,
) -> list[Finding]:
    """Findings for one file's text on its own (tests and quick checks)."""
    template, _ = parse_text(path, text)
    if template is None:
        return []
    if on_rule_error is None:
        return lint([template], selection)
    return lint([template], selection, on_rule_error=on_rule_error)
