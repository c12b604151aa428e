"""iacperf side by side with checkov, cfn-lint and cfn-lsp-extra on the same inputs.

    .venv/bin/python bench/compare.py                 # every case, 5 runs; writes bench/RESULTS.md
    .venv/bin/python bench/compare.py --quick         # 1 run, no checkov on the big inputs
    .venv/bin/python bench/compare.py --cases checkov --runs 5   # only cases naming checkov

The peer tools are installed from PyPI into their own virtual environments under
``bench/.venvs/`` (git-ignored; created on first use) and their versions recorded. iacperf
is installed there too, from this checkout, the way the README installs it (``pip install
.``, not the development venv's editable install, whose import hook costs every start
5-10 ms), and again at every run so that it is the code checked out.
CLI cases run under ``/usr/bin/time -v`` (Debian package ``time``) for whole-process wall
time and peak RSS. Every measurement is kept in ``bench/.work/results.json`` (git-ignored)
with the time it was taken, so a long peer case (checkov takes minutes per module tree)
can be measured once and the report rendered again with ``--render``; the report says
when each row was measured.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _edits import EditStream  # noqa: E402
from _inputs import (  # noqa: E402
    cloudformation,
    cloudformation_resources,
    largest_corpus_files,
    terraform,
)
from _lsp_client import LspClient, file_uri  # noqa: E402
from lsp_latency import CAPABILITIES, _change, _load, machine  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS = ROOT.parent / "shared" / "corpus"
VENVS = BENCH / ".venvs"
WORK = BENCH / ".work"
RESULTS_JSON = WORK / "results.json"
TIME = "/usr/bin/time"
SEED = 20240601
PEERS = {"checkov": "checkov", "cfn-lint": "cfn-lint", "cfn-lsp-extra": "cfn-lsp-extra"}
# checkov must not reach the network: no platform download, no module download, no SCA.
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_IGNORE_HIDDEN_DIRECTORIES": "true",
    "LOG_LEVEL": "ERROR",
}
GOALS = {"checkov": 50.0, "cfn-lint": 10.0}
BIG_EDITS = 20  # edits per big template in the keystroke case
GOAL_INPUTS = ("terraform-aws-eks", "terraform-aws-vpc", "cfn-top10")  # the goals


# -- tools -------------------------------------------------------------------


def iacperf_bin() -> Path:
    return VENVS / "iacperf" / "bin" / "iacperf"


def install_iacperf() -> None:
    """This checkout into ``bench/.venvs/iacperf``, as a user installs it."""
    venv = VENVS / "iacperf"
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    if not iacperf_bin().exists():
        print(f"installing iacperf into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, str(ROOT)], check=True)
    else:  # the same version number: reinstall the code as it is now
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(ROOT)], check=True)
    # Once before any timing: python-hcl2 builds its grammar cache on first use.
    subprocess.run(
        [str(iacperf_bin()), "check", "--no-cache", str(ROOT / "examples")],
        capture_output=True,
        check=False,
    )


def peer_bin(tool: str) -> Path:
    return VENVS / tool / "bin" / tool


def install_peers(tools: Sequence[str]) -> dict[str, str]:
    """Each peer in its own venv (pip's ordinary client); returns tool -> version."""
    versions: dict[str, str] = {}
    for tool in tools:
        venv = VENVS / tool
        if not peer_bin(tool).exists():
            print(f"installing {tool} into {venv}", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PEERS[tool]], check=True)
        done = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                f"import importlib.metadata as m; print(m.version({PEERS[tool]!r}))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        versions[tool] = done.stdout.strip()
    return versions


# -- inputs ------------------------------------------------------------------


@dataclass
class Inputs:
    """Every input by name: the paths a CLI gets and whether it is CloudFormation."""

    paths: dict[str, list[Path]] = field(default_factory=dict)
    cfn: set[str] = field(default_factory=set)
    lines: dict[str, int] = field(default_factory=dict)


def _count_lines(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            if file.suffix in (".tf", ".tfvars", ".json", ".yaml", ".yml", ".template"):
                with open(file, "rb") as handle:
                    total += sum(1 for _ in handle)
    return total


def build_inputs(workdir: Path, corpus: Path) -> Inputs:
    inputs = Inputs()
    for lines in (5000, 20000):
        folder = workdir / f"tf-{lines}"
        folder.mkdir()
        (folder / "main.tf").write_text(terraform(lines, SEED), encoding="utf-8")
        inputs.paths[f"tf-{lines}"] = [folder]
    folder = workdir / "cfn-2000-resources"
    folder.mkdir()
    (folder / "template.yaml").write_text(cloudformation_resources(2000, SEED), encoding="utf-8")
    inputs.paths["cfn-2000-resources"] = [folder / "template.yaml"]
    inputs.cfn.add("cfn-2000-resources")
    folder = workdir / "cfn-2000-lines"
    folder.mkdir()
    (folder / "template.yaml").write_text(cloudformation(2000, SEED), encoding="utf-8")
    inputs.paths["cfn-2000-lines"] = [folder / "template.yaml"]
    inputs.cfn.add("cfn-2000-lines")
    if corpus.is_dir():
        for name in ("terraform-aws-eks", "terraform-aws-vpc"):
            inputs.paths[name] = [corpus / "terraform" / name]
        _, templates = largest_corpus_files(corpus, 10)
        inputs.paths["cfn-top10"] = templates
        inputs.cfn.add("cfn-top10")
        inputs.paths["corpus"] = [corpus]
    for name, paths in inputs.paths.items():
        inputs.lines[name] = _count_lines(paths)
    return inputs


# -- measuring a process -------------------------------------------------------


@dataclass
class Run:
    wall: float
    rss_kib: int
    code: int


def timed(
    command: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Run:
    """Whole-process wall time and peak RSS from ``/usr/bin/time -v``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        # Bytecode caching as users have it (pip compiled the peers' at install; this
        # machine sets PYTHONDONTWRITEBYTECODE, which would recompile an editable install).
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        done = subprocess.run(
            [TIME, "-v", "-o", report.name, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**base, **(env or {})},
            cwd=cwd,
            check=False,
        )
        text = report.read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if wall is None or rss is None:
        raise RuntimeError(f"{command[0]}: no /usr/bin/time report: {done.stderr[-500:]!r}")
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    if done.returncode not in (0, 1):
        tail = done.stderr.decode(errors="replace")[-300:] if done.stderr else ""
        print(f"  exit code {done.returncode}: {tail}", flush=True)
    return Run(total, int(rss.group(1)), done.returncode)


def iacperf_check(paths: Sequence[Path], *extra: str) -> list[str]:
    return [str(iacperf_bin()), "check", *extra, *map(str, paths)]


def checkov_command(paths: Sequence[Path]) -> list[str]:
    command = [str(peer_bin("checkov"))]
    for path in paths:
        command += ["-d", str(path)] if path.is_dir() else ["-f", str(path)]
    return [
        *command,
        "--framework",
        "terraform",
        "cloudformation",
        "--skip-download",
        "--download-external-modules",
        "false",
        "--quiet",
        "--compact",
    ]


def cfn_lint_command(paths: Sequence[Path]) -> list[str]:
    return [str(peer_bin("cfn-lint")), *map(str, paths)]


# -- measuring keystrokes ------------------------------------------------------


async def keystrokes(command: Sequence[str], path: Path, edits: int) -> dict[str, Any]:
    """spawn → initialize, didOpen → first diagnostics, then ``edits`` single-character
    edits one at a time, each timed didChange → the next publishDiagnostics of the file
    (cfn-lsp-extra publishes without a version, so the next publish is the answer)."""
    text = path.read_text(encoding="utf-8")
    kind = "json" if text.lstrip().startswith("{") else "yaml"
    uri = file_uri(str(path))
    spawned = time.perf_counter()
    client = await LspClient.spawn(command, "/dev/null")
    out: dict[str, Any] = {"edits": [], "lost": 0}
    try:
        answered = await client.initialize(str(path.parent), CAPABILITIES, 120)
        out["initialize"] = answered - spawned
        await client.notify("initialized", {})
        waiter = client.next_publish(uri)
        opened = await client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": kind, "version": 1, "text": text}},
        )
        out["open"] = await asyncio.wait_for(waiter, 300) - opened
        await client.quiet(1.0, 60)
        stream = EditStream(kind, text, SEED)
        version = 1
        cpu_before = client.cpu_seconds()
        for _ in range(edits):
            edit = stream.next()
            line = stream.lines[edit.line]
            version += 1
            waiter = client.next_publish(uri)
            sent = await client.notify("textDocument/didChange", _change(uri, version, edit, line))
            stream.apply(edit)
            try:
                out["edits"].append(await asyncio.wait_for(waiter, 120) - sent)
            except asyncio.TimeoutError:
                out["lost"] += 1
            # A server that publishes more than once per change: let it settle.
            await client.quiet(0.02, 5)
        cpu_after = client.cpu_seconds()
        if cpu_before is not None and cpu_after is not None and edits:
            out["cpu_per_edit"] = (cpu_after - cpu_before) / edits
        rss = client.rss_kib()
        out["rss_kib"] = rss
    finally:
        await client.close()
    return out


# -- cases ---------------------------------------------------------------------


@dataclass
class Case:
    """One row: ``tool`` on ``input``; ``measure`` returns one Run per call."""

    number: int
    tool: str
    input: str
    measure: Callable[[], Run]
    note: str = ""
    before: Callable[[], None] | None = None  # runs (untimed) before every run

    @property
    def key(self) -> str:
        return f"{self.number}|{self.tool}|{self.input}"


def cli_cases(inputs: Inputs, cache_dir: Path, quick: bool) -> list[Case]:
    cases: list[Case] = []
    cold = ("--no-cache",)
    for name in (
        "terraform-aws-eks",
        "terraform-aws-vpc",
        "cfn-top10",
        "tf-5000",
        "tf-20000",
        "cfn-2000-resources",
    ):
        if name not in inputs.paths:
            continue
        paths = inputs.paths[name]
        cases.append(
            Case(1, "iacperf", name, lambda p=paths: timed(iacperf_check(p, *cold)), "--no-cache")
        )
        big = name in ("tf-20000", "cfn-2000-resources")
        if not (quick and big):
            cases.append(
                Case(1, "checkov", name, lambda p=paths: timed(checkov_command(p), CHECKOV_ENV))
            )
        if name in inputs.cfn:
            cases.append(Case(1, "cfn-lint", name, lambda p=paths: timed(cfn_lint_command(p))))
    if "corpus" in inputs.paths:
        corpus = inputs.paths["corpus"]
        cache = ("--cache-dir", str(cache_dir))

        def empty_cache() -> None:
            shutil.rmtree(cache_dir, ignore_errors=True)

        def primed_cache() -> None:
            if not cache_dir.exists():
                timed(iacperf_check(corpus, *cache))

        cases += [
            Case(
                2,
                "iacperf",
                "corpus cold",
                lambda: timed(iacperf_check(corpus, *cache)),
                "empty cache (it is written during the run)",
                empty_cache,
            ),
            Case(
                2,
                "iacperf",
                "corpus cold, --jobs 1",
                lambda: timed(iacperf_check(corpus, "--no-cache", "--jobs", "1")),
                "serial, no cache: what the process pool saves",
            ),
            Case(
                2,
                "iacperf",
                "corpus warm",
                lambda: timed(iacperf_check(corpus, *cache)),
                "cache from the previous run",
                primed_cache,
            ),
        ]
    return cases


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    walls = [r["wall"] for r in runs]
    rss = [r["rss_kib"] for r in runs]
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "rss_mib": statistics.median(rss) / 1024,
    }


# -- results file ----------------------------------------------------------------


def load_results() -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"cases": {}, "keystrokes": {}, "machine": {}, "versions": {}}
    return loaded


def save_results(results: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS_JSON.with_suffix(".tmp")
    temporary.write_text(json.dumps(results, indent=1), encoding="utf-8")
    temporary.replace(RESULTS_JSON)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _commit() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


# -- report ------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _pct(values: Sequence[float], q: int) -> float:
    ordered = sorted(values)
    if len(ordered) < 2:
        return ordered[0] if ordered else float("nan")
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1]


def render(results: dict[str, Any]) -> str:
    lines = [
        "# iacperf side by side with checkov, cfn-lint and cfn-lsp-extra",
        "",
        "Written by `bench/compare.py` (do not edit by hand; re-run it). Each row says when it "
        "was measured and at which iacperf commit; rows measured in separate invocations are "
        "marked by their times.",
        "",
        *(f"- {k}: {v}" for k, v in results.get("machine", {}).items()),
        *(f"- {tool} {version}" for tool, version in results.get("versions", {}).items()),
        "",
        "Notes: the machine is shared (other jobs ran at the same time: see the load "
        "average and the min–max spread). CLI rows are whole processes under "
        "`/usr/bin/time -v`; its peak RSS is the largest single process (iacperf's main "
        "process, not the sum over its workers). Bytecode caching is on for every tool "
        "(`PYTHONDONTWRITEBYTECODE` removed). checkov runs with `--framework terraform "
        "cloudformation --skip-download --download-external-modules false` and "
        "`BC_SKIP_MAPPING=TRUE`; cfn-lint's exit code 6 means it found errors and warnings. "
        "iacperf CLI rows of case 1 are cold (`--no-cache`) with the default `--jobs`. "
        "In case 1 the tools' runs on one input alternate, after one untimed warm-up run "
        "each. "
        "iacperf is installed from the checkout as the README installs it (`pip install .` "
        "into `bench/.venvs/iacperf`), as the peers are from PyPI.",
        "",
    ]
    cases = results.get("cases", {})
    lines += _goals(cases, results.get("keystrokes", {}))
    lines += _cli_tables(cases, results.get("lines", {}))
    lines += _keystroke_table(results.get("keystrokes", {}))
    lsp = results.get("lsp_latency")
    if lsp:
        lines += [
            "## 4. iacperf alone: keystroke latency on generated and the largest corpus Terraform",
            "",
            f"`{lsp['command']}` ({lsp['when']}); times in ms, see bench/lsp_latency.py.",
            "",
            lsp["table"],
        ]
    scan = results.get("workspace_scan")
    if scan:
        lines += [
            "### Language server workspace scan of the whole corpus",
            "",
            f"`{scan['command']}` ({scan['when']}):",
            "",
            "```text",
            scan["output"].strip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def _cli_tables(cases: dict[str, Any], line_counts: dict[str, int]) -> list[str]:
    out: list[str] = []
    titles = {
        1: "## 1. Cold CLI scan (whole-process wall time, seconds; peak RSS, MiB)",
        2: "## 2. Whole corpus: cold and warm (on-disk cache) CLI scans",
    }
    for number, title in titles.items():
        rows = {k: v for k, v in cases.items() if v["number"] == number}
        if not rows:
            continue
        ratio_name = "× iacperf" if number == 1 else "× warm"
        out += [
            title,
            "",
            "| input | lines | tool | runs | median s | min–max s | peak RSS MiB | "
            f"{ratio_name} | measured | note |",
            "|---|--:|---|--:|--:|--:|--:|--:|---|---|",
        ]
        reference: dict[str, float] = {}
        for row in rows.values():
            if row["tool"] == "iacperf" and number == 1:
                reference[row["input"]] = summarize(row["runs"])["median"]
        if number == 2:
            warm = next((r for r in rows.values() if r["input"] == "corpus warm"), None)
            if warm:
                reference = {"*": summarize(warm["runs"])["median"]}
        for row in rows.values():
            stats = summarize(row["runs"])
            base = reference.get(row["input"], reference.get("*"))
            ratio = f"{stats['median'] / base:.1f}×" if base else ""
            name = row["input"]
            count = line_counts.get(name.split(" ")[0], "")
            out.append(
                f"| {name} | {count} | {row['tool']} | {len(row['runs'])} | "
                f"{_s(stats['median'])} | {_s(stats['min'])}–{_s(stats['max'])} | "
                f"{stats['rss_mib']:.0f} | {ratio} | {row['when']} @ {row['commit']} | "
                f"{row.get('note', '')} |"
            )
        if number == 2:
            out += ["", *_throughput(rows, line_counts)]
        out.append("")
    return out


def _goals(cases: dict[str, Any], keystrokes: dict[str, Any]) -> list[str]:
    """The issue's goals against the medians below (p95 for keystrokes)."""
    median = {
        (row["number"], row["tool"], row["input"]): summarize(row["runs"])["median"]
        for row in cases.values()
    }
    out = ["## Goals", ""]
    for (number, tool, name), seconds in sorted(median.items()):
        goal = GOALS.get(tool)
        ours = median.get((1, "iacperf", name))
        if number != 1 or goal is None or not ours or name not in GOAL_INPUTS:
            continue
        ratio = seconds / ours
        verdict = "met" if ratio >= goal else "missed"
        out.append(
            f"- {name}: iacperf {ratio:.1f}× faster than {tool} (goal {goal:.0f}×): {verdict}"
        )
    cold, warm = (
        median.get((2, "iacperf", "corpus cold")),
        median.get((2, "iacperf", "corpus warm")),
    )
    if cold and warm:
        verdict = "met" if cold / warm >= 20 else "missed"
        out.append(
            f"- corpus: warm re-scan {cold / warm:.0f}× faster than cold (goal 20×): {verdict}"
        )
        serial = median.get((2, "iacperf", "corpus cold, --jobs 1"))
        if serial:
            out.append(
                f"- corpus: warm re-scan {serial / warm:.0f}× faster than a serial cold scan"
            )
    p95 = {
        (row["tool"], row["input"]): _pct(row["edits"], 95)
        for row in keystrokes.values()
        if row["edits"]
    }
    for (tool, name), value in sorted(p95.items()):
        ours = p95.get(("iacperf", name))
        if tool == "iacperf" or not ours:
            continue
        verdict = "met" if value / ours >= 20 else "missed"
        out.append(
            f"- keystroke p95 on {name}: {tool} {value / ours:.0f}× slower (goal 20×): {verdict}"
        )
    return [*out, ""]


def _throughput(rows: dict[str, Any], line_counts: dict[str, int]) -> list[str]:
    files, lines = line_counts.get("corpus-files", 0), line_counts.get("corpus", 0)
    out = []
    for row in rows.values():
        median = summarize(row["runs"])["median"]
        if files and lines:
            out.append(
                f"- {row['input']}: {files / median:,.0f} files/s, {lines / median:,.0f} lines/s "
                f"({files:,} files, {lines:,} lines)"
            )
    return out


def _keystroke_table(keystrokes: dict[str, Any]) -> list[str]:
    if not keystrokes:
        return []
    out = [
        "## 3. Keystroke latency: the same edits to the same CloudFormation templates",
        "",
        "didChange → publishDiagnostics, one single-character edit at a time (ms). "
        "*open*: didOpen → first diagnostics.",
        "",
        "| template | lines | server | edits | lost | initialize | open | p50 | p95 | max | "
        "p95 × iacperf | CPU ms/edit | RSS MiB | measured |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    reference = {
        row["input"]: _pct(row["edits"], 95)
        for row in keystrokes.values()
        if row["tool"] == "iacperf" and row["edits"]
    }
    for row in keystrokes.values():
        edits = row["edits"]
        if not edits:
            out.append(f"| {row['input']} | | {row['tool']} | 0 | | | | | | | | | | failed |")
            continue
        p95 = _pct(edits, 95)
        base = reference.get(row["input"])
        ratio = f"{p95 / base:.0f}×" if base else ""
        cpu = _ms(row["cpu_per_edit"]) if row.get("cpu_per_edit") is not None else "n/a"
        rss = f"{row['rss_kib'] / 1024:.0f}" if row.get("rss_kib") else "n/a"
        out.append(
            f"| {row['input']} | {row['lines']} | {row['tool']} | {len(edits)} | {row['lost']} | "
            f"{_ms(row['initialize'])} | {_ms(row['open'])} | {_ms(_pct(edits, 50))} | "
            f"{_ms(p95)} | {_ms(max(edits))} | {ratio} | {cpu} | {rss} | "
            f"{row['when']} @ {row['commit']} |"
        )
    out.append("")
    return out


# -- main ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    global RESULTS_JSON
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per CLI case (default 5)")
    parser.add_argument("--edits", type=int, default=200, help="edits per keystroke case")
    parser.add_argument(
        "--quick", action="store_true", help="1 run, 20 edits, no checkov on the big inputs"
    )
    parser.add_argument(
        "--cases",
        action="append",
        default=[],
        help="only cases whose number, tool or input contains this (repeatable)",
    )
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out cases whose tool or input has this"
    )
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--render", action="store_true", help="only write the report again")
    parser.add_argument("--results", default=str(WORK / "results.json"), help="measurements")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.edits = 1, 20
    RESULTS_JSON = Path(args.results)
    results = load_results()
    if not args.render:
        if not Path(TIME).exists():
            print(f"{TIME} is missing: apt-get install time", file=sys.stderr)
            return 2
        install_iacperf()
        results["versions"] = {"iacperf": _commit(), **install_peers(list(PEERS))}
        with tempfile.TemporaryDirectory(prefix="iacperf-compare-") as tmp:
            measure_all(args, Path(tmp), results)
        results["machine"] = machine()
        save_results(results)
    Path(args.output).write_text(render(results), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _side_by_side(cases: list[Case]) -> list[list[Case]]:
    """Case 1's tools on one input, together: their runs alternate (iacperf, checkov,
    cfn-lint, iacperf ...) after one untimed warm-up run each, so that every tool meets the
    host as the others do. A run of iacperf takes a fifth of a second, and a busy second
    of a shared host moved its median by a quarter while checkov's minute evened it out.
    Other cases run one by one."""
    groups: list[list[Case]] = []
    for case in cases:
        last = groups[-1][0] if groups else None
        if case.number == 1 and last is not None and (last.number, last.input) == (1, case.input):
            groups[-1].append(case)
        else:
            groups.append([case])
    return groups


def _wanted(args: argparse.Namespace, *labels: str) -> bool:
    if any(s in label for s in args.skip for label in labels):
        return False
    return not args.cases or any(c in label for c in args.cases for label in labels)


def measure_all(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> None:
    inputs = build_inputs(workdir, Path(args.corpus))
    results.setdefault("lines", {}).update(inputs.lines)
    if "corpus" in inputs.paths:
        listed = subprocess.run(
            [str(iacperf_bin()), "check", "--no-cache", "--format", "json", str(CORPUS)],
            capture_output=True,
            text=True,
            check=False,
        )
        with contextlib.suppress(ValueError, KeyError):
            results["lines"]["corpus-files"] = json.loads(listed.stdout)["summary"]["files"]
    commit, load_start = _commit(), _load()
    wanted = [
        case
        for case in cli_cases(inputs, workdir / "cache", args.quick)
        if _wanted(args, str(case.number), case.tool, case.input)
    ]
    for group in _side_by_side(wanted):
        runs: dict[str, list[dict[str, Any]]] = {case.key: [] for case in group}
        for index in range(-1 if group[0].number == 1 else 0, args.runs):
            for case in group:
                if case.before is not None:
                    case.before()
                run = case.measure()
                label = "warm-up" if index < 0 else f"run {index + 1}"
                print(
                    f"{case.number} {case.tool:9} {case.input:24} {label}: "
                    f"{run.wall:8.2f} s {run.rss_kib / 1024:6.0f} MiB exit {run.code}",
                    flush=True,
                )
                if index >= 0:
                    runs[case.key].append(
                        {"wall": run.wall, "rss_kib": run.rss_kib, "code": run.code}
                    )
        for case in group:
            results["cases"][case.key] = {
                "number": case.number,
                "tool": case.tool,
                "input": case.input,
                "runs": runs[case.key],
                "note": case.note,
                "when": _now(),
                "commit": commit,
                "load_start": load_start,
            }
        save_results(results)
    keystroke_cases(args, inputs, results, commit)
    if "corpus" in inputs.paths and _wanted(args, "4", "iacperf", "lsp"):
        iacperf_alone(args, results)


def keystroke_cases(
    args: argparse.Namespace, inputs: Inputs, results: dict[str, Any], commit: str
) -> None:
    servers = {
        "iacperf": [str(iacperf_bin()), "lsp"],
        "cfn-lsp-extra": [str(peer_bin("cfn-lsp-extra"))],
    }
    # cfn-lsp-extra re-runs cfn-lint on every change: seconds per edit on big templates
    # here, so the full count of edits goes to a typical template (the corpus template
    # nearest 400 lines) and the big ones get BIG_EDITS each.
    templates: dict[str, tuple[Path, int]] = {}
    corpus = Path(args.corpus)
    if corpus.is_dir():
        typical = typical_template(corpus, 400)
        templates[f"corpus:{typical.relative_to(corpus)}"] = (typical, args.edits)
    big = min(args.edits, BIG_EDITS)
    templates["cfn-2000-lines"] = (inputs.paths["cfn-2000-lines"][0], big)
    if "cfn-top10" in inputs.paths:
        top = inputs.paths["cfn-top10"][0]
        templates[f"corpus:{top.relative_to(corpus)}"] = (top, big)
    for name, (path, count) in templates.items():
        for tool, command in servers.items():
            if not _wanted(args, "3", tool, name):
                continue
            print(f"3 {tool:13} {name}: {count} edits", flush=True)
            try:
                out = asyncio.run(keystrokes(command, path, count))
            except Exception as error:  # noqa: BLE001 - a peer that cannot run is reported
                out = {"edits": [], "lost": count, "error": repr(error)}
            edits = out["edits"]
            if edits:
                print(
                    f"  p50 {_ms(_pct(edits, 50))} ms  p95 {_ms(_pct(edits, 95))} ms  "
                    f"lost {out['lost']}",
                    flush=True,
                )
            lines = path.read_text(encoding="utf-8").count("\n") + 1
            results["keystrokes"][f"{tool}|{name}"] = {
                **out,
                "tool": tool,
                "input": name,
                "lines": lines,
                "when": _now(),
                "commit": commit,
            }
            save_results(results)


def typical_template(corpus: Path, lines: int) -> Path:
    """The corpus CloudFormation template whose length is nearest ``lines``."""
    best: tuple[int, str, Path] | None = None
    for path in sorted((corpus / "cloudformation").rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "AWSTemplateFormatVersion" not in text or "Type: AWS::" not in text:
            continue
        candidate = (abs(text.count("\n") - lines), str(path), path)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    assert best is not None, "no CloudFormation YAML template in the corpus"
    return best[2]


def iacperf_alone(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Case 4 through the existing benchmarks (bench/lsp_latency.py, workspace_scan.py)."""
    output = WORK / "lsp-latency.md"
    command = [
        sys.executable,
        str(BENCH / "lsp_latency.py"),
        "--corpus-top",
        "3",
        "--only",
        "tf-5000",
        "--only",
        "tf-20000",
        "--only",
        "corpus:terraform",
        "--edits",
        str(args.edits),
        "--output",
        str(output),
    ]
    subprocess.run(command, check=False)
    if output.exists():
        text = output.read_text(encoding="utf-8")
        table = text[text.index("| input") :]
        shown = " ".join(Path(c).name if c.startswith("/") else c for c in command[1:])
        results["lsp_latency"] = {"command": f"python {shown}", "table": table, "when": _now()}
    scan = subprocess.run(
        [sys.executable, str(BENCH / "workspace_scan.py"), args.corpus],
        capture_output=True,
        text=True,
        check=False,
    )
    results["workspace_scan"] = {
        "command": "python bench/workspace_scan.py ../shared/corpus",
        "output": scan.stdout,
        "when": _now(),
    }
    save_results(results)


if __name__ == "__main__":
    sys.exit(main())
