"""Guards for the project's shape: packaging, generated docs, rule metadata, CI command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from iacperf.rules.api import FixAvailability
from iacperf.rules.docgen import missing_sections, render_page, replace_table
from iacperf.rules.registry import all_rules, known_rules

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
FORMAT_SUFFIXES = {"terraform": (".tf",), "cloudformation": (".yaml", ".json")}


def test_packages_list_matches_the_folders() -> None:
    """A subpackage missing from `packages` is silently dropped from the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(config["packages"])
    on_disk = set()
    for prefix, folder in config["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            on_disk.add(".".join((prefix, *relative)))
    assert declared == on_disk


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    install, test = blocks[0].strip(), blocks[1].strip()
    assert install.endswith("iacperf check examples/")
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines(), "README's test command must appear verbatim in .ci/run"


def test_rule_pages_and_readme_table_are_up_to_date() -> None:
    for r in known_rules():
        page = ROOT / "rules" / "docs" / f"{r.code}.md"
        assert page.exists(), f"run `python -m iacperf.rules.docgen` ({page} missing)"
        assert page.read_text() == render_page(r, FIXTURES), (
            f"{page} is stale: run `python -m iacperf.rules.docgen`"
        )
    readme = (ROOT / "README.md").read_text()
    assert replace_table(readme) == readme, "README rule table is stale: run docgen"


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.code)
def test_rule_declaration(r: object) -> None:
    from iacperf.rules.api import Rule

    assert isinstance(r, Rule)
    assert re.fullmatch(r"PERF\d{3}", r.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name)
    module_file = r.module.rsplit(".", 1)[-1]
    assert module_file == f"perf{r.code[4:]}_{r.name.replace('-', '_')}", (
        "file, code and name must match: perfNNN_<name>.py"
    )
    assert not missing_sections(r), f"docstring lacks {missing_sections(r)}"
    assert r.evidence and r.well_architected, "every rule cites evidence and a best practice"
    for fmt in r.formats:
        for suffix in FORMAT_SUFFIXES[fmt.value]:
            for kind in ("bad", "good"):
                assert (FIXTURES / r.code / f"{kind}{suffix}").exists(), f"{kind}{suffix} missing"
            if suffix == ".json":
                assert (FIXTURES / r.code / "bad.json.expect").exists()
    if r.fix is FixAvailability.ALWAYS:
        assert any(FIXTURES.glob(f"{r.code}/*.fixed")), "fix=ALWAYS needs .fixed fixtures"


def test_codes_and_names_are_unique() -> None:
    rules = known_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
