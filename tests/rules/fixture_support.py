"""Reading rule fixtures: which files exist and which findings they expect.

``# expect: CODE[, CODE]`` marks its own line, ``# expect+1: CODE`` the next one (HCL and
YAML). JSON has no comments, so ``bad.json`` has a sidecar ``bad.json.expect`` with one
``LINE:COLUMN CODE`` per finding (1-based, as the CLI prints them).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect(?P<offset>[+-]\d+)?:\s*(?P<codes>[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)")
SUFFIXES = (".tf", ".tf.json", ".yaml", ".yml", ".json")


def fixture_files() -> list[Path]:
    """``bad*`` and ``good*`` fixtures of every rule (not their ``.fixed``/``.expect``)."""
    return sorted(
        p
        for p in FIXTURES.glob("*/*")
        if p.name.startswith(("bad", "good")) and p.name.endswith(SUFFIXES)
    )


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def expected_for(path: Path) -> Counter[tuple[int, str]]:
    """(0-based line, code) pairs the fixture expects."""
    expected: Counter[tuple[int, str]] = Counter()
    sidecar = path.with_name(path.name + ".expect")
    if sidecar.exists():
        for raw in sidecar.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                where, code = raw.split()
                expected[(int(where.split(":")[0]) - 1, code)] += 1
        return expected
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        match = EXPECT.search(line)
        if match is None:
            continue
        target = number + int(match.group("offset") or 0)
        for code in re.split(r"\s*,\s*", match.group("codes")):
            expected[(target, code)] += 1
    return expected


def expected_columns(path: Path) -> Counter[tuple[int, int, str]] | None:
    """For JSON sidecars: (0-based line, 0-based column, code)."""
    sidecar = path.with_name(path.name + ".expect")
    if not sidecar.exists():
        return None
    result: Counter[tuple[int, int, str]] = Counter()
    for raw in sidecar.read_text().splitlines():
        if raw.strip() and not raw.startswith("#"):
            where, code = raw.split()
            line, column = where.split(":")
            result[(int(line) - 1, int(column) - 1, code)] += 1
    return result
