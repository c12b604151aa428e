"""``python -m tests.fuzz --minutes N``: the random-edit and hostile-text checks, for long.

Sessions of random edits over the corpus (or the fixtures), all three formats in turn,
plus random text and bytes opened as each format; prints what it ran and every failure
(with the seed that reproduces it), and exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback

from tests.fuzz import inputs
from tests.fuzz.edits import random_edit
from tests.fuzz.hostile import check_any_text, random_text
from tests.fuzz.session import Session

NAMES = {"tf": "main.tf", "yaml": "template.yaml", "json": "template.json"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--edits", type=int, default=40, help="edits per session")
    parser.add_argument("--files", type=int, default=300, help="files per format")
    args = parser.parse_args(argv)
    files = {kind: inputs.sample(kind, args.files) for kind in NAMES}
    pastes = {kind: [inputs.read(p) for p in found[:60]] for kind, found in files.items()}
    print(
        f"seed {args.seed}; corpus: {inputs.using_corpus()}; files {sum(map(len, files.values()))}"
    )
    deadline = time.monotonic() + args.minutes * 60
    edits = sessions = texts = 0
    failures: list[str] = []
    round_ = 0
    while time.monotonic() < deadline:
        seed = args.seed + round_
        round_ += 1
        rng = random.Random(seed)
        for kind, name in NAMES.items():
            path = rng.choice(files[kind])
            try:
                session = Session("/nonexistent-iacperf-fuzz/" + name, inputs.read(path))
                session.check()
                for _ in range(args.edits):
                    session.edit(random_edit(rng, session.text, pastes[kind], session.history))
                    session.check()
                    edits += 1
            except Exception:  # noqa: BLE001 - report and go on
                failures.append(f"round seed {seed} {kind} {path}:\n{traceback.format_exc()}")
            sessions += 1
            text = random_text(rng)
            try:
                check_any_text(name, text)
            except Exception:  # noqa: BLE001
                failures.append(f"round seed {seed} text {text[:200]!r}:\n{traceback.format_exc()}")
            texts += 1
    print(f"{sessions} sessions, {edits} edits, {texts} random texts, {len(failures)} failures")
    for failure in failures[:20]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
