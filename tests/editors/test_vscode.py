"""A real VS Code (code-server 4.100.3 = VS Code 1.100.3) with the packaged .vsix, driven in
Debian's Chromium by playwright-core (``vscode/drive.js``), on a copy of ``workspace/``.

One run: open the Terraform module, read squiggles, Problems and the status bar, show the
hover, apply the quick fix from the lightbulb menu and save, run "Fix All", open the
CloudFormation template and a plain YAML file, type an S3 endpoint into one file of a module
and watch PERF046 leave the other, then point ``iacperf.server.path`` at nothing and then at
the real server, and run "Restart Server" and "Show Output". At first the extension finds
the server as a user's would: ``iacperf`` on PATH (this venv's, set in ~/.profile). The tests
below check what the run recorded and what reached the disk. Screenshots, the run's
result.json and VS Code's logs (the iacperf output channel among them) are written to
build/artifacts/vscode/. Tools come from ``.ci/install-editors``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import HERE, ROOT, WORKSPACE, fresh_artifacts, need_path, need_program, run_group

CODE_SERVER = Path(
    os.environ.get(
        "IACPERF_CODE_SERVER", ROOT / "build/editors/code-server/node_modules/.bin/code-server"
    )
)
DRIVER = HERE / "vscode" / "drive.js"
TARGET = "infra/main.tf"
CFN = "cfn/volume.yaml"
NOT_IAC = "ci/build.yml"
MODULE = ("network/main.tf", "network/endpoints.tf")  # PERF046 in the first, fixed in the second
S3_ENDPOINT = """
resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
}
"""
FIX_TITLE = "Change volume type to gp3"
MESSAGE = "EBS volume type is gp2; use gp3"
BROKEN_SERVER = "/nonexistent/iacperf"
STEPS = [
    "workbench",
    "opened_terraform",
    "squiggles",
    "problems",
    "hover",
    "quick_fix",
    "saved",
    "fix_all",
    "cloudformation",
    "not_iac",
    "module_finding",
    "module_cross_file",
    "not_found",
    "restart",
]
SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "security.workspace.trust.enabled": False,
    "chat.disableAIFeatures": True,
    "editor.hover.delay": 100,
    "files.autoSave": "off",
    # The driver types Terraform: no brackets or indentation added behind its back.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoIndent": "none",
    "editor.acceptSuggestionOnEnter": "off",
    "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
    "iacperf.trace.server": "messages",
    # A server setting, to see that it reaches the server: PERF019 is a warning by default.
    "iacperf.severity": {"PERF019": "error"},
}


@dataclass
class Run:
    result: dict[str, Any]
    returncode: int
    output: str
    workspace: Path
    artifacts: Path

    def require(self, step: str) -> None:
        """Fail with what is known about the run unless it got through ``step``."""
        if step in self.result.get("steps", []):
            return
        pytest.fail(
            f"VS Code run did not reach {step!r} (rc={self.returncode}, steps="
            f"{self.result.get('steps')}):\n{self.result.get('error')}\n"
            f"Problems: {self.result.get('problems_at_failure')}\n"
            f"status bar: {self.result.get('status_at_failure')!r}\n"
            f"--- driver and code-server output\n{self.output[-4000:]}\n"
            f"(screenshots and logs in {self.artifacts})"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"code-server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"code-server did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def tools(npm: str) -> dict[str, str]:
    return {
        "node": need_program("node"),
        "chromium": need_program("chromium", "/usr/bin/chromium"),
        "code_server": str(need_path(CODE_SERVER, "code-server 4.100.3")),
        "playwright": str(
            need_path(HERE / "vscode" / "node_modules" / "playwright-core", "playwright-core")
        ),
    }


@pytest.fixture(scope="module")
def iacperf_bin() -> Path:
    """The folder of this venv's ``iacperf``: put first on code-server's PATH."""
    folder = Path(sys.executable).parent
    assert (folder / "iacperf").exists(), f"no iacperf script next to {sys.executable}"
    return folder


@pytest.fixture(scope="module")
def run(
    tools: dict[str, str], vsix: Path, iacperf_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Run]:
    base = tmp_path_factory.mktemp("vscode-e2e")
    artifacts = fresh_artifacts("vscode")
    workspace = base / "ws"
    shutil.copytree(WORKSPACE, workspace)
    user = base / "user-data" / "User"
    user.mkdir(parents=True)
    settings_file = user / "settings.json"
    settings_file.write_text(json.dumps(SETTINGS, indent=2))
    port = _free_port()
    (base / "config.yaml").write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    common = ["--user-data-dir", str(base / "user-data"), "--extensions-dir", str(base / "ext")]
    common += ["--config", str(base / "config.yaml")]
    # VS Code takes the extension host's PATH from the user's login shell (bash -ilc env), so
    # iacperf goes on PATH the way a user puts it there: in ~/.profile.
    home = base / "home"
    home.mkdir()
    (home / ".profile").write_text(f'PATH="{iacperf_bin}:$PATH"\nexport PATH\n')
    env = {
        **os.environ,
        "HOME": str(home),
        "SHELL": "/bin/bash",
        "XDG_CONFIG_HOME": str(base / "xdg"),
        "XDG_DATA_HOME": str(base / "xdg"),
    }
    code_server = tools["code_server"]
    returncode, output = run_group(
        [code_server, *common, "--install-extension", str(vsix)], timeout=120, env=env
    )
    assert returncode == 0 and "was successfully installed" in output, output

    server = subprocess.Popen(
        [code_server, *common, "--disable-telemetry", "--disable-update-check"]
        + ["--disable-workspace-trust", "--disable-getting-started-override", str(workspace)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=(base / "code-server.log").open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the extension host and the language server die with it
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        config = {
            "url": f"{url}/?folder={workspace}",
            "workspace": str(workspace),
            "outDir": str(artifacts),
            # Where VS Code writes machine-scoped settings of a remote window.
            "settingsFile": str(base / "user-data" / "Machine" / "settings.json"),
            "chromium": tools["chromium"],
            "target": _target(),
            "fixTitle": FIX_TITLE,
            "cfnFile": CFN,
            "notIacFile": NOT_IAC,
            "module": {"checked": MODULE[0], "edited": MODULE[1], "append": S3_ENDPOINT},
            "brokenServerPath": BROKEN_SERVER,
            "realServerPath": str(iacperf_bin / "iacperf"),
            "logsDir": str(base / "user-data" / "logs"),
        }
        (base / "drive.json").write_text(json.dumps(config))
        returncode, output = run_group(
            [tools["node"], str(DRIVER), str(base / "drive.json")], timeout=300, cwd=DRIVER.parent
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.copy2(base / "code-server.log", artifacts)
        shutil.copytree(base / "user-data" / "logs", artifacts / "logs", dirs_exist_ok=True)
    result_file = artifacts / "result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else {"error": "no result"}
    yield Run(result, returncode, output, workspace, artifacts)


def _lines(relative: str, value: str) -> list[tuple[int, int]]:
    """1-based line and column of each ``value`` in a workspace file."""
    text = (WORKSPACE / relative).read_text().splitlines()
    return [(n + 1, line.index(value) + 1) for n, line in enumerate(text) if value in line]


def _target() -> dict[str, Any]:
    line, column = _lines(TARGET, '"gp2"')[0]
    return {"file": TARGET, "line": line, "column": column + 1}  # inside the quotes


def _rows(problems: list[str], code: str) -> list[str]:
    return [row for row in problems if f"iacperf {code} " in row]


def test_the_run_finishes(run: Run) -> None:
    run.require("not_found")
    assert run.result["steps"] == STEPS
    assert run.returncode == 0, run.output
    shots = ("problems", "hover", "quick-fix", "cloudformation", "module", "not-found", "output")
    for name in shots:
        assert (run.artifacts / f"vscode-{name}.png").stat().st_size > 10_000, name


def test_squiggles_problems_and_status_bar_name_the_findings(run: Run) -> None:
    run.require("problems")
    opened = run.result["files"][TARGET]
    assert opened["squiggles"] == opened["errors"] == 2  # iacperf.severity made them errors
    assert opened["status"] == "iacperf server running, 2 findings in the active file"
    rows = _rows(run.result["problems"], "PERF019")
    expected = [
        f"{MESSAGE} iacperf PERF019 [Ln {ln}, Col {col}]" for ln, col in _lines(TARGET, '"gp2"')
    ]
    assert rows == expected, run.result["problems"]


def test_hover_shows_the_well_architected_id_and_evidence_links(run: Run) -> None:
    run.require("hover")
    hover = run.result["hover"]
    assert "PERF019 · EBS gp2 volume (migrate to gp3)" in hover
    assert "PERF03-BP02" in hover
    links = {link["text"]: link["href"] for link in run.result["hover_links"]}
    assert links["PERF03-BP02"].startswith("https://docs.aws.amazon.com/wellarchitected/"), links
    assert any(h.startswith("https://docs.aws.amazon.com/ebs/") for h in links.values()), links


def test_quick_fix_changes_only_the_value_and_is_saved(run: Run) -> None:
    run.require("saved")
    assert f"{FIX_TITLE} (PERF019)" in run.result["code_actions"]
    assert run.result["after_quick_fix"]["squiggles"] == 1
    assert run.result["after_quick_fix"]["status"].endswith(", 1 finding in the active file")
    original = (WORKSPACE / TARGET).read_text()
    first = original.index('"gp2"')
    expected = original[:first] + '"gp3"' + original[first + len('"gp2"') :]
    assert run.result["saved_after_quick_fix"] == expected


def test_fix_all_command_fixes_the_rest_and_is_saved(run: Run) -> None:
    run.require("fix_all")
    expected = (WORKSPACE / TARGET).read_text().replace('"gp2"', '"gp3"')
    assert run.result["saved_after_fix_all"] == expected
    assert (run.workspace / TARGET).read_text() == expected
    assert run.result["after_fix_all"]["squiggles"] == 0
    assert run.result["after_fix_all"]["status"].endswith(", 0 findings in the active file")


def test_cloudformation_template_gets_its_finding(run: Run) -> None:
    run.require("cloudformation")
    assert run.result["files"][CFN]["squiggles"] == run.result["files"][CFN]["errors"] == 1
    (line, column) = _lines(CFN, "gp2")[0]
    assert f"{MESSAGE} iacperf PERF019 [Ln {line}, Col {column}]" in run.result["problems_cfn"]


def test_plain_yaml_gets_no_findings(run: Run) -> None:
    run.require("not_iac")
    state = run.result["files"][NOT_IAC]
    assert state["squiggles"] == 0
    assert state["status"] == "iacperf server running, 0 findings in the active file"


def test_editing_one_module_file_updates_the_other(run: Run) -> None:
    run.require("module_cross_file")
    assert run.result["files"][MODULE[0]]["squiggles"] == 1
    assert run.result["files"][MODULE[0]]["errors"] == 0  # PERF046 keeps its own severity
    assert _rows(run.result["problems_module"], "PERF046"), run.result["problems_module"]
    assert run.result["module_after_edit"]["squiggles"] == 0
    # The endpoint was typed, not saved: the server read the open editor's text.
    assert run.result["module_edited_on_disk"] == (WORKSPACE / MODULE[1]).read_text()


def test_missing_server_gives_one_message_with_the_install_command(run: Run) -> None:
    run.require("not_found")
    assert run.result["status_before_break"].startswith("iacperf server running")
    messages = [n for n in run.result["notifications"] if "iacperf" in n]
    assert len(messages) == 1, run.result["notifications"]
    assert BROKEN_SERVER in messages[0] and "pip install iacperf" in messages[0]
    assert "Traceback" not in messages[0] and "    at " not in messages[0]
    assert run.result["status_not_found"] == "iacperf server not found"


def test_server_path_setting_restart_and_output_commands(run: Run) -> None:
    run.require("restart")
    real = str(Path(sys.executable).parent / "iacperf")
    assert run.result["output_starts"] == [
        f"Starting {real} lsp (iacperf on PATH)",
        f"iacperf: the server set in iacperf.server.path ({BROKEN_SERVER}) is not an executable"
        " file. Install it with `pip install iacperf` and point the setting at its iacperf"
        " executable, or clear the setting.",
        f"Starting {real} lsp (setting iacperf.server.path)",  # the setting changed
        f"Starting {real} lsp (setting iacperf.server.path)",  # iacperf: Restart Server
    ]
    assert run.result["status_after_restart"] == (
        "iacperf server running, 1 finding in the active file"
    )
    assert run.result["output_channel"] == "iacperf"
