"""No escape: any text at all, opened and edited as each format, raises nothing out of the
model and yields ranges inside the document (``tests/fuzz/session.py``)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.edits import TYPED, random_edit
from tests.fuzz.hostile import check_any_text

NAMES = ["main.tf", "vars.tfvars", "main.tf.json", "template.yaml", "template.json"]
HEADERS = {
    "template.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n',
    "template.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {',
}
BOUNDED = settings(max_examples=50, deadline=None, derandomize=True)

# Text built from what breaks parsers, so examples reach the parsers' inner paths.
syntax_text = st.lists(st.sampled_from(TYPED), max_size=60).map("".join)
any_text = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    syntax_text,
)


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(text=any_text, cfn=st.booleans())
def test_any_text_opens_without_escape(name: str, text: str, cfn: bool) -> None:
    # A CloudFormation header makes YAML and JSON get past "is this a template?".
    check_any_text(name, (HEADERS.get(name, "") if cfn else "") + text)


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(text=any_text, rng=st.randoms(use_true_random=False))
def test_any_text_edited_at_random_stays_consistent(
    name: str, text: str, rng: random.Random
) -> None:
    session = check_any_text(name, HEADERS.get(name, "") + text)
    for _ in range(6):
        session.edit(random_edit(rng, session.text, [text], session.history))
        session.check()
