"""A rule that raises loses only its own findings, and the language server logs it.

A rule cannot be made to fail inside the server process from a pytest-lsp client, and no
input is known to break one (the whole corpus scans without a rule error), so this runs in
process: the engine's isolation, then the server's analysis path up to ``window/logMessage``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types

from iacperf.rules.api import Context, Rule, Scope, Severity, Violation, rule
from iacperf.rules.model import Resource
from iacperf.rules.registry import all_rules, by_code_or_name
from iacperf.server import engine
from iacperf.server.engine import Selection, lint
from iacperf.server.lsp.server import IacperfServer
from iacperf.server.parsing import parse_text

TF = 'resource "aws_ebs_volume" "data" {\n  size = 100\n  type = "gp2"\n}\n'


def _broken_check(resource: Resource, context: Context) -> Iterator[Violation]:
    """A rule with a bug."""
    raise RuntimeError("boom")


def _broken_project_check(context: Context) -> Iterator[Violation]:
    """A project rule with a bug."""
    raise KeyError("missing")


BROKEN = rule(
    code="PERF998",
    name="broken",
    title="Broken",
    severity=Severity.WARNING,
    terraform=("aws_ebs_volume",),
)(_broken_check)
BROKEN_PROJECT = rule(
    code="PERF997",
    name="broken-project",
    title="Broken project rule",
    severity=Severity.WARNING,
    terraform=("aws_ebs_volume",),
    scope=Scope.PROJECT,
)(_broken_project_check)


def test_the_engine_isolates_a_failing_rule() -> None:
    template, _ = parse_text("main.tf", TF)
    assert template is not None
    errors: list[tuple[Rule, str, BaseException]] = []
    findings = lint(
        [template],
        rules=[BROKEN, by_code_or_name()["PERF019"], BROKEN_PROJECT],
        on_rule_error=lambda r, where, error: errors.append((r, where, error)),
    )
    assert [(f.code, f.range.start.line, f.range.start.character) for f in findings] == [
        ("PERF019", 2, 9)
    ]
    assert [(r.code, where, repr(error)) for r, where, error in errors] == [
        ("PERF998", "main.tf: aws_ebs_volume.data", "RuntimeError('boom')"),
        ("PERF997", "terraform project", "KeyError('missing')"),
    ]


async def test_the_server_logs_a_failing_rule_and_keeps_the_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engine, "all_rules", lambda: (*all_rules(), BROKEN))
    server = IacperfServer()
    server.event_loop = asyncio.get_running_loop()
    logged: asyncio.Queue[types.LogMessageParams] = asyncio.Queue()
    monkeypatch.setattr(server, "window_log_message", logged.put_nowait)
    path = str(tmp_path / "main.tf")

    def analyse() -> dict[str, list[engine.Finding]]:  # on the worker, as the server does
        server.project.update_open(path, TF)
        return server.project.lint_module(path, Selection(), server._on_rule_error)

    result = await server.event_loop.run_in_executor(server.executor, analyse)
    assert [(f.code, f.range.start.line) for f in result[path]] == [("PERF019", 2)]
    message = await asyncio.wait_for(logged.get(), 10)
    assert message.type == types.MessageType.Warning
    assert message.message == (
        f"iacperf: rule PERF998 failed on {path}: aws_ebs_volume.data: RuntimeError('boom')"
    )
    server.executor.shutdown()
