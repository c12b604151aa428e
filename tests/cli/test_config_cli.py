"""`iacperf check` with `.iacperf.yaml`: real processes in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

IACPERF = str(Path(sys.executable).parent / "iacperf")

VOLUMES_TF = """resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp2"
}

resource "aws_ebs_volume" "old" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "standard"
}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [IACPERF, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def findings(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    """(path, code, severity) of each finding in a JSON report."""
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    return [(f["path"], f["code"], f["severity"]) for f in report["findings"]]


def repo(tmp_path: Path, config: str | None) -> Path:
    """A repository with the config at its root and the Terraform in infra/."""
    (tmp_path / ".git").mkdir(parents=True)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(VOLUMES_TF)
    if config is not None:
        (tmp_path / ".iacperf.yaml").write_text(config)
    return tmp_path


def test_config_is_found_upward_from_the_working_directory(tmp_path: Path) -> None:
    root = repo(tmp_path, "ignore: [magnetic-storage]\nseverity:\n  PERF019: error\n")
    done = run("check", "--format", "json", ".", cwd=root / "infra")
    assert findings(done) == [("main.tf", "PERF019", "error")]


def test_without_a_config_every_rule_runs_at_its_own_severity(tmp_path: Path) -> None:
    root = repo(tmp_path, None)
    done = run("check", "--format", "json", ".", cwd=root / "infra")
    assert findings(done) == [("main.tf", "PERF019", "warning"), ("main.tf", "PERF021", "warning")]


def test_a_config_above_the_repository_is_not_used(tmp_path: Path) -> None:
    (tmp_path / ".iacperf.yaml").write_text("select: [PERF021]\n")
    root = repo(tmp_path / "project", None)
    done = run("check", "--format", "json", ".", cwd=root)
    assert {code for _, code, _ in findings(done)} == {"PERF019", "PERF021"}


def test_yml_spelling_is_found_too(tmp_path: Path) -> None:
    root = repo(tmp_path, None)
    (root / ".iacperf.yml").write_text("select: [PERF021]\n")
    done = run("check", "--format", "json", "infra", cwd=root)
    assert findings(done) == [("infra/main.tf", "PERF021", "warning")]


def test_select_flag_replaces_and_ignore_flag_extends(tmp_path: Path) -> None:
    root = repo(tmp_path, "select: [PERF021]\nignore: [PERF049]\n")
    replaced = run("check", "--format", "json", "--select", "PERF019", ".", cwd=root)
    assert findings(replaced) == [("infra/main.tf", "PERF019", "warning")]
    # The file selects PERF021; --ignore adds to the file's ignore list and wins.
    extended = run("check", "--format", "json", "--ignore", "magnetic-storage", ".", cwd=root)
    assert findings(extended) == []
    assert extended.returncode == 0


def test_exclude_flag_extends_the_files_exclude(tmp_path: Path) -> None:
    root = repo(tmp_path, "exclude: [legacy]\n")
    for folder in ("legacy", "scratch"):
        (root / folder).mkdir()
        (root / folder / "main.tf").write_text(VOLUMES_TF)
    only_file = run("check", "--format", "json", "--select", "PERF019", ".", cwd=root)
    assert [p for p, _, _ in findings(only_file)] == ["infra/main.tf", "scratch/main.tf"]
    both = run(
        "check", "--format", "json", "--select", "PERF019", "--exclude", "scratch", ".", cwd=root
    )
    assert [p for p, _, _ in findings(both)] == ["infra/main.tf"]


def test_exclude_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    root = repo(tmp_path, "exclude: ['infra/old/*']\nselect: [PERF019]\n")
    (root / "infra" / "old").mkdir()
    (root / "infra" / "old" / "main.tf").write_text(VOLUMES_TF)
    from_root = run("check", "--format", "json", ".", cwd=root)
    from_infra = run("check", "--format", "json", ".", cwd=root / "infra")
    assert [p for p, _, _ in findings(from_root)] == ["infra/main.tf"]
    assert [p for p, _, _ in findings(from_infra)] == ["main.tf"]
    # Named files are excluded too, so hooks that pass file names respect the config.
    named = run("check", "--format", "json", "old/main.tf", "main.tf", cwd=root / "infra")
    assert [p for p, _, _ in findings(named)] == ["main.tf"]


def test_max_file_size_from_the_file_and_the_flag(tmp_path: Path) -> None:
    root = repo(tmp_path, "max_file_size: 100\n")
    small = run("check", "--format", "json", ".", cwd=root)
    assert findings(small) == []
    size = len(VOLUMES_TF.encode())
    assert f"infra/main.tf: skipped, {size} bytes is over the 100-byte limit" in small.stderr
    flag = run("check", "--format", "json", "--max-file-size", "1k", ".", cwd=root)
    assert len(findings(flag)) == 2 and flag.stderr == ""


def test_config_option_names_a_file(tmp_path: Path) -> None:
    root = repo(tmp_path, "select: [PERF019]\n")
    (root / "strict.yaml").write_text("select: [PERF021]\nseverity: {PERF021: error}\n")
    done = run("check", "--format", "json", "--config", "strict.yaml", ".", cwd=root)
    assert findings(done) == [("infra/main.tf", "PERF021", "error")]
    missing = run("check", "--config", "nope.yaml", ".", cwd=root)
    assert missing.returncode == 2
    assert (
        missing.stderr == "iacperf: error: nope.yaml: cannot read it (No such file or directory)\n"
    )


def test_a_named_config_file_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    root = repo(tmp_path, None)
    (root / "legacy").mkdir()
    (root / "legacy" / "main.tf").write_text(VOLUMES_TF)
    (root / "ci").mkdir()
    (root / "ci" / "iacperf.yaml").write_text("exclude: ['legacy/*']\nselect: [PERF019]\n")
    done = run("check", "--format", "json", "--config", "ci/iacperf.yaml", ".", cwd=root)
    assert [p for p, _, _ in findings(done)] == ["infra/main.tf"]


def test_bad_value_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    root = repo(tmp_path, "select: [PERF019]\nseverity:\n    PERF019: loud\n")
    done = run("check", ".", cwd=root)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "iacperf: error: .iacperf.yaml:3:5: severity.PERF019: "
        "'loud' is not one of error, warning, information, hint\n"
    )
    below = run("check", ".", cwd=root / "infra")
    assert below.returncode == 2
    assert below.stderr.startswith("iacperf: error: ../.iacperf.yaml:3:5: severity.PERF019: ")


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    root = repo(tmp_path, "# settings\nselect: [PERF019]\nmaxFileSize: 5M\n")
    done = run("check", ".", cwd=root)
    assert done.returncode == 2
    assert done.stderr == (
        "iacperf: error: .iacperf.yaml:3:1: maxFileSize: unknown key; "
        "did you mean 'max_file_size'?\n"
    )


def test_invalid_yaml_exits_2_with_its_line(tmp_path: Path) -> None:
    root = repo(tmp_path, "select: [PERF019\nignore: [PERF021]\n")
    done = run("check", ".", cwd=root)
    assert done.returncode == 2
    assert done.stderr == (
        "iacperf: error: .iacperf.yaml:2:7: invalid YAML: expected ',' or ']', but got ':'\n"
    )


def test_unknown_rule_code_exits_2(tmp_path: Path) -> None:
    root = repo(tmp_path, "ignore:\n  - PERF19\n  - no-such-rule\n")
    done = run("check", ".", cwd=root)
    assert done.returncode == 2
    assert done.stderr == (
        "iacperf: error: .iacperf.yaml:2:5: ignore[0]: unknown rule 'PERF19'; "
        "did you mean 'PERF019'?\n"
    )
    (root / ".iacperf.yaml").write_text("ignore:\n  - PERF019\n  - no-such-rule\n")
    done = run("check", ".", cwd=root)
    assert done.stderr == (
        "iacperf: error: .iacperf.yaml:3:5: ignore[1]: unknown rule 'no-such-rule' "
        "(see `iacperf rules`)\n"
    )


def test_bad_max_file_size_flag_is_a_usage_error(tmp_path: Path) -> None:
    root = repo(tmp_path, None)
    done = run("check", "--max-file-size", "1.5M", ".", cwd=root)
    assert done.returncode == 2
    assert "not a positive size (like 5M or 500k): '1.5M'" in done.stderr


def test_var_files_from_the_config_resolve_variables(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    infra = tmp_path / "infra"
    (infra / "env").mkdir(parents=True)
    (infra / "main.tf").write_text(
        'variable "type" {\n  default = "gp3"\n}\n\n'
        'resource "aws_ebs_volume" "data" {\n'
        '  availability_zone = "eu-west-1a"\n'
        "  size              = 100\n"
        "  type              = var.type\n"
        "}\n"
    )
    (infra / "env" / "prod.tfvars").write_text('type = "gp2"\n')
    assert (
        findings(run("check", "--format", "json", "--select", "PERF019", "infra", cwd=tmp_path))
        == []
    )
    (tmp_path / ".iacperf.yaml").write_text("var_files: [infra/env/prod.tfvars]\n")
    done = run("check", "--format", "json", "--select", "PERF019", "infra", cwd=tmp_path)
    assert findings(done) == [(os.path.join("infra", "main.tf"), "PERF019", "warning")]
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["related"][0]["path"] == os.path.join("infra", "env", "prod.tfvars")


UNKNOWN_TF = """variable "volume_type" {
  type = string
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = var.volume_type
}
"""


def test_report_unknown_names_the_rules_a_value_kept_from_deciding(tmp_path: Path) -> None:
    root = repo(tmp_path, "select: [PERF019]\n")
    (root / "infra" / "main.tf").write_text(UNKNOWN_TF)
    quiet = run("check", "--format", "json", "infra", cwd=root)
    assert (quiet.returncode, findings(quiet), quiet.stderr) == (0, [], "")

    (root / ".iacperf.yaml").write_text("select: [PERF019]\nreport_unknown: true\n")
    done = run("check", "--format", "json", "infra", cwd=root)
    assert done.stderr == ""
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["code"], finding["severity"], finding["range"]["start"]["line"]) == (
        "PERF901",
        "information",
        7,
    )
    assert finding["message"] == (
        "PERF019 (EBS gp2 volume (migrate to gp3)) could not be evaluated: "
        "`type` is `var.volume_type`, a variable without a default or tfvars value"
    )
