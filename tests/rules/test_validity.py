"""Rule fixtures are real Terraform and CloudFormation, not just text our parser accepts.

Terraform: ``terraform validate`` against hashicorp/aws 5.100.0 from an offline filesystem
mirror. One validate costs about 3 s whatever the input (the provider's schema is loaded
each time), so ``terraform init`` runs once and every fixture becomes a child module of one
root that a single validate checks. A config error in one module hides the schema errors of
all the others, so modules named by an error are dropped and the rest validated again until
a run is clean; a fixture not proven by a clean run is validated alone, as a root module,
and that result decides its test. Errors fail; warnings (deprecations) do not.

CloudFormation: cfn-lint's own rules E0xxx (template) and E3xxx (resource properties), the
rules loaded once for the module.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from iacperf.server.parsing import parse_text

from .fixture_support import FIXTURES

AWS_VERSION = "5.100.0"
DEFAULT_MIRROR = Path("/opt/tf-plugins")
AWS_IN_MIRROR = Path("registry.terraform.io/hashicorp/aws") / AWS_VERSION
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
CLOUDFORMATION_SUFFIXES = (".yaml", ".yml", ".json")
CFN_REGIONS = ["us-east-1"]

VERSIONS_TF = f"""terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "{AWS_VERSION}"
    }}
  }}
}}
"""


def _fixtures(suffixes: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[Path]:
    """Every fixture with one of ``suffixes``, and its ``.fixed`` result."""
    found = []
    for path in sorted(FIXTURES.glob("*/*")):
        name = path.name.removesuffix(".fixed")
        if name.endswith(suffixes) and not name.endswith(exclude):
            found.append(path)
    return found


def _fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


TERRAFORM_FILES = _fixtures(TERRAFORM_SUFFIXES)
CLOUDFORMATION_FILES = _fixtures(CLOUDFORMATION_SUFFIXES, exclude=(".tf.json",))


# ---------------------------------------------------------------------------
# Terraform


def _terraform_name(path: Path) -> str:
    """The name a fixture gets in its module directory (``bad.tf.fixed`` -> ``main.tf``)."""
    return "main.tf.json" if path.name.removesuffix(".fixed").endswith(".tf.json") else "main.tf"


def _mirror() -> Path:
    """The filesystem mirror to install the provider from (``IACPERF_TF_MIRROR`` or the
    machine's default)."""
    configured = os.environ.get("IACPERF_TF_MIRROR")
    return Path(configured) if configured else DEFAULT_MIRROR


@dataclass
class Terraform:
    """The terraform CLI, set up once to work offline from the mirror."""

    binary: str
    workdir: Path
    env: dict[str, str]
    #: A directory initialised once: ``.terraform`` with the provider, and the lock file.
    initialised: Path
    #: Fixtures a clean validate of the batch proved valid.
    proven: set[Path] = field(default_factory=set)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def run(self, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [self.binary, *arguments, "-no-color"]
        return subprocess.run(
            command, cwd=cwd, env=self.env, capture_output=True, text=True, check=False
        )

    def new_dir(self, prefix: str) -> Path:
        path = self.workdir / f"{prefix}{next(self.counter)}"
        path.mkdir()
        return path

    def write_module(self, directory: Path, fixture: Path) -> None:
        """The fixture as a module, with the provider pinned unless it pins it itself."""
        text = fixture.read_text(encoding="utf-8")
        (directory / _terraform_name(fixture)).write_text(text, encoding="utf-8")
        if "required_providers" not in text:
            (directory / "versions.tf").write_text(VERSIONS_TF, encoding="utf-8")

    def share_init(self, directory: Path, *, whole: bool) -> None:
        """Reuse the one ``terraform init``: its lock file and its provider directory."""
        shutil.copy(self.initialised / ".terraform.lock.hcl", directory)
        source = self.initialised / ".terraform"
        if whole:
            (directory / ".terraform").symlink_to(source, target_is_directory=True)
        else:  # the batch adds its own .terraform/modules
            (directory / ".terraform").mkdir()
            (directory / ".terraform" / "providers").symlink_to(source / "providers")

    def validate(self, directory: Path) -> list[dict[str, Any]]:
        """``terraform validate -json`` diagnostics of one directory."""
        done = self.run(directory, "validate", "-json")
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            message = f"terraform validate gave no JSON:\n{done.stdout}\n{done.stderr}"
            return [{"severity": "error", "summary": message}]
        diagnostics: list[dict[str, Any]] = report.get("diagnostics", [])
        return diagnostics

    def validate_alone(self, fixture: Path) -> list[dict[str, Any]]:
        directory = self.new_dir("alone")
        self.write_module(directory, fixture)
        self.share_init(directory, whole=True)
        return self.validate(directory)

    def validate_batch(self, fixtures: dict[Path, list[str]]) -> set[Path] | None:
        """Validate ``fixtures`` (with their required variables) together. The fixtures
        that errors name, or None when that cannot be told (an error without a file)."""
        root = self.new_dir("batch")
        calls = ['variable "unknown" {}\n']
        owners: dict[str, Path] = {}
        lines: list[tuple[int, int, Path]] = []  # root main.tf lines of each module call
        for number, (fixture, inputs) in enumerate(fixtures.items()):
            name = f"m{number:03d}"
            (root / name).mkdir()
            self.write_module(root / name, fixture)
            owners[name] = fixture
            first = sum(call.count("\n") for call in calls) + 1
            # Variables without a default get an unknown value, as a root module's would.
            required = "".join(f"  {v} = var.unknown\n" for v in inputs)
            calls.append(f'module "{name}" {{\n  source = "./{name}"\n{required}}}\n')
            lines.append((first, first + calls[-1].count("\n") - 1, fixture))
        (root / "main.tf").write_text("".join(calls), encoding="utf-8")
        (root / "versions.tf").write_text(VERSIONS_TF, encoding="utf-8")
        self.share_init(root, whole=False)
        done = self.run(root, "get")
        if done.returncode != 0:
            # A module that does not even load (a duplicate resource, say) stops them all.
            failed = {owners[m] for m in re.findall(r"\bon (m\d+)/", done.stderr) if m in owners}
            return failed or None
        named: set[Path] = set()
        for diagnostic in self.validate(root):
            if diagnostic.get("severity") != "error":
                continue
            where = diagnostic.get("range") or {}
            filename = str(where.get("filename", ""))
            head = filename.split("/", 1)[0]
            if head in owners and "/" in filename:
                named.add(owners[head])
            elif filename == "main.tf":  # a module call: a required variable we missed
                line = int(where["start"]["line"])
                calling = {f for first, last, f in lines if first <= line <= last}
                if not calling:
                    return None
                named.update(calling)
            else:
                return None
        return named


def _required_variables(fixture: Path) -> list[str] | None:
    """The variables without a default, or None when the fixture does not even parse."""
    template, _ = parse_text(_terraform_name(fixture), fixture.read_text(encoding="utf-8"))
    if template is None or template.errors:
        return None
    return [variable.name for variable in template.variables if variable.default is None]


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("the terraform CLI is not on PATH")
    mirror = _mirror()
    if not (mirror / AWS_IN_MIRROR).is_dir():
        pytest.skip(
            f"no hashicorp/aws {AWS_VERSION} in a provider mirror at {mirror} "
            "(set IACPERF_TF_MIRROR to a filesystem mirror directory)"
        )
    workdir = tmp_path_factory.mktemp("terraform")
    config = workdir / "cli.tfrc"
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n",
        encoding="utf-8",
    )
    # Only our settings: a stray TF_DATA_DIR or plugin cache would change what is tested.
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_")}
    env.update(
        TF_CLI_CONFIG_FILE=str(config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    initialised = workdir / "init"
    initialised.mkdir()
    (initialised / "versions.tf").write_text(VERSIONS_TF, encoding="utf-8")
    tf = Terraform(binary, workdir, env, initialised)
    done = tf.run(initialised, "init", "-backend=false", "-input=false")
    assert done.returncode == 0, f"terraform init failed offline:\n{done.stdout}\n{done.stderr}"

    # Fixtures that do not parse would stop the whole batch: they are validated alone.
    inputs = {fixture: _required_variables(fixture) for fixture in TERRAFORM_FILES}
    pending = {fixture: needed for fixture, needed in inputs.items() if needed is not None}
    while pending:
        named = tf.validate_batch(pending)
        if named is None:
            break  # every fixture is validated alone
        if not named:
            tf.proven.update(pending)
            break
        pending = {fixture: needed for fixture, needed in pending.items() if fixture not in named}
    return tf


def _describe(diagnostic: dict[str, Any]) -> str:
    where = diagnostic.get("range") or {}
    start = where.get("start") or {}
    at = f"{where.get('filename', '?')}:{start.get('line', '?')}:{start.get('column', '?')}"
    detail = diagnostic.get("detail", "")
    return f"{at}: {diagnostic.get('summary', '')}. {detail}".strip()


@pytest.mark.parametrize("path", TERRAFORM_FILES, ids=_fixture_id)
def test_terraform_fixture_is_valid(path: Path, terraform: Terraform) -> None:
    if path in terraform.proven:
        return
    errors = [d for d in terraform.validate_alone(path) if d.get("severity") == "error"]
    assert not errors, f"terraform validate ({path.name} as main.tf):\n" + "\n".join(
        _describe(d) for d in errors
    )


# ---------------------------------------------------------------------------
# CloudFormation


@pytest.fixture(scope="module")
def cfn_rules() -> Any:
    core = pytest.importorskip("cfnlint.core")
    return core.get_rules([], [], [])


@pytest.mark.parametrize("path", CLOUDFORMATION_FILES, ids=_fixture_id)
def test_cloudformation_fixture_is_valid(path: Path, cfn_rules: Any) -> None:
    from cfnlint.api import lint

    matches = lint(path.read_text(encoding="utf-8"), rules=cfn_rules, regions=CFN_REGIONS)
    errors = [m for m in matches if m.rule.id.startswith(("E0", "E3"))]
    assert not errors, f"cfn-lint ({path.name}):\n" + "\n".join(
        f"{m.linenumber}:{m.columnnumber}: {m.rule.id} {m.message}" for m in errors
    )
