"""The ``iacperf`` command: ``check`` for CI, ``rules`` and ``explain`` for people."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from iacperf.rules.api import Applicability, Rule, Severity
from iacperf.rules.registry import by_code_or_name, known_rules
from iacperf.server import __version__
from iacperf.server.analysis import ScanResult, Warn, iter_files, scan
from iacperf.server.cache import CACHE_DIR_NAME, Cache
from iacperf.server.config import ConfigError, Settings, find_config, load_config, merge, parse_size
from iacperf.server.engine import Finding
from iacperf.server.parallel import scan_units, serial_only
from iacperf.server.writing import FileChangedError, fix_files

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line or configuration value: exit code 2 with a clear message."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        result: int = args.handler(args)
    except (UsageError, ConfigError) as error:
        print(f"iacperf: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and similar: stop quietly.
        sys.stderr.close()
        return EXIT_OK
    return result


class _Formatter(argparse.HelpFormatter):
    """argparse's help, as wide as the terminal, measured the way ``shutil`` does without
    importing it: argparse imports ``shutil`` (and with it ``bz2`` and ``lzma``) to measure
    it for every argument declared, 3 ms of each start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)


def _columns() -> int:
    with contextlib.suppress(KeyError, ValueError):
        if (columns := int(os.environ["COLUMNS"])) > 0:
            return columns
    stdout = sys.__stdout__
    with contextlib.suppress(ValueError, OSError):
        if stdout is not None and (columns := os.get_terminal_size(stdout.fileno()).columns) > 0:
            return columns
    return 80


class _Parser(argparse.ArgumentParser):
    """argparse's parser with ``_Formatter`` for help; ``add_subparsers`` makes the
    commands' parsers of the same class."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="iacperf",
        description="Performance-efficiency linter for Terraform and CloudFormation.",
    )
    parser.add_argument("--version", action="version", version=f"iacperf {__version__}")
    commands = parser.add_subparsers(dest="command")

    check = commands.add_parser("check", help="check files and directories")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument(
        "--select", type=_codes, default=[], help="only these rules (codes or names)"
    )
    check.add_argument(
        "--ignore", type=_codes, default=[], help="skip these rules (codes or names)"
    )
    check.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    check.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix, also apply unsafe fixes"
    )
    check.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=Severity.HINT.value,
        help="exit 1 when a finding is at least this severe (default: hint, any finding)",
    )
    check.add_argument(
        "--max-file-size",
        type=_size,
        metavar="BYTES",
        help="skip files larger than this (default 5M; suffixes k, M, G)",
    )
    check.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and folders matching this glob (repeatable)",
    )
    check.add_argument(
        "--config",
        metavar="FILE",
        help="read settings from FILE instead of the .iacperf.yaml found upward from here",
    )
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    check.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes for a cold scan (default: the number of cores; 1: serial)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache (also IACPERF_NO_CACHE=1)",
    )
    check.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (also IACPERF_CACHE_DIR; default: .iacperf_cache beside the "
        ".iacperf.yaml, else in the folder the paths share)",
    )
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output",
    )
    check.set_defaults(handler=_check)

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=_rules)

    lsp = commands.add_parser("lsp", help="run the language server on stdio")
    # Many editors' LSP clients add --stdio by default; stdio is the only transport.
    lsp.add_argument("--stdio", action="store_true", help="accepted; stdio is the default")
    lsp.set_defaults(handler=_lsp)

    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", metavar="CODE", help="a rule code (PERF019) or name")
    explain.set_defaults(handler=_explain)
    return parser


def _codes(value: str) -> list[str]:
    known = by_code_or_name()
    codes = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [code for code in codes if code not in known and code.upper() not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule {', '.join(unknown)} (see `iacperf rules`)")
    return [known.get(code, known.get(code.upper())).code for code in codes]  # type: ignore[union-attr]


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {value!r}")
    return int(value)


def _size(value: str) -> int:
    size = parse_size(value)
    if size is None:
        raise argparse.ArgumentTypeError(f"not a positive size (like 5M or 500k): {value!r}")
    return size


def _settings(args: argparse.Namespace) -> Settings:
    """The config file's settings with the command line's over them.

    ``--select`` and ``--max-file-size`` replace the file's values; ``--ignore`` and
    ``--exclude`` add to them. Globs of a discovered file are relative to its folder; of a
    ``--config`` file, like ``--exclude``, to the working directory.
    """
    if args.config is not None:
        settings = load_config(args.config, root=os.getcwd())
    else:
        found = find_config(os.getcwd())
        settings = load_config(os.path.relpath(found)) if found else Settings()
    given = {"select": args.select, "ignore": args.ignore, "max_file_size": args.max_file_size}
    flags = Settings(
        select=frozenset(args.select),
        ignore=settings.ignore | frozenset(args.ignore),
        max_file_size=args.max_file_size or settings.max_file_size,
        set_fields=frozenset(name for name, value in given.items() if value),
    )
    return merge(settings, flags)


def _files(args: argparse.Namespace, settings: Settings, warn: Warn) -> list[str]:
    """The files to check: ``--exclude`` prunes the walk, the config's ``exclude`` then
    drops files by their place below the config file (named files included, for hooks)."""
    return [p for p in iter_files(args.paths, warn, args.exclude) if not settings.excludes(p)]


# ---------------------------------------------------------------------------
# check


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    selection = settings.selection()
    started = time.perf_counter()
    # An analysis makes no reference cycles (tests/server/test_no_cycles.py): the cyclic
    # garbage collector would only walk the parse trees and find nothing. Without it a cold
    # scan takes 10-12% less (the corpus, --jobs 1: 21.5 -> 18.9 s), in the same memory.
    gc.freeze()
    gc.disable()

    def warn(message: str) -> None:
        print(f"iacperf: warning: {message}", file=sys.stderr)

    files = _files(args, settings, warn)

    def run(warn: Warn = lambda _: None) -> ScanResult:
        if serial_only(selection):
            return scan(files, selection, warn, max_bytes=settings.max_file_size)
        cache = _cache(args)
        return scan_units(
            files, selection, warn, settings.max_file_size, args.jobs, cache, fixing=args.fix
        )

    result = run(warn)
    fixed = 0
    if args.fix:
        up_to = Applicability.UNSAFE if args.unsafe_fixes else Applicability.SAFE
        try:
            fixed = fix_files(result.findings, up_to, result.digests)
        except FileChangedError as error:
            warn(str(error))
        if fixed:
            result = run()
    seconds = time.perf_counter() - started
    out: TextIO = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        if args.format == "json":
            json.dump(to_json(result, seconds), out, indent=2)
            out.write("\n")
        elif args.format == "sarif":
            from iacperf.server.sarif import to_sarif

            json.dump(to_sarif(result, known_rules(), __version__, os.getcwd()), out, indent=2)
            out.write("\n")
        else:
            color = args.color == "always" or (
                args.color == "auto" and out.isatty() and not os.environ.get("NO_COLOR")
            )
            write_text(out, result, seconds, fixed, color)
    finally:
        if out is not sys.stdout:
            out.close()
    threshold = Severity(args.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in result.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def _cache(args: argparse.Namespace) -> Cache | None:
    """The on-disk cache, unless turned off: ``--cache-dir``, ``IACPERF_CACHE_DIR``, else
    ``.iacperf_cache`` beside the configuration file, else in the folder the paths share."""
    if args.no_cache or os.environ.get("IACPERF_NO_CACHE", "") not in ("", "0"):
        return None
    root = args.cache_dir or os.environ.get("IACPERF_CACHE_DIR")
    if not root:
        config = args.config or find_config(os.getcwd())
        if config:
            base = os.path.dirname(os.path.abspath(config))
        else:
            folders = [
                p if os.path.isdir(p) else os.path.dirname(p) or "."
                for p in map(os.path.abspath, args.paths)
            ]
            base = os.path.commonpath(folders) if folders else os.getcwd()
        root = os.path.join(base, CACHE_DIR_NAME)
    return Cache(root)


def display_path(path: str) -> str:
    """Paths as given, or relative to the working directory when absolute inside it."""
    return _shown_from(path, os.getcwd()) if os.path.isabs(path) else path


@functools.lru_cache(maxsize=8192)
def _shown_from(path: str, cwd: str) -> str:
    # Once per file, not per finding: a warm scan of the corpus prints 6,000 findings of
    # 1,000 files, and relpath took a tenth of its time.
    relative = os.path.relpath(path, cwd)
    return path if relative.startswith("..") else relative


def to_json(result: ScanResult, seconds: float) -> dict[str, object]:
    """The stable JSON contract of ``iacperf check --format json``."""
    return {
        "version": __version__,
        "findings": [_finding_json(f) for f in result.findings],
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "parse_errors": result.parse_errors,
            "seconds": round(seconds, 3),
        },
    }


def _range_json(source_range: object) -> dict[str, dict[str, int]]:
    start, end = source_range.start, source_range.end  # type: ignore[attr-defined]
    return {
        "start": {"line": start.line, "character": start.character},
        "end": {"line": end.line, "character": end.character},
    }


def _finding_json(finding: Finding) -> dict[str, object]:
    fix = finding.fix
    return {
        "code": finding.code,
        "name": finding.rule.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": display_path(finding.path),
        "range": _range_json(finding.range),
        "resource": finding.resource,
        # Where a resolved value came from (a variable default, a tfvars line ...).
        "related": [
            {"message": r.message, "path": display_path(r.path), "range": _range_json(r.range)}
            for r in finding.related
        ],
        "fix": None
        if fix is None
        else {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [{"range": _range_json(e.range), "newText": e.new_text} for e in fix.edits],
        },
    }


_COLORS = {
    Severity.ERROR: "\033[1;31m",
    Severity.WARNING: "\033[1;33m",
    Severity.INFORMATION: "\033[1;36m",
    Severity.HINT: "\033[1;34m",
}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def write_text(out: TextIO, result: ScanResult, seconds: float, fixed: int, color: bool) -> None:
    """ruff-style lines: ``path:line:col: CODE message``, then a summary."""
    for f in result.findings:
        where = f"{display_path(f.path)}:{f.range.start.line + 1}:{f.range.start.character + 1}:"
        code = f.code
        if color:
            where = f"{_BOLD}{where}{_RESET}"
            code = f"{_COLORS[f.severity]}{code}{_RESET}"
        marker = " [*]" if f.fix and f.fix.applicability is Applicability.SAFE else ""
        out.write(f"{where} {code}{marker} {f.message}\n")
    count = len(result.findings)
    safe = sum(
        1
        for f in result.findings
        if f.fix and f.fix.applicability is Applicability.SAFE and f.fix.edits
    )
    unsafe = sum(
        1
        for f in result.findings
        if f.fix and f.fix.applicability is Applicability.UNSAFE and f.fix.edits
    )
    parts = [f"Found {_plural(count, 'finding')} in {_plural(result.files, 'file')}"]
    if result.parse_errors:
        parts.append(_plural(result.parse_errors, "parse error"))
    summary = ", ".join(parts) + f" ({seconds:.2f}s)."
    if fixed:
        summary += f" Fixed {fixed}."
    if safe:
        summary += f" [*] {safe} fixable with `iacperf check --fix`."
    if unsafe:
        summary += f" {unsafe} more with `--fix --unsafe-fixes`."
    if count:
        by_code = Counter(f.code for f in result.findings)
        breakdown = ", ".join(f"{code}: {n}" for code, n in sorted(by_code.items()))
        out.write("\n")
        summary += f"\n{_DIM if color else ''}{breakdown}{_RESET if color else ''}"
    out.write(summary + "\n")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------------------
# rules, explain


def _rules(args: argparse.Namespace) -> int:
    rules = known_rules()
    if args.format == "json":
        json.dump([_rule_json(r) for r in rules], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for r in rules:
        fix = {"always": "fix", "sometimes": "fix?", "none": ""}[r.fix.value]
        sys.stdout.write(f"{r.code}  {r.name:<40} {r.severity.value:<12} {fix:<5} {r.title}\n")
    return EXIT_OK


def _rule_json(r: Rule) -> dict[str, object]:
    return {
        "code": r.code,
        "name": r.name,
        "title": r.title,
        "severity": r.severity.value,
        "scope": r.scope.value,
        "fix": r.fix.value,
        "terraform": list(r.terraform),
        "cloudformation": list(r.cloudformation),
        "well_architected": [bp.id for bp in r.well_architected],
        "evidence": [link.url for link in r.evidence],
    }


def _lsp(args: argparse.Namespace) -> int:
    from iacperf.server.lsp.server import main as serve

    serve()
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    index = by_code_or_name()
    found = index.get(args.rule) or index.get(args.rule.upper())
    if found is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `iacperf rules`)")
    from iacperf.rules.docgen import render_page, shipped_page

    sys.stdout.write(shipped_page(found.code) or render_page(found))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
