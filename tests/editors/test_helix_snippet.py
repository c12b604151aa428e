"""README's Helix configuration. Helix itself cannot run here (no Debian 12, PyPI or npm
package), so this checks what can be checked without it: the TOML parses, it starts the
same server command as the other editors' snippets, and its CloudFormation globs leave
common YAML/JSON alone.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from typing import Any

import pytest

from .support import ROOT

README = ROOT / "README.md"
NOT_CLOUDFORMATION = (
    "ci/build.yml",
    ".github/workflows/ci.yml",
    "docker-compose.yaml",
    "k8s/deployment.yaml",
    "package.json",
    "tsconfig.json",
)


def _section(title: str) -> str:
    return README.read_text().split(f"\n### {title}\n", 1)[1].split("\n### ", 1)[0]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    blocks = re.findall(r"```toml\n(.*?)```", _section("Helix"), re.S)
    assert len(blocks) == 1, "README's Helix section should hold one toml block"
    if sys.version_info < (3, 11):
        pytest.skip("reading TOML needs Python 3.11 (tomllib)")
    else:
        import tomllib

        return tomllib.loads(blocks[0])


def test_helix_starts_the_same_server_as_neovim_and_emacs(config: dict[str, Any]) -> None:
    server = config["language-server"]["iacperf"]
    command = [server["command"], *server["args"]]
    assert "cmd = { 'iacperf', 'lsp' }" in _section("Neovim")
    assert '("iacperf" "lsp")' in _section("Emacs")
    assert command == ["iacperf", "lsp"]


def test_every_language_entry_uses_iacperf(config: dict[str, Any]) -> None:
    languages = {language["name"]: language for language in config["language"]}
    assert set(languages) == {"hcl", "tfvars", "cloudformation"}
    for language in languages.values():
        assert "iacperf" in language["language-servers"], language["name"]


def test_cloudformation_globs_leave_other_yaml_and_json_alone(config: dict[str, Any]) -> None:
    (cfn,) = [entry for entry in config["language"] if entry["name"] == "cloudformation"]
    globs = [t["glob"] for t in cfn["file-types"] if isinstance(t, dict)]
    suffixes = [t for t in cfn["file-types"] if isinstance(t, str)]
    for path in NOT_CLOUDFORMATION:
        name = path.rsplit("/", 1)[-1]
        assert not any(fnmatch.fnmatch(path, g) or fnmatch.fnmatch(name, g) for g in globs), path
        assert not any(name.endswith("." + suffix) for suffix in suffixes), path
    for path in ("stack.cfn.yaml", "cloudformation/network/vpc.yaml", "app.template"):
        name = path.rsplit("/", 1)[-1]
        matched = any(fnmatch.fnmatch(path, g) for g in globs) or any(
            name.endswith("." + suffix) for suffix in suffixes
        )
        assert matched, path
