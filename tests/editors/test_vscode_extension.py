"""The VS Code extension without VS Code: its settings against the server's, its unit tests,
and the packaged .vsix (what ``vsce package`` built and what the bundle needs at run time).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from iacperf.server.config import EDITOR_KEYS, SCHEMA_FILE, ConfigError, from_editor

from .support import CLIENT, run_group

PACKAGE = json.loads((CLIENT / "package.json").read_text())
PROPERTIES: dict[str, dict[str, Any]] = PACKAGE["contributes"]["configuration"]["properties"]
SCHEMA = json.loads(Path(SCHEMA_FILE).read_text())
SECTION = "iacperf."


def _client_only_keys() -> set[str]:
    """``CLIENT_ONLY_KEYS`` of vscode-client/src/settings.ts: what the extension keeps for
    itself and strips from the server's ``workspace/configuration`` answer."""
    source = (CLIENT / "src" / "settings.ts").read_text()
    match = re.search(r"CLIENT_ONLY_KEYS[^=]*=\s*\[([^\]]*)\]", source)
    assert match, "settings.ts lost CLIENT_ONLY_KEYS"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def _names() -> list[str]:
    assert all(key.startswith(SECTION) for key in PROPERTIES), list(PROPERTIES)
    return [key.removeprefix(SECTION) for key in PROPERTIES]


def _server_names() -> list[str]:
    client_only = _client_only_keys()
    return [name for name in _names() if name.split(".")[0] not in client_only]


def _types(spec: dict[str, Any]) -> set[str]:
    """JSON types a (package.json or schema) property allows, following $ref and oneOf."""
    if "$ref" in spec:
        return _types(SCHEMA["$defs"][spec["$ref"].rsplit("/", 1)[1]])
    if "oneOf" in spec:
        return set().union(*(_types(option) for option in spec["oneOf"]))
    if "type" in spec:
        declared = spec["type"]
        return set(declared) if isinstance(declared, list) else {declared}
    if "enum" in spec:
        return {"string" if isinstance(v, str) else type(v).__name__ for v in spec["enum"]}
    raise AssertionError(f"no type in {spec}")


def test_every_setting_is_one_the_server_or_the_extension_reads() -> None:
    server_names = _server_names()
    # Both ways: no setting the server would ignore, no server key without a setting.
    assert sorted(server_names) == sorted(EDITOR_KEYS)
    extension = (CLIENT / "src" / "extension.ts").read_text()
    for name in set(_names()) - set(server_names):
        if name == "trace.server":
            # vscode-languageclient reads "<client id>.trace.server" itself.
            assert 'new LanguageClient("iacperf"' in extension
        else:
            assert f'config.get<string>("{name}"' in extension, f"{name} is never read"


@pytest.mark.parametrize("name", sorted(EDITOR_KEYS))
def test_setting_types_match_the_servers_schema(name: str) -> None:
    setting = PROPERTIES[SECTION + name]
    schema = SCHEMA["properties"][EDITOR_KEYS[name]]  # the .iacperf.yaml key it sets
    # Unset (null) keeps the value from .iacperf.yaml, so it is every setting's default.
    assert setting["default"] is None
    assert from_editor({name: None}).set_fields == frozenset()
    assert _types(setting) - {"null"} == _types(schema)
    if "enum" in schema:
        assert [v for v in setting["enum"] if v is not None] == schema["enum"]
    if "additionalProperties" in schema:
        assert setting["additionalProperties"]["enum"] == schema["additionalProperties"]["enum"]


def test_enumerated_values_are_accepted_and_others_rejected() -> None:
    for name in _server_names():
        setting = PROPERTIES[SECTION + name]
        for value in [v for v in setting.get("enum", []) if v is not None]:
            assert from_editor({name: value}).set_fields == {EDITOR_KEYS[name]}
        for level in setting.get("additionalProperties", {}).get("enum", []):
            assert from_editor({name: {"PERF019": level}}).severity == {"PERF019": level}
    with pytest.raises(ConfigError, match=r"iacperf\.scope"):
        from_editor({"scope": "everything"})
    with pytest.raises(ConfigError, match=r"iacperf\.severity\.PERF019"):
        from_editor({"severity": {"PERF019": "loud"}})


def test_client_only_settings_never_reach_the_server_validation() -> None:
    # Even if the extension forgot to strip them, the server would leave them alone.
    client = {"server": {"path": "/x"}, "interpreter": "/y", "trace": {"server": "verbose"}}
    assert from_editor(client).set_fields == frozenset()


def test_extension_unit_tests(npm: str) -> None:
    returncode, output = run_group([npm, "test"], timeout=180, cwd=CLIENT)
    assert returncode == 0, output
    assert re.search(r"^# fail 0$", output, re.M), output


def test_vsix_holds_the_manifest_and_one_bundle(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        vsixmanifest = archive.read("extension.vsixmanifest").decode()
        bundle = archive.read("extension/" + PACKAGE["main"].removeprefix("./")).decode()
    assert manifest == PACKAGE
    assert f'Id="{PACKAGE["name"]}"' in vsixmanifest
    assert f'Version="{PACKAGE["version"]}"' in vsixmanifest
    assert f'Publisher="{PACKAGE["publisher"]}"' in vsixmanifest
    assert {"extension/readme.md", "extension/LICENSE.txt"} <= names
    leaked = [n for n in names if re.search(r"/(src|node_modules|dist-test)/|\.map$|\.vsix$", n)]
    assert leaked == []
    # --no-dependencies ships no node_modules: the bundle may need only Node and VS Code.
    builtins = json.loads(
        subprocess.run(
            ["node", "-p", "JSON.stringify(require('module').builtinModules)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    required = set(re.findall(r'require\("([^"]+)"\)', bundle))
    assert "vscode" in required
    assert required - {"vscode"} <= {*builtins, *(f"node:{b}" for b in builtins)}, required
    assert vsix.stat().st_size < 1_000_000
