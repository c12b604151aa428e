"""SARIF 2.1.0 output (``iacperf check --format sarif``), shaped for GitHub code scanning.

One run whose driver lists every rule with its documentation and Well-Architected best
practices, and one result per finding. Our ranges are 0-based and count code points; SARIF
lines and columns are 1-based, and the run says ``columnKind: unicodeCodePoints`` so the
columns mean what they say. Paths are URIs relative to ``%SRCROOT%`` (the working
directory) with forward slashes; a file outside it gets an absolute ``file:`` URI.

``partialFingerprints`` hash the rule, the path, the resource and the message but not the
line, so code that only moves keeps its alert.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from iacperf.rules.api import Fix, Related, Rule, Severity
from iacperf.rules.docgen import PROJECT_URL, first_paragraph, page_url
from iacperf.rules.model import SourceRange
from iacperf.server.analysis import ScanResult
from iacperf.server.engine import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "iacperf/v1"

JSON = dict[str, object]

_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
# GitHub's ``problem.severity`` rule property knows error, warning and recommendation.
_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "recommendation",
    Severity.HINT: "recommendation",
}


def to_sarif(result: ScanResult, rules: Sequence[Rule], version: str, cwd: str) -> JSON:
    """The SARIF log for ``result``: one run listing ``rules`` (and any rule a finding uses).

    ``cwd`` is the directory relative paths in ``result`` are relative to; it becomes
    ``%SRCROOT%``. Pure: reads no file and prints nothing.
    """
    root = os.path.normpath(os.path.abspath(cwd))
    ordered = _unique_rules([*rules, *(f.rule for f in result.findings)])
    index = {r.code: i for i, r in enumerate(ordered)}
    seen: Counter[str] = Counter()
    results: list[JSON] = []
    for finding in result.findings:
        results.append(_result(finding, index[finding.code], root, seen))
    invocation: JSON = {"executionSuccessful": True}
    notifications = [_skipped(path, root) for path in result.skipped]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: JSON = {
        "tool": {
            "driver": {
                "name": "iacperf",
                "version": version,
                "semanticVersion": version,
                "informationUri": PROJECT_URL,
                "rules": [_rule(r, version) for r in ordered],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


# ---------------------------------------------------------------------------
# Rules


def _unique_rules(rules: Sequence[Rule]) -> list[Rule]:
    found: dict[str, Rule] = {}
    for r in rules:
        found.setdefault(r.code, r)
    return list(found.values())


def _rule(r: Rule, version: str) -> JSON:
    tags = list(dict.fromkeys([*(bp.id for bp in r.well_architected), *r.tags]))
    descriptor: JSON = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.title},
    }
    why = first_paragraph(r.doc, "Why is this bad?")
    if why:
        descriptor["fullDescription"] = {"text": why}
    descriptor["helpUri"] = page_url(r.code, version)
    if r.doc:
        descriptor["help"] = {"text": r.doc, "markdown": r.doc}
    descriptor["defaultConfiguration"] = {"level": _LEVEL[r.severity]}
    descriptor["properties"] = {
        "tags": tags,
        "well-architected": [
            {"id": bp.id, "title": bp.title, "url": bp.url} for bp in r.well_architected
        ],
        "precision": "high",
        "problem.severity": _PROBLEM_SEVERITY[r.severity],
    }
    return descriptor


# ---------------------------------------------------------------------------
# Results


def _result(finding: Finding, rule_index: int, root: str, seen: Counter[str]) -> JSON:
    artifact = _artifact(finding.path, root)
    location: JSON = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": _region(finding.range),
        }
    }
    if finding.resource:
        location["logicalLocations"] = [
            {"name": finding.resource, "fullyQualifiedName": finding.resource, "kind": "resource"}
        ]
    fingerprint = _fingerprint(finding, str(artifact["uri"]), seen)
    result: JSON = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.related:
        result["relatedLocations"] = [
            _related(i, related, root) for i, related in enumerate(finding.related, start=1)
        ]
    fixes = _fixes(finding.fix, artifact)
    if fixes:
        result["fixes"] = fixes
    return result


def _fingerprint(finding: Finding, uri: str, seen: Counter[str]) -> str:
    """Stable across moves; findings identical in all four parts are told apart by order."""
    key = "\0".join((finding.code, uri, finding.resource, finding.message))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    seen[digest] += 1
    return f"{digest}:{seen[digest]}"


def _region(source: SourceRange) -> JSON:
    """1-based lines and columns; SARIF's endColumn is exclusive, like our end character."""
    return {
        "startLine": source.start.line + 1,
        "startColumn": source.start.character + 1,
        "endLine": source.end.line + 1,
        "endColumn": source.end.character + 1,
    }


def _related(number: int, related: Related, root: str) -> JSON:
    return {
        "id": number,
        "message": {"text": related.message},
        "physicalLocation": {
            "artifactLocation": _artifact(related.path, root),
            "region": _region(related.range),
        },
    }


def _fixes(fix: Fix | None, artifact: JSON) -> list[JSON]:
    if fix is None or not fix.edits:
        return []
    replacements: list[JSON] = [
        {"deletedRegion": _region(edit.range), "insertedContent": {"text": edit.new_text}}
        for edit in fix.edits
    ]
    return [
        {
            "description": {"text": fix.title},
            "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}],
            "properties": {"applicability": fix.applicability.value},
        }
    ]


def _skipped(path: str, root: str) -> JSON:
    return {
        "level": "warning",
        "message": {"text": "File skipped: too big, binary, not UTF-8 or unreadable."},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(path, root)}}],
    }


# ---------------------------------------------------------------------------
# Paths


def _artifact(path: str, root: str) -> JSON:
    """``%SRCROOT%``-relative URI with forward slashes, or a ``file:`` URI outside it."""
    absolute = os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))
    relative = os.path.relpath(absolute, root) if _inside(absolute, root) else None
    if relative is None or relative == os.curdir:
        return {"uri": Path(absolute).as_uri()}
    posix = PurePosixPath(*Path(relative).parts).as_posix()
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive on Windows
        return False


def _directory_uri(root: str) -> str:
    uri = Path(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"
