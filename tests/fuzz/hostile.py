"""Any text at all, opened as each format: nothing raises, every range lies inside it."""

from __future__ import annotations

import random

from tests.fuzz.edits import TYPED
from tests.fuzz.session import Session


def random_text(rng: random.Random) -> str:
    """Random bytes decoded as text, or a random mix of syntax, as an editor may hold."""
    roll = rng.random()
    size = rng.randrange(0, 400)
    if roll < 0.3:
        return bytes(rng.randrange(256) for _ in range(size)).decode("utf-8", "replace")
    if roll < 0.4:
        return bytes(rng.randrange(256) for _ in range(size)).decode("latin-1")
    return "".join(rng.choice(TYPED) for _ in range(size // 3))


def check_any_text(name: str, text: str) -> Session:
    """Open ``text`` as ``name`` and check the session's properties (it raises if not)."""
    session = Session("/nonexistent-iacperf-fuzz/" + name, text)
    session.check()
    return session
