"""iacperf never runs or evaluates the user's code, never opens a network connection, and
writes only the files it was asked to fix, the report it was asked to write and, for
``iacperf check``, its cache folder (``.iacperf_cache/``).

The CLI and the language server run as real processes with an audit hook
(``hook/sitecustomize.py``) that refuses and records any connection, name lookup, new
process or write elsewhere; a control shows the hook does catch each of them.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp.raw import RawServer

ROOT = Path(__file__).resolve().parents[2]
HOOK = Path(__file__).parent / "hook"
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
IACPERF = str(Path(sys.executable).parent / "iacperf")


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """(the environment that loads the hook, its log)."""
    log = tmp_path / "audit.log"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(HOOK),
        "IACPERF_AUDIT_LOG": str(log),
        "HOME": str(home),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    yield env, log


def allow(env: dict[str, str], *paths: Path) -> dict[str, str]:
    return {**env, "IACPERF_AUDIT_WRITABLE": os.pathsep.join(map(str, paths))}


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` with a hash of its content (links as their target)."""
    found: dict[str, str] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in [*files, *dirs]:
                path = Path(folder) / name
                if path.is_symlink():
                    found[str(path)] = "-> " + os.readlink(path)
                elif path.is_file():
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    found[str(path)] = "dir"
    return found


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for code in ("PERF019", "PERF010", "PERF021"):
        shutil.copytree(FIXTURES / code, root / code)
    return root


def test_the_hook_catches_connections_processes_and_writes(
    tmp_path: Path, guarded: tuple[dict[str, str], Path]
) -> None:
    """The control: without it, a silent hook would prove nothing."""
    env, log = guarded
    probes = [
        "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)",
        "import socket; socket.getaddrinfo('example.org', 443)",
        "import subprocess; subprocess.run(['true'])",
        "import os; os.system('true')",
        f"open({str(tmp_path / 'elsewhere.txt')!r}, 'w')",
    ]
    for probe in probes:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
        assert "iacperf safety test" in done.stderr, (probe, done.stderr)
    entries = log.read_text().splitlines()
    assert len(entries) == len(probes), entries
    assert not (tmp_path / "elsewhere.txt").exists()


def test_the_cli_connects_to_nothing_and_writes_only_what_it_fixes(
    tmp_path: Path, guarded: tuple[dict[str, str], Path]
) -> None:
    env, log = guarded
    root = workspace(tmp_path)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    before = snapshot(root, cwd, Path(env["HOME"]), Path(env["TMPDIR"]))
    target = root / "PERF019" / "bad.tf"
    report = cwd / "report.sarif"
    cache = root / ".iacperf_cache"  # the paths' common folder holds the cache
    env = allow(env, cache)
    runs = [
        (["check", str(root)], env),
        (["check", "--format", "json", str(root)], env),
        (["check", "--format", "sarif", "-o", str(report), str(root)], allow(env, report, cache)),
        (
            ["check", "--select", "PERF019", "--fix", str(target)],
            allow(env, target.parent, cache),
        ),
        (["rules"], env),
        (["explain", "PERF019"], env),
    ]
    for args, run_env in runs:
        done = subprocess.run(
            [IACPERF, *args], cwd=cwd, env=run_env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode in (0, 1), (args, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
    assert log.read_text() == ""
    after = snapshot(root, cwd, Path(env["HOME"]), Path(env["TMPDIR"]))
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    cached = {p for p in changed if ".iacperf_cache" in Path(p).parts}
    assert cached, "the cache was written"
    assert changed - cached == {str(target), str(report)}


def test_the_language_server_connects_to_nothing_and_writes_nothing(
    tmp_path: Path, guarded: tuple[dict[str, str], Path]
) -> None:
    env, log = guarded
    root = workspace(tmp_path)
    (root / ".iacperf.yaml").write_text("ignore: [PERF021]\n")
    before = snapshot(root, Path(env["HOME"]), Path(env["TMPDIR"]))
    server = RawServer(root, env=env)
    try:
        server.initialize(
            root, {"workspace": {"configuration": True}, "window": {"workDoneProgress": True}}
        )
        bad = root / "PERF019" / "bad.tf"
        uri = server.open(bad, bad.read_text())
        found = server.diagnostics(uri)["params"]["diagnostics"]
        assert any(d["code"] == "PERF019" for d in found)
        at = found[0]["range"]
        for method, params in [
            ("textDocument/hover", {"textDocument": {"uri": uri}, "position": at["start"]}),
            (
                "textDocument/codeAction",
                {"textDocument": {"uri": uri}, "range": at, "context": {"diagnostics": found}},
            ),
        ]:
            assert "result" in server.call(method, params)
        template = root / "PERF010" / "bad.yaml"
        cfn = server.open(template, template.read_text(), "yaml")
        assert server.diagnostics(cfn)["params"]["diagnostics"]  # CloudFormation analysed
        assert server.call("shutdown")["result"] is None
        server.notify("exit")
        assert server.exit_code() == 0
    finally:
        server.close()
    assert "Traceback" not in server.stderr, server.stderr
    assert log.read_text() == ""
    assert snapshot(root, Path(env["HOME"]), Path(env["TMPDIR"])) == before


BANNED_CALLS = {"eval", "exec", "compile", "__import__", "system", "popen", "spawnl", "execv"}
BANNED_MODULES = {"subprocess", "socket", "ctypes", "pickle", "marshal", "http", "requests"}
BANNED_MODULES |= {"urllib.request", "jinja2", "shelve", "multiprocessing"}


#: Where a banned module has a reason to be. The cache reads pickles through an unpickler
#: that refuses every class but iacperf's (tests/cli/test_cache_and_jobs.py plants one that
#: would run a command); ``iacperf check`` starts a pool of interpreters where there is no
#: fork (Windows).
ALLOWED_IMPORTS = {("cache.py", "pickle"), ("parallel.py", "multiprocessing")}
#: ``record`` compiles each record class's ``__init__`` from the class's field names, as
#: ``dataclasses`` does (see records.py): no text from outside iacperf's own classes.
ALLOWED_CALLS = {("records.py", "exec")}


def test_the_code_never_evaluates_runs_or_connects() -> None:
    """No eval/exec/compile, no process, socket or template engine in iacperf's code (the
    terraform binary appears only in tests that prove fixtures valid)."""
    offences = []
    for path in sorted(
        [*ROOT.joinpath("server").rglob("*.py"), *ROOT.joinpath("rules").rglob("*.py")]
    ):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                # re.compile is a regular expression, not code.
                owner = getattr(getattr(node.func, "value", None), "id", None)
                if (
                    name in BANNED_CALLS
                    and owner != "re"
                    and (path.name, name) not in ALLOWED_CALLS
                ):
                    offences.append(f"{path}:{node.lineno}: {name}()")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names.append(node.module)
                for module in names:
                    if (path.name, module.split(".")[0]) in ALLOWED_IMPORTS:
                        continue
                    if module in BANNED_MODULES or module.split(".")[0] in BANNED_MODULES:
                        offences.append(f"{path}:{node.lineno}: import {module}")
    assert offences == []
