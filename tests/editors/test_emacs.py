"""README's Emacs snippet, unchanged, in a real Emacs with eglot (``--batch``).

One run of ``emacs/eglot-e2e.el`` on a copy of ``workspace/``: the snippet's hooks start
eglot for the Terraform file, the driver reads Flymake's diagnostics, asks for the hover and
the code actions, applies the quick fix and saves; then it opens the CloudFormation
templates (which must get the server) and YAML/JSON that is not CloudFormation (which must
not). Emacs and eglot come from Debian (``.ci/install-editors``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from .support import HERE, ROOT, WORKSPACE, need_program, run_group, unavailable

README = ROOT / "README.md"
DRIVER = HERE / "emacs" / "eglot-e2e.el"
TARGET = "infra/main.tf"
CFN = ("cfn/volume.yaml", "cfn/volume.json")
NOT_IAC = ("ci/build.yml", "ci/package.json", ".iacperf.yaml")
FIX_TITLE = "Change volume type to gp3"
MESSAGE = "iacperf [PERF019]: EBS volume type is gp2; use gp3"


def readme_snippet() -> str:
    section = README.read_text().split("\n### Emacs\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```elisp\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "README's Emacs section should hold one elisp block"
    return str(blocks[0])


def _positions(relative: str, value: str) -> list[tuple[int, int]]:
    lines = (WORKSPACE / relative).read_text().splitlines()
    return [(n, line.index(value)) for n, line in enumerate(lines) if value in line]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    emacs = need_program("emacs")
    for package, debian in (("eglot", "elpa-eglot"), ("yaml-mode", "elpa-yaml-mode")):
        probe = f'(progn (package-initialize) (princ (or (locate-library "{package}") "")))'
        returncode, output = run_group([emacs, "--batch", "--eval", probe], timeout=60)
        if returncode != 0 or package not in output:
            unavailable(f"{package} is not installed for this Emacs (Debian: {debian})")
    base = tmp_path_factory.mktemp("emacs-e2e")
    workspace = base / "ws"
    shutil.copytree(WORKSPACE, workspace)
    (base / "snippet.el").write_text(readme_snippet())
    (base / "home").mkdir()
    line, column = _positions(TARGET, '"gp2"')[0]
    out = base / "result.json"
    env = {
        **os.environ,
        "HOME": str(base / "home"),  # no user init, no ~/.emacs.d
        # The snippet starts "iacperf lsp" from PATH: this venv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "IACPERF_E2E_SNIPPET": str(base / "snippet.el"),
        "IACPERF_E2E_WORKSPACE": str(workspace),
        "IACPERF_E2E_TARGET": f"{TARGET}:{line}:{column + 1}",
        "IACPERF_E2E_FIX": FIX_TITLE,
        "IACPERF_E2E_OTHERS": ",".join((*CFN, *NOT_IAC)),
        "IACPERF_E2E_OUT": str(out),
    }
    returncode, output = run_group([emacs, "--batch", "-l", str(DRIVER)], timeout=120, env=env)
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    assert result.get("ok") is True and returncode == 0, f"rc={returncode}\n{result}\n{output}"
    result["workspace"] = str(workspace)
    return result


def _expected(relative: str, value: str) -> list[dict[str, Any]]:
    return [
        {
            "line": line,
            "column": column,
            "end_column": column + len(value),
            "type": "eglot-warning",
            "text": MESSAGE,
        }
        for line, column in _positions(relative, value)
    ]


def test_snippet_attaches_iacperf_to_terraform_and_cloudformation_only(
    run: dict[str, Any],
) -> None:
    files = run["files"]
    modes = {name: files[name]["major_mode"] for name in files}
    assert modes == {
        TARGET: "terraform-mode",
        "cfn/volume.yaml": "cfn-yaml-mode",
        "cfn/volume.json": "cfn-json-mode",
        "ci/build.yml": "yaml-mode",
        "ci/package.json": "js-mode",
        ".iacperf.yaml": "yaml-mode",
    }
    for name in (TARGET, *CFN):
        assert files[name]["server"] == "iacperf", name
        assert files[name]["server_command"] == ["iacperf", "lsp"], name
    for name in NOT_IAC:
        assert files[name]["server"] is None, name
    assert run["servers"] == 1  # one server for the project


def test_flymake_shows_the_findings_at_their_values(run: dict[str, Any]) -> None:
    files = run["files"]
    assert files[TARGET]["diagnostics"] == _expected(TARGET, '"gp2"')
    assert files["cfn/volume.yaml"]["diagnostics"] == _expected("cfn/volume.yaml", "gp2")
    assert files["cfn/volume.json"]["diagnostics"] == _expected("cfn/volume.json", '"gp2"')


def test_hover_carries_the_best_practice_and_evidence(run: dict[str, Any]) -> None:
    assert run["hover_kind"] == "markdown"
    hover = run["hover"]
    assert hover.startswith("**PERF019 · EBS gp2 volume (migrate to gp3)**"), hover
    assert re.search(r"\[PERF03-BP02\]\(https://docs\.aws\.amazon\.com/wellarchitected/", hover)
    assert re.search(r"\(https://docs\.aws\.amazon\.com/ebs/latest/userguide/[^)\s]+\)", hover)


def test_quick_fix_is_applied_saved_and_clears_its_finding(run: dict[str, Any]) -> None:
    assert f"{FIX_TITLE} (PERF019)" in run["code_actions"]
    original = (WORKSPACE / TARGET).read_text()
    first = original.index('"gp2"')
    expected = original[:first] + '"gp3"' + original[first + len('"gp2"') :]
    assert (Path(run["workspace"]) / TARGET).read_text() == expected
    assert run["diagnostics_after_fix"] == _expected(TARGET, '"gp2"')[1:]
