"""The files fuzzing starts from: a fixed sample of the real corpus, else the fixtures."""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
KINDS = {"tf": (".tf",), "yaml": (".yaml", ".yml", ".template"), "json": (".json",)}
#: Bigger files make each example slow without finding more (the edits stay local).
MAX_BYTES = 40_000


def _pool(kind: str) -> list[Path]:
    suffixes = KINDS[kind]
    base = CORPUS if CORPUS.is_dir() else FIXTURES
    found = [
        p
        for p in sorted(base.rglob("*"))
        if p.suffix in suffixes and p.is_file() and 0 < p.stat().st_size <= MAX_BYTES
    ]
    if kind == "json":
        found = [p for p in found if '"Resources"' in _read(p)]
    elif kind == "yaml":
        found = [p for p in found if "Resources" in _read(p)]
    return [p for p in found if _read(p)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def sample(kind: str, count: int, seed: int = 7) -> list[Path]:
    """``count`` files of ``kind`` (tf, yaml or json), the same ones on every run."""
    pool = _pool(kind)
    return sorted(random.Random(seed).sample(pool, min(count, len(pool))))


def read(path: Path) -> str:
    return _read(path)


def using_corpus() -> bool:
    return CORPUS.is_dir()
