"""Real-world input: splitting a Terraform file into blocks loses and invents nothing.

For a fixed sample of ../shared/corpus, the resources found block by block must be the
resources python-hcl2 finds in the whole file (type, name and how many times), the file
prepared as the block parser prepares each block. Skips when the corpus is not present.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from iacperf.server.parsing import parse_text
from iacperf.server.parsing.hcl_lark import prepare

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
SAMPLE = 150


def _terraform_sample() -> list[Path]:
    """Every n-th .tf file in sorted order: deterministic and spread over the repositories."""
    if not CORPUS.is_dir():
        return []
    files = sorted(CORPUS.glob("terraform/**/*.tf"))
    step = max(1, len(files) // SAMPLE)
    return files[::step][:SAMPLE]


FILES = _terraform_sample()


def _label(text: str) -> str:
    return str(json.loads(text)) if text.startswith('"') else text


def _whole_file_resources(text: str) -> Counter[tuple[str, str]]:
    import hcl2

    found: Counter[tuple[str, str]] = Counter()
    document: dict[str, Any] = hcl2.loads(text)
    for block in document.get("resource", []):
        for kind, named in block.items():
            for name in named:
                found[(_label(kind), _label(name))] += 1
    return found


@pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_blocks_give_the_resources_of_the_whole_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    template, _ = parse_text(path.name, text)
    assert template is not None
    try:
        expected = _whole_file_resources(prepare(text))
    except Exception as error:  # noqa: BLE001 - python-hcl2 rejects the file
        assert template.errors, f"python-hcl2 fails on the whole file ({error}), we do not"
        return
    assert not template.errors, template.errors
    assert Counter((r.kind, r.name) for r in template.resources) == expected
