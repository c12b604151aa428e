"""Incremental equals full: random edits of real files, through the server's own model.

Each example opens a file of ../shared/corpus (the shipped fixtures when it is absent) and
sends random edits (typing, deletions, pastes of other files' lines, undo) as a client
would; after every edit the findings of the incremental model equal a fresh analysis of
the text, and every range lies inside it (``tests/fuzz/session.py``). The long run:
``python -m tests.fuzz --minutes N``.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import inputs
from tests.fuzz.edits import random_edit
from tests.fuzz.session import Session

NAMES = {"tf": "main.tf", "yaml": "template.yaml", "json": "template.json"}
FILES = {kind: inputs.sample(kind, 40) for kind in NAMES}
PASTES = {kind: [inputs.read(p) for p in files] for kind, files in FILES.items()}
EDITS = 15


@pytest.mark.parametrize("kind", sorted(NAMES))
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), rng=st.randoms(use_true_random=False))
def test_incremental_findings_equal_a_fresh_analysis(
    kind: str, data: st.DataObject, rng: random.Random
) -> None:
    assert FILES[kind], f"no {kind} inputs"
    path = data.draw(st.sampled_from(FILES[kind]), label="file")
    session = Session("/nonexistent-iacperf-fuzz/" + NAMES[kind], inputs.read(path))
    session.check()
    for _ in range(EDITS):
        edit = random_edit(rng, session.text, PASTES[kind], session.history)
        session.edit(edit)
        session.check()
