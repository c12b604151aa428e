"""Keystroke latency of the language server, measured from an external client over stdio.

    .venv/bin/python bench/lsp_latency.py                 # writes bench/RESULTS-lsp.md
    .venv/bin/python bench/lsp_latency.py --only tf-5000 --profile /tmp/prof

For each input: spawn -> ``initialize`` result; ``didOpen`` -> first publishDiagnostics;
then N single-character edits at random places inside resource blocks, each waiting for
the publishDiagnostics of its own version (didChange -> publish latency); then bursts of
10 edits sent 5 ms apart, timed from the last edit to the publish of the last version
(the server should skip the versions in between). Inputs are generated from a seed; the
largest files of ../shared/corpus are used in place when the corpus is there.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _edits import Edit, EditStream  # noqa: E402
from _inputs import cloudformation, largest_corpus_files, terraform  # noqa: E402
from _lsp_client import LspClient, ServerExitedError, file_uri  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TIMEOUT = 60.0  # seconds to wait for one publish before counting the edit as lost

CAPABILITIES = {
    "textDocument": {
        "synchronization": {"dynamicRegistration": False, "didSave": True},
        "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "codeAction": {"isPreferredSupport": True},
    },
    "workspace": {
        "workspaceFolders": True,
        "configuration": True,
        "didChangeWatchedFiles": {"dynamicRegistration": True},
    },
    "window": {"workDoneProgress": True},
    "general": {"positionEncodings": ["utf-16"]},
}


@dataclass
class Input:
    name: str
    path: Path  # where the document claims to live (its folder is the workspace)
    text: str
    kind: str  # terraform, yaml or json (decides where edits go)
    language: str

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


@dataclass
class Result:
    name: str
    lines: int
    initialize: float = 0.0
    first_diagnostics: float = 0.0
    first_count: int = 0
    scan: float | None = None
    edits: list[float] = field(default_factory=list)
    bursts: list[float] = field(default_factory=list)
    burst_versions: int = 0  # versions sent inside bursts that were not the last
    burst_intermediate_published: int = 0
    lost: int = 0
    rss_mib: float | None = None
    cpu_per_edit: float | None = None  # server CPU seconds per sequential edit
    error: str | None = None  # why the measurement stopped early


def _kind_of(path: Path) -> tuple[str, str]:
    name = path.name.lower()
    if name.endswith(".tf"):
        return "terraform", "terraform"
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return "json", "json"
    return "yaml", "yaml"


def build_inputs(
    workdir: Path, seed: int, corpus: Path, corpus_top: int, only: Sequence[str]
) -> list[Input]:
    inputs: list[Input] = []
    for lines in (1000, 5000, 20000):
        folder = workdir / f"tf-{lines}"
        folder.mkdir()
        path = folder / "main.tf"
        path.write_text(terraform(lines, seed), encoding="utf-8")
        inputs.append(Input(f"tf-{lines}", path, path.read_text(), "terraform", "terraform"))
    folder = workdir / "cfn-2000"
    folder.mkdir()
    path = folder / "template.yaml"
    path.write_text(cloudformation(2000, seed), encoding="utf-8")
    inputs.append(Input("cfn-2000", path, path.read_text(), "yaml", "yaml"))
    tf_files, templates = largest_corpus_files(corpus, corpus_top)
    for path in tf_files + templates:
        kind, language = _kind_of(path)
        name = "corpus:" + str(path.relative_to(corpus))
        inputs.append(Input(name, path, path.read_text(encoding="utf-8"), kind, language))
    if only:
        inputs = [i for i in inputs if any(o in i.name for o in only)]
    return inputs


def _utf16(line: str, character: int) -> int:
    prefix = line[:character]
    return len(prefix) + sum(1 for c in prefix if ord(c) > 0xFFFF)


def _change(uri: str, version: int, edit: Edit, line: str) -> dict[str, object]:
    start = {"line": edit.line, "character": _utf16(line, edit.character)}
    end = {"line": edit.line, "character": _utf16(line, edit.end)}
    return {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": start, "end": end}, "text": edit.text}],
    }


async def measure(
    item: Input, command: Sequence[str], edits: int, bursts: int, seed: int, log_dir: Path
) -> Result:
    result = Result(item.name, item.lines)
    uri = file_uri(str(item.path))
    stderr_path = log_dir / (item.name.replace("/", "_").replace(":", "_") + ".stderr")
    spawned = time.perf_counter()
    client = await LspClient.spawn(command, str(stderr_path))
    try:
        answered = await client.initialize(
            str(item.path.parent),
            CAPABILITIES,
            TIMEOUT,
            clientInfo={"name": "iacperf-bench", "version": "1"},
        )
        result.initialize = answered - spawned
        initialized = await client.notify("initialized", {})
        stream = EditStream(item.kind, item.text, seed)
        version = 1
        opened = await client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": item.language,
                    "version": version,
                    "text": item.text,
                }
            },
        )
        first = await asyncio.wait_for(client.expect(uri, version), TIMEOUT * 2)
        result.first_diagnostics = first - opened
        result.first_count = client.published[uri][-1].diagnostics
        # The workspace scan runs after `initialized`; edits are timed once it is over.
        try:
            await asyncio.wait_for(client.progress_ended.wait(), 600)
            result.scan = client.last_message_at - initialized
        except asyncio.TimeoutError:
            result.scan = None
        await client.quiet(0.3, 30)

        cpu_before = client.cpu_seconds()
        for _ in range(edits):
            edit = stream.next()
            line = stream.lines[edit.line]
            version += 1
            waiter = client.expect(uri, version)
            sent = await client.notify("textDocument/didChange", _change(uri, version, edit, line))
            stream.apply(edit)
            try:
                result.edits.append(await asyncio.wait_for(waiter, TIMEOUT) - sent)
            except asyncio.TimeoutError:
                result.lost += 1
        cpu_after = client.cpu_seconds()
        if cpu_before is not None and cpu_after is not None and edits:
            result.cpu_per_edit = (cpu_after - cpu_before) / edits

        for _ in range(bursts):
            await client.quiet(0.05, 5)
            first_version = version + 1
            sent = 0.0
            for index in range(10):
                if index:
                    await asyncio.sleep(0.005)
                edit = stream.next()
                line = stream.lines[edit.line]
                version += 1
                params = _change(uri, version, edit, line)
                sent = await client.notify("textDocument/didChange", params)
                stream.apply(edit)
            try:
                result.bursts.append(
                    await asyncio.wait_for(client.expect(uri, version), TIMEOUT) - sent
                )
            except asyncio.TimeoutError:
                result.lost += 1
            seen = {p.version for p in client.published.get(uri, [])}
            result.burst_intermediate_published += len(seen & set(range(first_version, version)))
            result.burst_versions += version - first_version
        rss = client.rss_kib()
        result.rss_mib = rss / 1024 if rss is not None else None
    finally:
        await client.close()
    return result


# -- reporting ---------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def _stats(values: Sequence[float]) -> str:
    if not values:
        return "n/a | n/a | n/a"
    return f"{_ms(_pct(values, 50))} | {_ms(_pct(values, 95))} | {_ms(max(values))}"


def table(results: Sequence[Result]) -> str:
    head = (
        "| input | lines | initialize ms | didOpen→diagnostics ms (findings) | "
        "edit p50 | edit p95 | edit max | burst p50 | burst p95 | burst max | "
        "burst versions published | server CPU ms/edit | lost | RSS MiB |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for r in results:
        rss = f"{r.rss_mib:.0f}" if r.rss_mib is not None else "n/a"
        cpu = _ms(r.cpu_per_edit) if r.cpu_per_edit is not None else "n/a"
        rows.append(
            f"| {r.name} | {r.lines} | {_ms(r.initialize)} | "
            f"{_ms(r.first_diagnostics)} ({r.first_count}) | {_stats(r.edits)} | "
            f"{_stats(r.bursts)} | {r.burst_intermediate_published}/{r.burst_versions} | "
            f"{cpu} | {r.lost} | {rss} |"
        )
    failed = [f"- {r.name}: failed: {r.error}" for r in results if r.error]
    return head + "\n".join(rows) + "\n" + ("\n" + "\n".join(failed) + "\n" if failed else "")


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    def _version(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "iacperf": f"{_version('iacperf')} ({commit or 'no git'})",
        "pygls": _version("pygls"),
        "python-hcl2": _version("python-hcl2"),
        "platform": platform.platform(),
        "load average (1/5/15 min) at the end": _load(),
    }


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def report(results: Sequence[Result], args: argparse.Namespace) -> str:
    facts = machine()
    lines = [
        "# Language server keystroke latency",
        "",
        "Written by `bench/lsp_latency.py` (do not edit by hand; re-run it).",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        f"- load average (1/5/15 min) at the start: {args.load_start}",
        f"- seed {args.seed}, {args.edits} sequential edits and {args.bursts} bursts "
        "of 10 edits (5 ms apart) per input",
        "",
        "Times in milliseconds, from an external client over stdio. *edit*: didChange → "
        "publishDiagnostics of that version, one edit at a time. *burst*: last didChange "
        "of a burst → publishDiagnostics of its version; *burst versions published* counts "
        "versions inside bursts that got their own publish (fewer means stale work was "
        "skipped). *initialize*: spawn → initialize result. *server CPU ms/edit*: the "
        "server process's CPU time over the sequential edits, per edit (less sensitive to "
        "other load on the machine than the wall-clock latencies). *lost*: edits whose "
        "publish did not come within 60 s.",
        "",
        table(results),
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[Result]:
    command = shlex.split(args.server) if args.server else [sys.executable, "-m", "iacperf.server"]
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(BENCH / "profiled_server.py"), args.profile]
    results: list[Result] = []
    args.load_start = _load()
    with tempfile.TemporaryDirectory(prefix="iacperf-bench-") as tmp:
        workdir = Path(tmp)
        corpus = Path(args.corpus)
        inputs = build_inputs(workdir, args.seed, corpus, args.corpus_top, args.only)
        for item in inputs:
            if args.profile:
                os.environ["IACPERF_PROFILE_NAME"] = item.name.replace("/", "_").replace(":", "_")
            try:
                result = await measure(item, command, args.edits, args.bursts, args.seed, workdir)
            except (ServerExitedError, asyncio.TimeoutError, ValueError) as error:
                log = workdir / (item.name.replace("/", "_").replace(":", "_") + ".stderr")
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
                result = Result(item.name, item.lines, error=f"{error!r} {tail[0]}".strip())
                print(f"{item.name}: FAILED: {result.error}", flush=True)
            results.append(result)
            print(
                f"{item.name:70} {item.lines:6} lines  init {_ms(result.initialize):>7}  "
                f"open {_ms(result.first_diagnostics):>7}  edit p50/p95/max "
                f"{_stats(result.edits).replace(' | ', '/')}  burst "
                f"{_stats(result.bursts).replace(' | ', '/')}  cpu/edit "
                f"{_ms(result.cpu_per_edit or 0.0)}  lost {result.lost}",
                flush=True,
            )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument(
        "--corpus-top", type=int, default=10, help="the N largest Terraform and CFN files"
    )
    parser.add_argument("--only", action="append", default=[], help="inputs whose name has this")
    parser.add_argument("--output", default=str(BENCH / "RESULTS-lsp.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--profile", help="cProfile the server into this folder")
    parser.add_argument("--server", help="the server command (default: python -m iacperf.server)")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    if not args.no_write and not args.profile:
        Path(args.output).write_text(report(results, args), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0 if all(r.lost == 0 and r.error is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
