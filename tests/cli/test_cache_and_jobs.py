"""The on-disk cache and the process pool: a warm or parallel scan says exactly what a
cold serial scan says, whatever changed in between."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iacperf.server import parallel
from iacperf.server.analysis import iter_files, scan
from iacperf.server.cache import Cache
from iacperf.server.engine import Finding, Selection
from iacperf.server.parallel import scan_units

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"
IACPERF = str(Path(sys.executable).parent / "iacperf")

MAIN_TF = """\
module "disks" {
  source      = "./modules/disks"
  volume_type = var.volume_type
}

resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "m4.large"
}
"""
VARIABLES_TF = """\
variable "volume_type" {
  default = "gp2"
}
"""
MODULE_TF = """\
variable "volume_type" {}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = var.volume_type
}
"""
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Volume:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 100
      VolumeType: gp2
"""


def _project(root: Path) -> Path:
    (root / "modules" / "disks").mkdir(parents=True)
    (root / "main.tf").write_text(MAIN_TF)
    (root / "variables.tf").write_text(VARIABLES_TF)
    (root / "modules" / "disks" / "main.tf").write_text(MODULE_TF)
    (root / "volume.yaml").write_text(TEMPLATE)
    return root


def _keyed(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [
        (f.code, f.severity, f.message, f.path, f.range, f.resource, f.fix, f.related)
        for f in findings
    ]


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IACPERF_")}
    return subprocess.run(
        [IACPERF, "check", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=False,
    )


def _findings(done: subprocess.CompletedProcess[str]) -> str:
    # Everything but the summary's seconds.
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.split('"summary"')[0]


def test_pool_gives_the_serial_findings_in_the_serial_order() -> None:
    files = list(iter_files([str(EXAMPLES)], lambda _: None))
    serial = scan(files)
    pooled = scan_units(
        files, Selection(), lambda _: None, 5 * 2**20, jobs=2, cache=None, min_parallel_bytes=0
    )
    assert _keyed(pooled.findings) == _keyed(serial.findings)
    assert (pooled.files, pooled.parse_errors) == (serial.files, serial.parse_errors)
    assert pooled.digests == serial.digests


def test_a_scan_without_cache_or_fixes_hashes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> str:
        raise AssertionError("hashed a file")

    monkeypatch.setattr(parallel, "digest", refuse)
    monkeypatch.setattr(parallel, "content_hash", refuse)
    monkeypatch.setattr(parallel, "_hash_file", refuse)
    files = list(iter_files([str(EXAMPLES)], lambda _: None))
    for jobs in (1, 2):
        quiet = scan_units(
            files, Selection(), lambda _: None, 5 * 2**20, jobs, None, 0, fixing=False
        )
        assert _keyed(quiet.findings) == _keyed(scan(files).findings)
        assert quiet.digests == {}


def _pooled_and_serial(jobs: int = 2) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    files = list(iter_files([str(EXAMPLES)], lambda _: None))
    pooled = scan_units(
        files, Selection(), lambda _: None, 5 * 2**20, jobs=jobs, cache=None, min_parallel_bytes=0
    )
    return _keyed(pooled.findings), _keyed(scan(files).findings)


def test_the_units_of_a_copy_that_dies_are_analysed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # A forked copy inherits the patched _work: it dies on the first unit it takes, and
    # the units it took are analysed again in this process.
    here = os.getpid()
    work = parallel._work
    taken: list[int] = []

    def dies_in_copies(unit: list[str]) -> tuple[bytes, bytes]:
        if os.getpid() != here:
            os._exit(3)
        taken.append(len(unit))
        return work(unit)

    monkeypatch.setattr(parallel, "_work", dies_in_copies)
    pooled, serial = _pooled_and_serial(jobs=3)
    assert pooled == serial
    assert not taken  # this process analyses its units without pickling them


def test_when_no_process_can_be_forked_this_one_does_it_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused() -> int:
        raise BlockingIOError("fork: Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    pooled, serial = _pooled_and_serial()
    assert pooled == serial


def test_where_there_is_no_fork_a_pool_of_started_interpreters_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "fork")
    used: list[int] = []
    executor = parallel._in_executor

    def counted(*args: object, **kwargs: object) -> object:
        used.append(1)
        return executor(*args, **kwargs)

    monkeypatch.setattr(parallel, "_in_executor", counted)
    pooled, serial = _pooled_and_serial()
    assert pooled == serial
    assert used


def test_cli_jobs_one_and_many_print_the_same(tmp_path: Path) -> None:
    shutil.copytree(
        EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns(".iacperf_cache")
    )
    one = run("--no-cache", "--jobs", "1", "examples", cwd=tmp_path)
    two = run("--no-cache", "--jobs", "2", "examples", cwd=tmp_path)
    assert _findings(one) == _findings(two)
    assert not (tmp_path / "examples" / ".iacperf_cache").exists()


def test_warm_scan_equals_cold_scan_after_every_kind_of_change(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    cold = run("--no-cache", ".", cwd=project)
    first = run(".", cwd=project)
    assert _findings(first) == _findings(cold)
    cache = project / ".iacperf_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert _findings(run(".", cwd=project)) == _findings(cold)  # warm

    changes = [
        # the file itself
        lambda: (project / "main.tf").write_text(MAIN_TF.replace("m4.large", "m7g.large")),
        # a sibling .tf file the module's values come from
        lambda: (project / "variables.tf").write_text(VARIABLES_TF.replace("gp2", "standard")),
        # a local module the directory calls
        lambda: (project / "modules" / "disks" / "main.tf").write_text(
            MODULE_TF.replace("size              = 100", "size = 5\n  iops = 100")
        ),
        # a new file in the directory (tfvars)
        lambda: (project / "terraform.tfvars").write_text('volume_type = "io1"\n'),
        # a CloudFormation template
        lambda: (project / "volume.yaml").write_text(TEMPLATE.replace("gp2", "gp3")),
        # the configuration
        lambda: (project / ".iacperf.yaml").write_text("ignore: [PERF020]\n"),
        lambda: (project / ".iacperf.yaml").write_text("severity: {PERF019: error}\n"),
        # a file removed
        lambda: (project / "terraform.tfvars").unlink(),
    ]
    for change in changes:
        before = _findings(run(".", cwd=project))
        change()
        warm = _findings(run(".", cwd=project))
        assert warm == _findings(run("--no-cache", ".", cwd=project))
        assert warm != before or change is changes[-1]


def test_selection_on_the_command_line_is_part_of_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    run(".", cwd=project)
    for flags in (["--select", "PERF019"], ["--ignore", "PERF019"], []):
        assert _findings(run(*flags, ".", cwd=project)) == _findings(
            run("--no-cache", *flags, ".", cwd=project)
        )


def test_a_corrupt_or_foreign_entry_is_ignored(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    cold = _findings(run("--no-cache", ".", cwd=project))
    run(".", cwd=project)
    entries = [p for p in (project / ".iacperf_cache").rglob("*") if p.is_file()]
    entries = [p for p in entries if p.name not in ("CACHEDIR.TAG", ".gitignore")]
    assert entries
    # A pickle that would run code when loaded: the loader refuses os.system.
    planted = b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR."
    for number, entry in enumerate(entries):
        entry.write_bytes(planted if number % 2 else b"\x80\x05garbage")
    assert _findings(run(".", cwd=project)) == cold
    assert not (tmp_path / "pwned").exists()
    assert _findings(run(".", cwd=project)) == cold  # rewritten entries


def test_cache_can_be_turned_off_and_moved(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    run("--no-cache", ".", cwd=project)
    run(".", cwd=project, IACPERF_NO_CACHE="1")
    assert not (project / ".iacperf_cache").exists()
    elsewhere = tmp_path / "elsewhere"
    run(".", cwd=project, IACPERF_CACHE_DIR=str(elsewhere))
    run("--cache-dir", str(tmp_path / "flag"), ".", cwd=project)
    assert not (project / ".iacperf_cache").exists()
    assert (elsewhere / "CACHEDIR.TAG").exists() and (tmp_path / "flag" / "CACHEDIR.TAG").exists()


def test_cache_sits_beside_the_config_file(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    (project / ".iacperf.yaml").write_text("ignore: [PERF001]\n")
    run("modules", cwd=project)
    assert (project / ".iacperf_cache").is_dir()
    assert not (project / "modules" / ".iacperf_cache").exists()


def test_an_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = run("--cache-dir", str(blocker / "cache"), ".", cwd=project)
    assert _findings(done) == _findings(run("--no-cache", ".", cwd=project))
    assert "Traceback" not in done.stderr


def test_cache_entry_round_trip(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path / "c"))
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, ["value", (1, 2)])
    assert cache.get("ab" * 32) == ["value", (1, 2)]
    assert not [p for p in (tmp_path / "c").rglob(".tmp-*")]


def _warm(root: Path, cache: Cache) -> list[tuple[object, ...]]:
    files = list(iter_files([str(root)], lambda _: None))
    found = scan_units(files, Selection(), lambda _: None, 5 * 2**20, jobs=1, cache=cache)
    return _keyed(found.findings)


def test_a_warm_scan_reads_only_files_whose_size_or_times_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "project")
    cache = Cache(str(tmp_path / "cache"))
    hashed: list[str] = []
    real = parallel._hash_file
    monkeypatch.setattr(parallel, "_hash_file", lambda p: hashed.append(p) or real(p))
    first = _warm(root, cache)
    # Files written a moment ago are hashed again: a change in the same clock tick would
    # leave their size and times alone.
    hashed.clear()
    assert _warm(root, cache) == first
    assert len(hashed) == 4
    monkeypatch.setattr(parallel, "SETTLED_NS", -1)  # as if they were written long ago
    _warm(root, cache)
    hashed.clear()
    assert _warm(root, cache) == first
    assert hashed == []
    # The same size and the old modification time: the change time still tells.
    volume = root / "volume.yaml"
    before = volume.stat()
    volume.write_text(TEMPLATE.replace("gp2", "gp3"))
    os.utime(volume, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert volume.stat().st_size == before.st_size
    after = _warm(root, cache)
    assert hashed == [str(volume)]
    assert after != first and after == _keyed(scan(list(iter_files([str(root)], print))).findings)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_pool_and_cache_on_a_corpus_module_tree(tmp_path: Path) -> None:
    tree = CORPUS / "terraform" / "terraform-aws-vpc"
    serial = run("--no-cache", "--jobs", "1", str(tree), cwd=tmp_path)
    pooled = run("--cache-dir", str(tmp_path / "c"), "--jobs", "2", str(tree), cwd=tmp_path)
    warm = run("--cache-dir", str(tmp_path / "c"), str(tree), cwd=tmp_path)
    assert _findings(serial) == _findings(pooled) == _findings(warm)
