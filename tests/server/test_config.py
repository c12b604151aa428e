"""`.iacperf.yaml` and editor settings: discovery, validation, merging, and the JSON Schema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from iacperf.rules.api import Context, Severity, Violation, rule
from iacperf.rules.model import Resource
from iacperf.server.analysis import DEFAULT_MAX_BYTES, lint_text
from iacperf.server.config import (
    EDITOR_KEYS,
    FILE_KEYS,
    SCHEMA_FILE,
    SCOPES,
    ConfigError,
    Settings,
    find_config,
    from_editor,
    load_config,
    merge,
    parse_size,
)
from iacperf.server.engine import Selection, lint
from iacperf.server.parsing import parse_text

GP2_TF = """resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp2"
}
"""


def write(folder: Path, text: str, name: str = ".iacperf.yaml") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------------------
# find_config


def test_found_upward_from_a_file_or_a_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    config = write(tmp_path, "select: [PERF019]\n")
    deep = tmp_path / "live" / "eu-west-1"
    deep.mkdir(parents=True)
    (deep / "main.tf").write_text(GP2_TF)
    assert find_config(str(deep)) == config
    assert find_config(str(deep / "main.tf")) == config
    assert find_config(str(deep / "not-yet-saved.tf")) == config


def test_the_nearest_file_wins_and_yaml_before_yml(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "{}\n")
    inner = tmp_path / "module"
    inner.mkdir()
    yml = write(inner, "{}\n", ".iacperf.yml")
    assert find_config(str(inner)) == yml
    yaml_file = write(inner, "{}\n")
    assert find_config(str(inner)) == yaml_file


def test_search_stops_at_the_repository_root_after_checking_it(tmp_path: Path) -> None:
    write(tmp_path, "{}\n")  # above the repository: never used
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    assert find_config(str(repo / "infra")) is None
    inside = write(repo, "{}\n")
    assert find_config(str(repo / "infra")) == inside


def test_a_git_file_marks_a_root_too(tmp_path: Path) -> None:
    """Worktrees and submodules have a `.git` file, not a folder."""
    write(tmp_path, "{}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    assert find_config(str(tmp_path / "sub")) is None


# ---------------------------------------------------------------------------
# load_config: good files

FULL = """\
select: [PERF019, magnetic-storage]
ignore: [no-cloudwatch-alarms]
severity:
  ebs-gp2-volume: error
  PERF021: hint
options:
  PERF001: {oversized: [metal, 24xlarge]}
exclude: [legacy/, "./modules/old/*", "*.generated.tf"]
var_files: [env/prod.tfvars]
report_unknown: true
max_file_size: 500k
scope: workspace
"""


def test_a_full_file_is_read_and_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    settings = load_config(path)
    assert settings.select == {"PERF019", "PERF021"}
    assert settings.ignore == {"PERF049"}
    assert settings.severity == {"PERF019": Severity.ERROR, "PERF021": Severity.HINT}
    assert settings.options == {"PERF001": {"oversized": ["metal", "24xlarge"]}}
    assert settings.exclude == ("legacy", "modules/old/*", "*.generated.tf")
    assert settings.var_files == (str(tmp_path / "env" / "prod.tfvars"),)
    assert settings.report_unknown is True
    assert settings.max_file_size == 500 * 1024
    assert settings.scope == "workspace"
    assert settings.path == path and settings.root == str(tmp_path)
    assert settings.set_fields == set(FILE_KEYS)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}\n", "---\n"])
def test_an_empty_file_means_the_defaults(tmp_path: Path, text: str) -> None:
    settings = load_config(write(tmp_path, text))
    assert settings.set_fields == frozenset()
    assert settings.selection() == Selection()
    assert settings.max_file_size == DEFAULT_MAX_BYTES
    assert settings.scope == "openFiles" and settings.report_unknown is False


def test_yaml_merge_keys_are_applied(tmp_path: Path) -> None:
    text = "severity:\n  <<: {PERF019: error}\n  PERF021: hint\n"
    settings = load_config(write(tmp_path, text))
    assert settings.severity == {"PERF019": Severity.ERROR, "PERF021": Severity.HINT}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1024", 1024), ("500k", 512_000), ("5M", 5 * 1024**2), ("5MB", 5 * 1024**2), ("1g", 1024**3)],
)
def test_sizes(given: str, expected: int) -> None:
    assert parse_size(given) == expected


@pytest.mark.parametrize("given", ["0", "5 MB", "1.5M", "-1", "M", "5T", ""])
def test_not_sizes(given: str) -> None:
    assert parse_size(given) is None


# ---------------------------------------------------------------------------
# load_config: bad files name the file, the key and the place

BAD = [
    (
        "severity:\n    PERF019: loud\n",
        ".iacperf.yaml:2:5: severity.PERF019: "
        "'loud' is not one of error, warning, information, hint",
        (1, 4, 1, 11),
    ),
    (
        "select: [PERF019]\nmaxFileSize: 5M\n",
        ".iacperf.yaml:2:1: maxFileSize: unknown key; did you mean 'max_file_size'?",
        (1, 0, 1, 11),
    ),
    (
        "selct: [PERF019]\n",
        ".iacperf.yaml:1:1: selct: unknown key; did you mean 'select'?",
        (0, 0, 0, 5),
    ),
    (
        "colour: always\n",
        ".iacperf.yaml:1:1: colour: unknown key",
        (0, 0, 0, 6),
    ),
    (
        "select: [PERF019, PERF19]\n",
        ".iacperf.yaml:1:19: select[1]: unknown rule 'PERF19'; did you mean 'PERF019'?",
        (0, 18, 0, 24),
    ),
    (
        "ignore:\n  - no-such-rule-at-all\n",
        ".iacperf.yaml:2:5: ignore[0]: unknown rule 'no-such-rule-at-all' (see `iacperf rules`)",
        (1, 4, 1, 23),
    ),
    (
        "severity:\n  PERF999: error\n",
        ".iacperf.yaml:2:3: severity.PERF999: unknown rule 'PERF999' (see `iacperf rules`)",
        (1, 2, 1, 9),
    ),
    (
        "select: PERF019\n",
        ".iacperf.yaml:1:1: select: expected a list of rule codes or names, "
        "got the string 'PERF019'",
        (0, 0, 0, 6),
    ),
    (
        "select: [19]\n",
        ".iacperf.yaml:1:10: select[0]: expected a rule code or name, got a number",
        (0, 9, 0, 11),
    ),
    (
        "report_unknown: 'yes'\n",
        ".iacperf.yaml:1:1: report_unknown: expected true or false, got the string 'yes'",
        (0, 0, 0, 14),
    ),
    (
        "max_file_size: 0\n",
        ".iacperf.yaml:1:1: max_file_size: expected a positive size in bytes "
        "(like 5M or 500k), got a number",
        (0, 0, 0, 13),
    ),
    (
        "max_file_size: lots\n",
        ".iacperf.yaml:1:1: max_file_size: expected a positive size in bytes "
        "(like 5M or 500k), got the string 'lots'",
        (0, 0, 0, 13),
    ),
    (
        "scope: everything\n",
        ".iacperf.yaml:1:1: scope: 'everything' is not one of openFiles, workspace",
        (0, 0, 0, 5),
    ),
    (
        "exclude: [legacy, '']\n",
        ".iacperf.yaml:1:19: exclude[1]: expected a non-empty string, got the string ''",
        (0, 18, 0, 20),
    ),
    (
        "options:\n  PERF001: 24xlarge\n",
        ".iacperf.yaml:2:3: options.PERF001: expected a mapping of option names to values, "
        "got the string '24xlarge'",
        (1, 2, 1, 9),
    ),
    (
        "severity: {PERF019: error, ebs-gp2-volume: hint}\n",
        ".iacperf.yaml:1:28: severity.ebs-gp2-volume: same rule as 'PERF019', given twice",
        (0, 27, 0, 41),
    ),
    (
        "scope: workspace\nscope: openFiles\n",
        ".iacperf.yaml:2:1: scope: given twice",
        (1, 0, 1, 5),
    ),
    (
        "\n- select\n",
        ".iacperf.yaml:2:1: expected a mapping of settings, got a list",
        (1, 0, 2, 0),
    ),
]


@pytest.mark.parametrize(("text", "message", "span"), BAD, ids=[m for _, m, _ in BAD])
def test_bad_values_name_file_key_and_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str, span: tuple[int, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(".iacperf.yaml")
    error = caught.value
    assert str(error) == message
    assert (error.line, error.column, error.end_line, error.end_column) == span
    assert error.path == ".iacperf.yaml"


def test_invalid_yaml_points_at_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "select: [PERF019\nignore: [PERF021]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.key == ""
    assert (error.line, error.column) == (1, 6)
    assert str(error) == f"{path}:2:7: invalid YAML: expected ',' or ']', but got ':'"


def test_yaml_tags_are_not_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "select: !Ref Rules\n")
    with pytest.raises(ConfigError, match=r":1:9: invalid YAML: could not determine a constructor"):
        load_config(path)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(str(tmp_path / "nope.yaml"))
    assert (
        str(caught.value) == f"{tmp_path / 'nope.yaml'}: cannot read it (No such file or directory)"
    )
    latin = tmp_path / ".iacperf.yaml"
    latin.write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 5\)"):
        load_config(str(latin))


# ---------------------------------------------------------------------------
# The JSON Schema and the loader accept and reject the same files

VALID = [
    FULL,
    "{}\n",
    "select: []\n",
    "select: [perf019]\n",
    "ignore: [ebs-gp2-volume, PERF000]\n",
    "severity: {PERF000: hint}\n",
    "options: {PERF001: {}}\n",
    "max_file_size: 1048576\n",
    "max_file_size: 2G\n",
    "max_file_size: 1.0e+6\n",
    "report_unknown: false\n",
    "scope: openFiles\n",
    "exclude: ['**/test/*', vendor]\n",
]
#: What only the loader can see: rule codes that do not exist (the schema checks their
#: shape, not the installed catalog) and keys given twice (lost by any YAML-to-JSON step).
LOADER_ONLY = [
    "severity:\n  PERF999: error\n",
    "ignore:\n  - no-such-rule-at-all\n",
    "select: [not-a-rule]\n",
    "options: {PERF998: {a: 1}}\n",
    "severity: {PERF019: error, ebs-gp2-volume: hint}\n",
    "scope: workspace\nscope: openFiles\n",
]


INVALID = [text for text, _, _ in BAD if text not in LOADER_ONLY]
INVALID += [
    "select: null\n",
    "severity: {PERF019: Error}\n",
    "severity: [PERF019]\n",
    "options: {PERF001: [a]}\n",
    "max_file_size: -5\n",
    "max_file_size: 1.5M\n",
    "max_file_size: true\n",
    "max_file_size: 1.5\n",
    "exclude: legacy\n",
    "exclude: ['   ']\n",
    "var_files: [1]\n",
    "report_unknown: 1\n",
    "scope: null\n",
    "select: [Ebs-Gp2-Volume]\n",
    "hello\n",
]


@pytest.fixture(scope="module")
def schema() -> Iterator[jsonschema.protocols.Validator]:
    document = json.loads(Path(SCHEMA_FILE).read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    yield jsonschema.Draft202012Validator(document)


def _schema_errors(validator: jsonschema.protocols.Validator, text: str) -> list[str]:
    data = yaml.safe_load(text)
    return [e.message for e in validator.iter_errors({} if data is None else data)]


@pytest.mark.parametrize("text", VALID)
def test_valid_examples_pass_schema_and_loader(
    tmp_path: Path, schema: jsonschema.protocols.Validator, text: str
) -> None:
    assert _schema_errors(schema, text) == []
    load_config(write(tmp_path, text))


@pytest.mark.parametrize("text", INVALID)
def test_invalid_examples_fail_schema_and_loader(
    tmp_path: Path, schema: jsonschema.protocols.Validator, text: str
) -> None:
    assert _schema_errors(schema, text), "the schema accepts what the loader rejects"
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("text", LOADER_ONLY)
def test_what_only_the_loader_can_reject(
    tmp_path: Path, schema: jsonschema.protocols.Validator, text: str
) -> None:
    assert _schema_errors(schema, text) == []
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, text))


def test_the_readme_example_is_valid(
    tmp_path: Path, schema: jsonschema.protocols.Validator
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (example,) = re.findall(r"```yaml\n(# \.iacperf\.yaml\n.*?)```", readme, re.S)
    assert _schema_errors(schema, example) == []
    assert load_config(write(tmp_path, example)).set_fields == set(FILE_KEYS)


def test_schema_lists_exactly_the_loader_keys_and_values() -> None:
    document = json.loads(Path(SCHEMA_FILE).read_text())
    properties = document["properties"]
    assert set(properties) == set(FILE_KEYS)
    assert properties["scope"]["enum"] == list(SCOPES)
    assert properties["severity"]["additionalProperties"]["enum"] == [s.value for s in Severity]
    assert "PERF901" in properties["report_unknown"]["description"]


# ---------------------------------------------------------------------------
# Editor settings and merging


def test_editor_settings_use_camel_case_and_null_means_unset() -> None:
    settings = from_editor(
        {
            "select": None,
            "ignore": ["ebs-gp2-volume"],
            "severity": {"PERF021": "error"},
            "scope": "workspace",
            "reportUnknown": True,
            "exclude": ["legacy"],
            "varFiles": ["prod.tfvars"],
            "maxFileSize": "1M",
            "trace": {"server": "verbose"},  # the client's own setting: not ours to judge
        },
        root="/work/repo",
    )
    assert settings.set_fields == {
        "ignore",
        "severity",
        "scope",
        "report_unknown",
        "exclude",
        "var_files",
        "max_file_size",
    }
    assert settings.ignore == {"PERF019"}
    assert settings.severity == {"PERF021": Severity.ERROR}
    assert settings.var_files == ("/work/repo/prod.tfvars",)
    assert settings.max_file_size == 1024**2
    assert settings.root == "/work/repo" and settings.path is None
    assert set(EDITOR_KEYS.values()) == set(FILE_KEYS) - {"options"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"maxFileSize": "huge"},
            "editor settings: iacperf.maxFileSize: expected a positive size in bytes "
            "(like 5M or 500k), got the string 'huge'",
        ),
        (
            {"severity": {"PERF019": "loud"}},
            "editor settings: iacperf.severity.PERF019: "
            "'loud' is not one of error, warning, information, hint",
        ),
        (
            {"select": ["PERF019", "nope"]},
            "editor settings: iacperf.select[1]: unknown rule 'nope'",
        ),
        ({"reportUnknown": "true"}, "editor settings: iacperf.reportUnknown: expected true or"),
        ([1, 2], "editor settings: iacperf: expected a mapping of settings, got a list"),
    ],
)
def test_editor_errors_name_the_setting(mapping: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_editor(mapping)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert caught.value.line is None


def test_editor_values_override_only_what_they_set(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    file = load_config(write(tmp_path, FULL))
    editor = from_editor(
        {"severity": {"PERF019": "hint"}, "select": None, "exclude": ["tmp"]},
        root=str(tmp_path / "ws"),
    )
    merged = merge(file, editor)
    assert merged.severity == {"PERF019": Severity.HINT}  # replaced as a whole
    assert merged.select == file.select  # null in the editor: the file's value stays
    assert merged.options == file.options and merged.max_file_size == file.max_file_size
    assert merged.exclude == ("tmp",) and merged.root == str(tmp_path / "ws")
    assert merged.path == file.path
    assert merged.set_fields == file.set_fields
    assert merge(file, from_editor(None)) == file
    assert merge(Settings(), editor).set_fields == editor.set_fields


# ---------------------------------------------------------------------------
# What the settings do


def test_selection_carries_select_ignore_severity_and_options(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, FULL))
    selection = settings.selection()
    assert selection.select == {"PERF019", "PERF021"}
    assert selection.ignore == {"PERF049"}
    assert selection.severity == {"PERF019": Severity.ERROR, "PERF021": Severity.HINT}
    assert selection.options == {"PERF001": {"oversized": ["metal", "24xlarge"]}}
    (finding,) = lint_text("main.tf", GP2_TF, selection)
    assert (finding.code, finding.severity) == ("PERF019", Severity.ERROR)
    ignored = load_config(write(tmp_path, "ignore: [ebs-gp2-volume]\n")).selection()
    assert lint_text("main.tf", GP2_TF, ignored) == []


def test_rules_read_their_own_options_from_the_context(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    def check(resource: Resource, context: Context) -> Iterator[Violation]:
        seen.append(dict(context.options))
        return iter(())

    # Options are keyed by known codes, so the probe borrows PERF019's.
    probe = rule(
        code="PERF019",
        name="probe",
        title="Probe",
        severity=Severity.HINT,
        terraform=["aws_ebs_volume"],
    )(check)
    template, _ = parse_text("main.tf", GP2_TF)
    assert template is not None
    text = "options:\n  PERF019: {min_size: 200}\n  PERF021: {other: 1}\n"
    lint([template], load_config(write(tmp_path, text)).selection(), rules=[probe])
    lint([template], Settings().selection(), rules=[probe])
    assert seen == [{"min_size": 200}, {}]


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("legacy/main.tf", True),  # folder name, at any depth
        ("live/legacy/main.tf", True),
        ("live/main.tf", False),
        ("modules/old/x/main.tf", True),  # path glob, relative to the config's folder
        ("live/modules/old/main.tf", False),
        ("live/network.generated.tf", True),
        ("../elsewhere/legacy/main.tf", False),  # outside root: by its own name only
        ("../elsewhere/a.generated.tf", True),
    ],
)
def test_exclude_globs_are_relative_to_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, excluded: bool
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    settings = load_config(write(root, FULL))
    monkeypatch.chdir(root)
    assert settings.excludes(path) is excluded
    monkeypatch.chdir(root / ".." if path.startswith("..") else tmp_path)
    moved = path.replace("../", "") if path.startswith("..") else f"repo/{path}"
    assert settings.excludes(moved) is excluded, "the working directory does not matter"


def test_absolute_exclude_globs(tmp_path: Path) -> None:
    settings = Settings(exclude=(f"{tmp_path.as_posix()}/generated",), root=str(tmp_path / "x"))
    assert settings.excludes(str(tmp_path / "generated" / "main.tf"))
    assert not settings.excludes(str(tmp_path / "live" / "main.tf"))


def test_a_given_root_replaces_the_files_folder(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    path = write(tmp_path / "ci", "var_files: [env/prod.tfvars]\nexclude: ['legacy/*']\n")
    settings = load_config(path, root=str(tmp_path))
    assert settings.root == str(tmp_path)
    assert settings.var_files == (str(tmp_path / "env" / "prod.tfvars"),)
    assert settings.excludes(str(tmp_path / "legacy" / "main.tf"))
    assert not load_config(path).excludes(str(tmp_path / "legacy" / "main.tf"))
