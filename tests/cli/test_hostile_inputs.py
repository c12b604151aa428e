"""Hostile and broken inputs for ``iacperf check``: a clear message, bounded time and
memory, and every other file still checked. Timeouts fail only on a hang."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from iacperf.server.analysis import lint_text, read_text

IACPERF = str(Path(sys.executable).parent / "iacperf")
GP2_TF = 'resource "aws_ebs_volume" "v" {\n  size = 10\n  type = "gp2"\n}\n'
CFN_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'
#: The check may use this much address space: a runaway expansion or read fails the test.
MEMORY_LIMIT = 3 * 1024**3


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [IACPERF, "check", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    return done


def findings(done: subprocess.CompletedProcess[str]) -> dict[str, list[dict[str, object]]]:
    by_path: dict[str, list[dict[str, object]]] = {}
    for finding in json.loads(done.stdout)["findings"]:
        by_path.setdefault(str(finding["path"]), []).append(finding)
    return by_path


BROKEN = {
    "unclosed_brace.tf": 'resource "aws_instance" "a" {\n  ami = "x"\n',
    "unclosed_heredoc.tf": 'resource "aws_instance" "a" {\n  user_data = <<EOF\necho hi\n}\n',
    "unclosed_quote.tf": 'resource "aws_instance" "a" {\n  ami = "x\n}\n',
    "unclosed_interpolation.tf": 'locals {\n  a = "${var.x"\n}\n',
    "stray_brace.tf": "}\n}\n{\n",
    "bad_indent.yaml": CFN_HEAD + "  A:\n    Type: AWS::S3::Bucket\n   Properties: {}\n",
    "tabs.yaml": CFN_HEAD + "\tA:\n\t\tType: AWS::S3::Bucket\n",
    "unclosed_flow.yaml": CFN_HEAD + "  A: {Type: AWS::S3::Bucket\n",
    "truncated.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": {"Ty',
    "trailing_comma.json": '{"Resources": {"A": {"Type": "AWS::S3::Bucket",}}}',
    "truncated.tf.json": '{"resource": {"aws_ebs_volume": {"v": {"type": "gp',
}


def test_syntax_errors_everywhere_give_one_perf000_each_inside_the_file(tmp_path: Path) -> None:
    for name, text in BROKEN.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.tf").write_text(GP2_TF)
    found = findings(check(tmp_path, "."))
    assert [f["code"] for f in found.pop("good.tf")] == ["PERF019"]
    assert sorted(found) == sorted(BROKEN)
    for name, items in found.items():
        # One per broken Terraform block, one per file otherwise.
        assert {f["code"] for f in items} == {"PERF000"}, (name, items)
        lines = BROKEN[name].split("\n")
        start = items[0]["range"]["start"]  # type: ignore[index]
        assert start["line"] < len(lines), (name, start)
        assert start["character"] <= len(lines[start["line"]]), (name, start)


def billion_laughs(levels: int = 9) -> str:
    lines = [
        CFN_HEAD.split("\n")[0],
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    lines += ["Resources:", "  B:", "    Type: AWS::S3::Bucket", "    Properties:"]
    lines.append(f"      Tags: *a{levels}")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(300)
def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(billion_laughs())
    (tmp_path / "good.tf").write_text(GP2_TF)
    found = findings(check(tmp_path, "."))
    (error,) = found["bomb.yaml"]
    assert error["code"] == "PERF000"
    assert "aliases expand to more than 1,000,000 values" in str(error["message"])
    assert [f["code"] for f in found["good.tf"]] == ["PERF019"]


def test_a_few_aliases_are_fine() -> None:
    text = CFN_HEAD.replace("Resources:\n", "") + (
        "Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n"
        "      VolumeType: &t gp2\n      Tags: &tags [{Key: a, Value: *t}]\n"
        "  W:\n    Type: AWS::EC2::Volume\n    Properties:\n      VolumeType: *t\n"
        "      Tags: *tags\n"
    )
    assert sorted(f.code for f in lint_text("t.yaml", text)) == ["PERF019", "PERF019"]


DEEP = 3000


@pytest.mark.timeout(300)
def test_deep_nesting_is_a_syntax_error_not_a_crash(tmp_path: Path) -> None:
    deep = {
        "list.tf": "locals {\n  x = " + "[" * DEEP + "]" * DEEP + "\n}\n",
        "object.tf": "locals {\n  x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n}\n",
        "blocks.tf": 'resource "aws_instance" "a" {\n' + "b {\n" * DEEP + "}\n" * DEEP + "}\n",
        "deep.tf.json": '{"locals": {"x": ' + "[" * DEEP + "]" * DEEP + "}}",
        "deep.json": '{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"X": '
        + "[" * DEEP
        + "]" * DEEP
        + "}}}}",
        "deep.yaml": CFN_HEAD
        + "  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: "
        + "[" * DEEP
        + "]" * DEEP
        + "\n",
    }
    for name, text in deep.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.tf").write_text(GP2_TF)
    found = findings(check(tmp_path, "."))
    assert [f["code"] for f in found.pop("good.tf")] == ["PERF019"]
    assert {name: [f["code"] for f in items] for name, items in found.items()} == {
        name: ["PERF000"] for name in deep
    }
    assert "nested more than 100 levels deep" in str(found["object.tf"][0]["message"])


def test_nesting_real_configuration_uses_is_fine() -> None:
    depth = 60
    text = 'resource "aws_ebs_volume" "v" {\n  type = "gp2"\n  tags = ' + "{a = " * depth
    text += "1" + "}" * depth + "\n}\n"
    assert [f.code for f in lint_text("m.tf", text)] == ["PERF019"]


@pytest.mark.timeout(300)
def test_big_files_are_skipped_with_a_clear_message(tmp_path: Path) -> None:
    one_line = tmp_path / "one_line.tf"
    one_line.write_text('locals { x = "' + "a" * 10_000_000 + '" }\n')
    huge = tmp_path / "huge.tf"
    with huge.open("wb") as stream:  # 100 MB, sparse: never read
        stream.truncate(100 * 1024 * 1024)
    (tmp_path / "good.tf").write_text(GP2_TF)
    done = check(tmp_path, ".")
    assert "one_line.tf: skipped, 10,000,018 bytes is over the 5,242,880-byte limit" in done.stderr
    assert "huge.tf: skipped, 104,857,600 bytes is over the 5,242,880-byte limit" in done.stderr
    assert list(findings(done)) == ["good.tf"]


def test_binary_non_utf8_bom_crlf_mixed_tabs_and_emoji(tmp_path: Path) -> None:
    (tmp_path / "binary.tf").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "cp1252.tf").write_bytes(GP2_TF.replace("v", "caf\xe9").encode("cp1252"))
    (tmp_path / "bom.tf").write_bytes(b"\xef\xbb\xbf" + GP2_TF.encode())
    (tmp_path / "crlf.tf").write_bytes(GP2_TF.replace("\n", "\r\n").encode())
    mixed = (
        CFN_HEAD + "  V:\r\n    Type: AWS::EC2::Volume\n    Properties:\r\n      VolumeType: gp2\n"
    )
    (tmp_path / "mixed.yaml").write_text(mixed, newline="")
    (tmp_path / "tabs.tf").write_text(GP2_TF.replace("  ", "\t"))
    emoji = GP2_TF.replace("size = 10", 'tags = { a = "😀😀" }').replace(
        'type = "gp2"', 'type = "gp2" # ✓'
    )
    (tmp_path / "emoji.tf").write_text("# 😀 sparkles ✨\n" + emoji.replace("  type", "\ttype"))
    done = check(tmp_path, ".")
    assert "binary.tf: skipped, binary file" in done.stderr
    assert "cp1252.tf: skipped, not UTF-8 text" in done.stderr
    starts = {
        name: [(f["code"], f["range"]["start"]) for f in items]  # type: ignore[index]
        for name, items in findings(done).items()
    }
    assert starts == {
        "bom.tf": [("PERF019", {"line": 2, "character": 9})],
        "crlf.tf": [("PERF019", {"line": 2, "character": 9})],
        "mixed.yaml": [("PERF019", {"line": 5, "character": 18})],
        "tabs.tf": [("PERF019", {"line": 2, "character": 8})],
        # Columns are code points: the emoji on the line above do not count.
        "emoji.tf": [("PERF019", {"line": 3, "character": 8})],
    }


def test_unreadable_entries_dangling_links_pipes_and_loops(tmp_path: Path) -> None:
    (tmp_path / "dangling.tf").symlink_to(tmp_path / "missing.tf")
    os.mkfifo(tmp_path / "pipe.tf")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "again").symlink_to(tmp_path)
    (tmp_path / "good.tf").write_text(GP2_TF)
    done = check(tmp_path, ".", "pipe.tf", timeout=120)
    assert "pipe.tf: not a regular file" in done.stderr
    assert "dangling.tf" in done.stderr and "symlink loop" in done.stderr
    assert list(findings(done)) == ["good.tf"]


@pytest.mark.timeout(60)
def test_reading_a_named_pipe_never_blocks(tmp_path: Path) -> None:
    """The language server's workspace scan reads files through read_text."""
    os.mkfifo(tmp_path / "pipe.tf")
    warnings: list[str] = []
    assert read_text(str(tmp_path / "pipe.tf"), warnings.append) is None
    assert warnings == [f"{tmp_path / 'pipe.tf'}: skipped, not a regular file"]
