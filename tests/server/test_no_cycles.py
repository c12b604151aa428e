"""An analysis makes no reference cycles, so ``iacperf check`` can run without the
cyclic garbage collector (``cli._check`` disables it) and still free everything.

The check runs the real CLI, in its own process, over the examples and every rule
fixture (and a sample of ../shared/corpus when present), with the collector keeping what
it would have freed; afterwards there must be nothing. Modules are imported first: making
a slotted dataclass leaves the class it replaced to the collector, a one-off of each import
(37 classes, 185 objects) that a check without the collector keeps until it exits. A
recursive closure was the cause once: 27,355 objects for the 10 largest CFN templates and
terraform-aws-vpc.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"

_SCRIPT = """
import gc, json, sys
from collections import Counter
from iacperf.rules.registry import all_rules
from iacperf.server.cli import main
import iacperf.server.parsing.cloudformation, iacperf.server.parsing.terraform
import iacperf.server.parsing.terraform_json

# Loaded first: a slotted dataclass leaves the class it replaced to the collector, once
# per class at import; what is measured is what the analysis leaves.
all_rules()
gc.collect()
gc.set_debug(gc.DEBUG_SAVEALL)
sys.argv = ["iacperf", "check", "--no-cache", "--jobs", "1", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
found = gc.collect()
kinds = Counter(type(o).__qualname__ for o in gc.garbage)
functions = Counter(
    o.__qualname__ for o in gc.garbage if type(o).__name__ == "function"
)
print(json.dumps({"found": found, "kinds": kinds.most_common(8),
                  "functions": functions.most_common(5)}), file=sys.stderr)
"""


def _cyclic_garbage(*paths: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    report: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return report


def test_checking_examples_and_fixtures_leaves_no_cycles() -> None:
    report = _cyclic_garbage(ROOT / "examples", ROOT / "tests" / "rules" / "fixtures")
    assert report["found"] == 0, report


def test_checking_a_corpus_sample_leaves_no_cycles() -> None:
    import pytest

    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    sample = [
        CORPUS / "terraform" / "terraform-aws-vpc",
        CORPUS / "cloudformation" / "aws-cf-templates",
    ]
    report = _cyclic_garbage(*sample)
    assert report["found"] == 0, report
