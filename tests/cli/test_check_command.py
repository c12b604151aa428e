"""`iacperf check`, `rules` and `explain` as users run them: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from iacperf.rules.api import Applicability
from iacperf.server.analysis import lint_text
from iacperf.server.fixes import apply_fixes
from iacperf.server.writing import FileChangedError, digest, fix_files

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
IACPERF = str(Path(sys.executable).parent / "iacperf")

GP2_TF = """resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp2"
}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [IACPERF, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def test_text_output_is_ruff_like(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GP2_TF)
    done = run("check", ".", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "main.tf:4:23: PERF019 [*] EBS volume type is gp2; use gp3"
    assert lines[2].startswith("Found 1 finding in 1 file (")
    assert "1 fixable with `iacperf check --fix`" in lines[2]
    assert "\033[" not in done.stdout, "no colour when stdout is not a terminal"
    assert done.stderr == ""


def test_colour_on_request(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GP2_TF)
    done = run("check", "--color", "always", ".", cwd=tmp_path)
    assert "\033[1;33mPERF019\033[0m" in done.stdout


def test_json_contract(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(GP2_TF)
    done = run("check", "--format", "json", "infra", cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert set(report) == {"version", "findings", "summary"}
    assert set(report["summary"]) == {"files", "findings", "parse_errors", "seconds"}
    assert report["summary"]["files"] == 1 and report["summary"]["findings"] == 1
    (finding,) = report["findings"]
    assert finding == {
        "code": "PERF019",
        "name": "ebs-gp2-volume",
        "severity": "warning",
        "message": "EBS volume type is gp2; use gp3",
        "path": os.path.join("infra", "main.tf"),
        "range": {"start": {"line": 3, "character": 22}, "end": {"line": 3, "character": 27}},
        "resource": "aws_ebs_volume.data",
        "related": [],
        "fix": {
            "title": "Change volume type to gp3",
            "applicability": "safe",
            "edits": [
                {
                    "range": {
                        "start": {"line": 3, "character": 22},
                        "end": {"line": 3, "character": 27},
                    },
                    "newText": '"gp3"',
                }
            ],
        },
    }


def test_json_names_where_a_resolved_value_came_from(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GP2_TF.replace('"gp2"', "var.type"))
    (tmp_path / "terraform.tfvars").write_text('type = "gp2"\n')
    (tmp_path / "variables.tf").write_text('variable "type" {\n  default = "gp3"\n}\n')
    done = run("check", "--format", "json", ".", cwd=tmp_path)
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["related"] == [
        {
            "message": "the value comes from terraform.tfvars",
            "path": "terraform.tfvars",
            "range": {"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 12}},
        }
    ]
    assert finding["fix"]["applicability"] == "display-only"


def test_absolute_paths_inside_cwd_are_shown_relative(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GP2_TF)
    done = run("check", "--format", "json", str(tmp_path / "main.tf"), cwd=tmp_path)
    assert json.loads(done.stdout)["findings"][0]["path"] == "main.tf"


def test_exit_codes_and_fail_on(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "main.tf").write_text(GP2_TF.replace("gp2", "gp3"))
    assert run("check", str(clean), cwd=tmp_path).returncode == 0
    (tmp_path / "main.tf").write_text(GP2_TF)
    assert run("check", "main.tf", cwd=tmp_path).returncode == 1
    assert run("check", "--fail-on", "error", "main.tf", cwd=tmp_path).returncode == 0
    assert run("check", "--fail-on", "warning", "main.tf", cwd=tmp_path).returncode == 1
    bad = run("check", "--select", "PERF999", "main.tf", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown rule PERF999" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_select_and_ignore_accept_codes_and_names(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GP2_TF)
    for option in (
        ["--ignore", "PERF019"],
        ["--ignore", "ebs-gp2-volume"],
        ["--select", "PERF000"],
    ):
        done = run("check", *option, "--format", "json", ".", cwd=tmp_path)
        assert json.loads(done.stdout)["findings"] == [], option
    done = run("check", "--select", "ebs-gp2-volume", "--format", "json", ".", cwd=tmp_path)
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["PERF019"]


def test_fix_writes_safe_fixes_and_keeps_crlf_and_mode(tmp_path: Path) -> None:
    source = FIXTURES / "PERF019" / "bad.yaml"
    target = tmp_path / "template.yaml"
    crlf = source.read_text().replace("\n", "\r\n")
    target.write_bytes(crlf.encode())
    target.chmod(0o640)
    expected, _ = apply_fixes(crlf, lint_text("template.yaml", crlf), Applicability.SAFE)
    done = run("check", "--fix", "template.yaml", cwd=tmp_path)
    written = target.read_bytes().decode()
    assert written == expected and written != crlf
    assert "\r\n" in written and "\n" not in written.replace("\r\n", "")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    # Unsafe fixes (launch configuration, instance mappings) remain.
    assert "Fixed" in done.stdout and done.returncode == 1
    left = [p.name for p in tmp_path.iterdir() if p.name != ".iacperf_cache"]
    assert left == ["template.yaml"], "no temporary files left"


def test_unsafe_fixes_reach_the_fixed_fixture(tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    shutil.copy(FIXTURES / "PERF019" / "bad.tf", target)
    done = run("check", "--fix", "--unsafe-fixes", "--select", "PERF019", "main.tf", cwd=tmp_path)
    assert target.read_text() == (FIXTURES / "PERF019" / "bad.tf.fixed").read_text()
    assert done.returncode == 0, done.stdout


def test_fix_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(GP2_TF)
    findings = lint_text(str(target), GP2_TF)
    target.write_text(GP2_TF + "\n# edited meanwhile\n")
    with pytest.raises(FileChangedError, match="changed on disk"):
        fix_files(findings, Applicability.SAFE, {str(target): digest(GP2_TF)})
    assert target.read_text().endswith("# edited meanwhile\n")


def test_parse_error_is_one_perf000_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_instance" "a" {\n  ami = \n}\n')
    (tmp_path / "broken.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [unclosed\n"
    )
    (tmp_path / "main.tf").write_text(GP2_TF)
    done = run("check", "--format", "json", ".", cwd=tmp_path)
    report = json.loads(done.stdout)
    by_path = {(f["path"], f["code"]): f for f in report["findings"]}
    assert set(by_path) == {
        ("broken.tf", "PERF000"),
        ("broken.yaml", "PERF000"),
        ("main.tf", "PERF019"),
    }
    tf_error = by_path[("broken.tf", "PERF000")]
    assert tf_error["severity"] == "error"
    assert tf_error["range"]["start"] == {"line": 1, "character": 8}  # the missing value
    assert tf_error["message"] == "Terraform syntax error: unexpected end of line"
    assert by_path[("broken.yaml", "PERF000")]["message"].startswith("YAML syntax error")
    assert report["summary"]["parse_errors"] == 2
    assert done.stderr == ""


def test_bad_files_are_skipped_with_one_warning_each(tmp_path: Path) -> None:
    (tmp_path / "binary.tf").write_bytes(b"\x00\x01\x02resource")
    (tmp_path / "latin1.tf").write_bytes('# caf\xe9\nresource "a" "b" {}\n'.encode("latin-1"))
    (tmp_path / "huge.tf").write_text("# padding\n" * 2000)
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "self").symlink_to(tmp_path / "loop")
    (tmp_path / "main.tf").write_text(GP2_TF)
    done = run("check", "--max-file-size", "10k", ".", cwd=tmp_path)
    warnings = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert any("binary.tf: skipped, binary file" in w for w in warnings)
    assert any("latin1.tf: skipped, not UTF-8" in w for w in warnings)
    assert any(
        "huge.tf: skipped, 20,000 bytes is over the 10,240-byte limit" in w for w in warnings
    )
    assert any("symlink loop" in w for w in warnings)
    assert len(warnings) == 4, warnings
    assert "main.tf:4:23: PERF019" in done.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "secret.tf"
    secret.write_text(GP2_TF)
    secret.chmod(0)
    done = run("check", ".", cwd=tmp_path)
    assert "secret.tf: skipped, cannot read it" in done.stderr


def test_tool_directories_are_never_entered(tmp_path: Path) -> None:
    for folder in (".terraform/modules/x", "node_modules/pkg", ".git/objects"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.tf").write_text(GP2_TF)
    done = run("check", "--format", "json", ".", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert report["summary"]["files"] == 0 and report["findings"] == []


def test_exclude_globs(tmp_path: Path) -> None:
    for folder in ("live", "legacy", "modules/old"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.tf").write_text(GP2_TF)
    (tmp_path / "live" / "scratch.tf").write_text(GP2_TF)
    done = run(
        "check",
        "--format",
        "json",
        "--exclude",
        "legacy",
        "--exclude",
        "modules/*",
        "--exclude",
        "scratch.tf",
        ".",
        cwd=tmp_path,
    )
    assert [f["path"] for f in json.loads(done.stdout)["findings"]] == ["live/main.tf"]


def test_non_cloudformation_yaml_and_json_are_ignored_quietly(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}\n')
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {build: {runs-on: ubuntu-latest}}\n")
    done = run("check", "--format", "json", ".", cwd=tmp_path)
    assert json.loads(done.stdout)["summary"]["files"] == 0
    assert done.returncode == 0 and done.stderr == ""


def test_rules_and_explain(tmp_path: Path) -> None:
    listing = run("rules", cwd=tmp_path)
    assert listing.returncode == 0
    assert any(line.startswith("PERF019  ebs-gp2-volume") for line in listing.stdout.splitlines())
    as_json = json.loads(run("rules", "--format", "json", cwd=tmp_path).stdout)
    by_code = {entry["code"]: entry for entry in as_json}
    assert by_code["PERF019"]["name"] == "ebs-gp2-volume"
    assert by_code["PERF019"]["well_architected"] == ["PERF03-BP02", "PERF05-BP06"]
    page = run("explain", "PERF019", cwd=tmp_path)
    assert page.stdout.startswith("# PERF019: ebs-gp2-volume")
    assert "## Why is this bad?" in page.stdout and "PERF03-BP02" in page.stdout
    assert run("explain", "ebs-gp2-volume", cwd=tmp_path).stdout == page.stdout
    unknown = run("explain", "PERF999", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr


def test_examples_show_findings_and_a_fix() -> None:
    done = run("check", "--no-cache", "--format", "json", "examples/", cwd=ROOT)
    report = json.loads(done.stdout)
    assert report["summary"]["files"] == 2 and report["summary"]["parse_errors"] == 0
    assert len({f["code"] for f in report["findings"]}) >= 1
    assert any(f["fix"] and f["fix"]["applicability"] == "safe" for f in report["findings"])


def test_the_console_script_flushes_everything_before_it_leaves(tmp_path: Path) -> None:
    # `iacperf` leaves without tearing the interpreter down (cli.run): what it printed
    # must all be there, through a pipe as into a file, and the exit code kept.
    for index in range(300):
        (tmp_path / f"v{index}.tf").write_text(GP2_TF.replace('"data"', f'"data{index}"'))
    piped = run("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert piped.returncode == 1
    assert len(json.loads(piped.stdout)["findings"]) == 300
    written = tmp_path / "out.json"
    with written.open("w") as out:
        done = subprocess.run(
            [IACPERF, "check", "--no-cache", "--format", "json", "."],
            cwd=tmp_path,
            stdout=out,
            check=False,
        )
    assert done.returncode == 1
    assert len(json.loads(written.read_text())["findings"]) == 300


def test_output_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    # 3,000 findings: more than a pipe holds, so the writes after `head` left fail.
    volumes = "".join(GP2_TF.replace('"data"', f'"data{index}"') for index in range(30))
    for index in range(100):
        (tmp_path / f"v{index}.tf").write_text(volumes)
    reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer = subprocess.run(
        [IACPERF, "check", "--no-cache", "."],
        cwd=tmp_path,
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    assert reader.stdout is not None
    first = reader.stdout.read()
    reader.wait()
    assert b"PERF019" in first
    # Exit code 0: the CLI saw the broken pipe and stopped quietly, before and at exit.
    assert "Traceback" not in writer.stderr and writer.returncode == 0, writer.stderr


def test_help_is_as_wide_as_the_terminal_says() -> None:
    def help_at(columns: int) -> list[str]:
        env = {**os.environ, "COLUMNS": str(columns)}
        done = subprocess.run(
            [IACPERF, "check", "--help"], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout.splitlines()

    narrow, wide = help_at(50), help_at(200)
    assert len(wide) < len(narrow)
    assert max(map(len, wide)) > 100
    # Only an option's choices, which argparse never breaks, may run past a narrow width.
    assert all(len(line) <= 48 or "{" in line for line in narrow)


CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_whole_corpus_scans_without_a_traceback() -> None:
    done = run("check", "--format", "json", str(CORPUS), cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["files"] > 3000


ALLOWED_CFN = """\
Parameters:
  Size:
    Type: String
    AllowedValues: [m4.large, c4.large]
  Mixed:
    Type: String
    AllowedValues: [m4.large, m7i.large]
Resources:
  Old:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref Size
  Either:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref Mixed
"""


def test_a_parameter_whose_every_allowed_value_is_bad_is_reported(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(ALLOWED_CFN)
    done = run("check", "--format", "json", "--select", "PERF001", "t.yaml", cwd=tmp_path)
    assert done.stderr == ""
    (finding,) = json.loads(done.stdout)["findings"]  # not Either: m7i.large is fine
    assert (finding["resource"], finding["range"]["start"]["line"]) == ("Old", 11)
    assert [(r["message"], r["range"]["start"]["line"]) for r in finding["related"]] == [
        ('the value comes from AllowedValues of parameter "Size"', 3)
    ]
    assert finding["fix"]["applicability"] == "display-only" and finding["fix"]["edits"] == []
    # --fix has nothing to apply: the template is left as it is.
    run("check", "--fix", "--select", "PERF001", "t.yaml", cwd=tmp_path)
    assert (tmp_path / "t.yaml").read_text() == ALLOWED_CFN


def test_lsp_accepts_the_stdio_flag_editors_add(tmp_path: Path) -> None:
    """``iacperf lsp --stdio`` (what many LSP clients run by default) answers initialize
    and exits cleanly after shutdown and exit; cancelling a request that was already
    answered (as VS Code does all the time) writes nothing to stderr."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    frames = b"".join(
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in (json.dumps(m).encode() for m in messages)
    )
    done = subprocess.run(
        [IACPERF, "lsp", "--stdio"], input=frames, capture_output=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b'"name":"iacperf"' in done.stdout.replace(b" ", b""), done.stdout[:500]
    assert done.stderr == b"", done.stderr.decode()[-2000:]
