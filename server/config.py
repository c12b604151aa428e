"""Configuration: ``.iacperf.yaml`` and the editor's settings, validated into ``Settings``.

One validator serves both sources. The file is composed with ``yaml`` so every error can
name its key and point at its line and column (the editor puts a diagnostic there); the
editor's ``workspace/configuration`` result is plain data and errors name the setting.
The JSON Schema shipped in ``data/iacperf.schema.json`` describes the same file; a test
keeps the two in step.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NoReturn

from iacperf.rules.api import Severity
from iacperf.rules.records import field, record, replace
from iacperf.rules.registry import by_code_or_name
from iacperf.server.analysis import DEFAULT_MAX_BYTES
from iacperf.server.engine import Selection

if TYPE_CHECKING:
    import yaml

CONFIG_NAMES = (".iacperf.yaml", ".iacperf.yml")
SCOPES = ("openFiles", "workspace")
SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "data", "iacperf.schema.json")
#: A positive whole number of bytes with an optional k/M/G suffix: "500k", "5M", "5MB".
SIZE_PATTERN = re.compile(r"([1-9][0-9]*)([kKmMgG]?)[bB]?")
_SIZE_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@record(slots=False)
class Settings:
    """What to check and how: the file's values, the editor's, or both merged."""

    select: frozenset[str] = frozenset()  # rule codes; empty: every rule
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)  # code -> override
    options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # code -> options
    exclude: tuple[str, ...] = ()  # globs, relative to ``root``
    var_files: tuple[str, ...] = ()  # absolute when ``root`` is known
    report_unknown: bool = False
    max_file_size: int = DEFAULT_MAX_BYTES
    scope: str = "openFiles"
    #: The config file these came from (None: editor settings or defaults).
    path: str | None = None
    #: The folder that ``exclude`` globs are relative to (the config file's folder).
    root: str | None = None
    #: Fields given explicitly, so merging never lets an unset value wipe a set one.
    set_fields: frozenset[str] = frozenset()

    def selection(self) -> Selection:
        """The engine's view: which rules run, how loud, with which options."""
        return Selection(
            select=self.select,
            ignore=self.ignore,
            severity=dict(self.severity),
            options={code: dict(values) for code, values in self.options.items()},
            var_files=self.var_files,
            report_unknown=self.report_unknown,
        )

    def excludes(self, path: str) -> bool:
        """True when an ``exclude`` glob matches the file, or a folder it lies in.

        A glob without ``/`` matches any file or folder name below ``root``; a glob with
        ``/`` matches the path relative to ``root`` (``*`` also crosses ``/``, as in
        ``--exclude``); an absolute glob matches the absolute path. Files outside ``root``
        are matched by their own name only.
        """
        if not self.exclude:
            return False
        parts = _parts_below(path, self.root)
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        ancestors = _ancestors(os.path.abspath(path))
        for pattern in self.exclude:
            if pattern.startswith("/"):
                candidates = ancestors
            else:
                candidates = prefixes if "/" in pattern else parts
            if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
                return True
        return False


def _ancestors(absolute: str) -> list[str]:
    """``absolute`` and every folder above it, written with "/" (as ``PurePath.as_posix``
    writes ``path`` and its ``parents``)."""
    found = [absolute.replace(os.sep, "/")]
    while (parent := os.path.dirname(absolute)) != absolute:
        absolute = parent
        found.append(absolute.replace(os.sep, "/"))
    return found


def _parts_below(path: str, root: str | None) -> list[str]:
    normalized = os.path.normpath(path)
    if root is not None:
        relative = os.path.relpath(os.path.abspath(normalized), root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return [os.path.basename(normalized)]
        normalized = relative
    return [p for p in normalized.split(os.sep) if p and p != os.curdir]


class ConfigError(Exception):
    """A configuration value that cannot be used, with where it was written.

    ``line`` and ``column`` (and the ``end_`` pair) are 0-based, like the model's ranges;
    ``str()`` shows them 1-based: ``.iacperf.yaml:3:5: severity.PERF019: 'loud' is ...``.
    """

    def __init__(
        self,
        path: str,
        key: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
    ) -> None:
        self.path, self.key, self.message = path, key, message
        self.line, self.column = line, column
        self.end_line, self.end_column = end_line, end_column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line + 1}:{(self.column or 0) + 1}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


# ---------------------------------------------------------------------------
# Discovery and the two sources


def find_config(start: str) -> str | None:
    """The nearest ``.iacperf.yaml`` (or ``.yml``) from ``start`` (a file or folder) upward.

    The search ends at the filesystem root, or at a folder holding ``.git`` once that
    folder has been checked: a repository's settings never leak in from above it.
    """
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")):
            return None
        folder = parent


def load_config(path: str, root: str | None = None) -> Settings:
    """Read and validate a config file; raises ConfigError naming the file and key.

    ``exclude`` and ``var_files`` are relative to ``root``: by default the file's folder;
    the CLI passes the working directory for a file named with ``--config``, as ruff does.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise ConfigError(path, "", f"cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(path, "", f"not UTF-8 text (byte {error.start})") from None
    data, spans = _compose(path, text)
    if data is None:
        data = {}
    root = os.path.abspath(root) if root is not None else os.path.dirname(os.path.abspath(path))
    reader = _Reader(path, spans, FILE_KEYS, root)
    if not isinstance(data, dict):
        reader.fail((), f"expected a mapping of settings, got {_kind(data)}")
    return replace(reader.settings(data), path=path)


def from_editor(
    mapping: Mapping[str, object] | None,
    root: str | None = None,
    source: str = "editor settings",
    section: str = "iacperf",
) -> Settings:
    """Settings from the language client's ``workspace/configuration`` result.

    Keys are camelCase as VS Code settings spell them; ``null`` or absent means unset, so
    the file's value stays. Keys this server does not read (the client's own, such as
    ``trace.server``) are left alone: the client shares the section with the server.
    """
    if mapping is None:
        return Settings()
    if not isinstance(mapping, Mapping):
        raise ConfigError(source, section, f"expected a mapping of settings, got {_kind(mapping)}")
    data = {k: v for k, v in mapping.items() if k in EDITOR_KEYS and v is not None}
    reader = _Reader(source, {}, EDITOR_KEYS, root, prefix=section)
    return reader.settings(data)


def merge(base: Settings, override: Settings) -> Settings:
    """``base`` with every field ``override`` sets explicitly (the editor over the file)."""
    changes: dict[str, object] = {name: getattr(override, name) for name in override.set_fields}
    if "exclude" in override.set_fields and override.root is not None:
        changes["root"] = override.root
    return replace(base, **changes, set_fields=base.set_fields | override.set_fields)


def parse_size(value: str) -> int | None:
    """Bytes for ``"500k"``, ``"5M"``, ``"5MB"`` or ``"1024"``; None when it is not a size."""
    match = SIZE_PATTERN.fullmatch(value.strip())
    if match is None:
        return None
    return int(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()]


# ---------------------------------------------------------------------------
# YAML with positions

_Key = tuple[str | int, ...]
_Span = tuple[int, int, int, int]


def _compose(path: str, text: str) -> tuple[object, dict[_Key, _Span]]:
    """Plain data from the YAML text, and the span of every key and list item."""
    import yaml  # here: most runs read no configuration file

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        spans: dict[_Key, _Span] = {}
        if node is not None:
            spans[()] = _span(node)
        return (_data(path, loader, node, (), spans) if node is not None else None), spans
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "cannot be read"
        line, column = (mark.line, mark.column) if mark else (None, None)
        raise ConfigError(path, "", f"invalid YAML: {problem}", line, column) from None
    except yaml.YAMLError as error:
        raise ConfigError(path, "", f"invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _span(node: yaml.Node) -> _Span:
    start, end = node.start_mark, node.end_mark
    return start.line, start.column, end.line, end.column


def _data(
    path: str, loader: yaml.SafeLoader, node: yaml.Node, key: _Key, spans: dict[_Key, _Span]
) -> object:
    import yaml

    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (<<), as safe_load applies them
        result: dict[object, object] = {}
        for key_node, value_node in node.value:
            name = loader.construct_object(key_node)
            if not isinstance(name, str):
                message = f"key {name!r} is not a string"
                raise ConfigError(path, _dotted(key), message, *_span(key_node))
            if name in result:
                raise ConfigError(path, _dotted((*key, name)), "given twice", *_span(key_node))
            where = (*key, name)
            spans[where] = _span(key_node)
            result[name] = _data(path, loader, value_node, where, spans)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            where = (*key, index)
            spans[where] = _span(item)
            items.append(_data(path, loader, item, where, spans))
        return items
    return loader.construct_object(node)


def _dotted(key: _Key) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# ---------------------------------------------------------------------------
# Validation, shared by both sources


class _Reader:
    """Turns plain data into Settings; every error names the key and, for files, its place."""

    def __init__(
        self,
        source: str,
        spans: Mapping[_Key, _Span],
        keys: Mapping[str, str],
        root: str | None,
        prefix: str = "",
    ) -> None:
        self.source = source  # the file's path, or "editor settings"
        self.spans = spans  # where each key was written (files only)
        self.keys = keys  # accepted key -> Settings field
        self.root = root
        self.prefix = prefix  # the editor's settings section, named in errors

    def fail(self, key: _Key, message: str) -> NoReturn:
        span = self.spans.get(key)
        name = _dotted((self.prefix, *key) if self.prefix else key)
        raise ConfigError(self.source, name, message, *(span or ()))

    def settings(self, data: Mapping[str, object]) -> Settings:
        values: dict[str, object] = {}
        for name, value in data.items():
            attribute = self.keys.get(name)
            if attribute is None:
                self.fail((name,), f"unknown key{_suggestion(name, self.keys)}")
            values[attribute] = _FIELDS[attribute](self, (name,), value)
        return Settings(**values, root=self.root, set_fields=frozenset(values))  # type: ignore[arg-type]

    def rule_code(self, key: _Key, value: object) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected a rule code or name, got {_kind(value)}")
        index = by_code_or_name()
        found = index.get(value) or index.get(value.upper())
        if found is None:
            self.fail(key, f"unknown rule {value!r}{_rule_suggestion(value, index)}")
        return found.code

    def rule_list(self, key: _Key, value: object) -> frozenset[str]:
        items = self.string_list(key, value, "rule codes or names", check_strings=False)
        return frozenset(self.rule_code((*key, i), item) for i, item in enumerate(items))

    def rule_mapping(self, key: _Key, value: object) -> dict[str, tuple[_Key, object]]:
        """Rule code -> (where it was written, its value); one entry per rule."""
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping of rule codes to values, got {_kind(value)}")
        found: dict[str, tuple[_Key, object]] = {}
        for name, item in value.items():
            code = self.rule_code((*key, name), name)
            if code in found:
                first = found[code][0][-1]
                self.fail((*key, name), f"same rule as {first!r}, given twice")
            found[code] = ((*key, name), item)
        return found

    def string_list(
        self, key: _Key, value: object, what: str, check_strings: bool = True
    ) -> list[object]:
        if not isinstance(value, (list, tuple)):
            self.fail(key, f"expected a list of {what}, got {_kind(value)}")
        if check_strings:
            for index, item in enumerate(value):
                if not isinstance(item, str) or not item.strip():
                    self.fail((*key, index), f"expected a non-empty string, got {_kind(item)}")
        return list(value)


def _suggestion(name: str, candidates: Mapping[str, object]) -> str:
    """``; did you mean 'max_file_size'?`` from spelling, or from case and separators."""
    folded = {re.sub(r"[-_ ]", "", c).lower(): c for c in candidates}
    exact = folded.get(re.sub(r"[-_ ]", "", name).lower())
    if exact:
        close = [exact]
    else:
        import difflib  # here: only a misspelt key needs it (2 ms at every start)

        close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _rule_suggestion(value: str, index: Mapping[str, object]) -> str:
    """Codes differ by a digit far too often for spelling to help: only padding is fixed
    (PERF19 is PERF019). Names get a spelling suggestion."""
    number = re.fullmatch(r"(?i)perf0*([0-9]+)", value)
    if number is not None:
        code = f"PERF{int(number.group(1)):03d}"
        return f"; did you mean {code!r}?" if code in index else " (see `iacperf rules`)"
    names = {name: None for name in index if not name.startswith("PERF")}
    return _suggestion(value, names) or " (see `iacperf rules`)"


def _severity(reader: _Reader, key: _Key, value: object) -> dict[str, Severity]:
    result = {}
    allowed = [s.value for s in Severity]
    for code, (where, level) in reader.rule_mapping(key, value).items():
        if level not in allowed:
            reader.fail(where, f"{level!r} is not one of {', '.join(allowed)}")
        result[code] = Severity(level)
    return result


def _options(reader: _Reader, key: _Key, value: object) -> dict[str, dict[str, object]]:
    result = {}
    for code, (where, options) in reader.rule_mapping(key, value).items():
        if not isinstance(options, Mapping):
            reader.fail(
                where, f"expected a mapping of option names to values, got {_kind(options)}"
            )
        result[code] = dict(options)
    return result


def _exclude(reader: _Reader, key: _Key, value: object) -> tuple[str, ...]:
    # "./legacy/" and "legacy" mean the same folder.
    globs = reader.string_list(key, value, "glob patterns")
    return tuple(posixpath.normpath(str(g).strip()) for g in globs)


def _var_files(reader: _Reader, key: _Key, value: object) -> tuple[str, ...]:
    files = [str(f) for f in reader.string_list(key, value, "file paths")]
    if reader.root is None:
        return tuple(files)
    return tuple(os.path.normpath(os.path.join(reader.root, f)) for f in files)


def _report_unknown(reader: _Reader, key: _Key, value: object) -> bool:
    if not isinstance(value, bool):
        reader.fail(key, f"expected true or false, got {_kind(value)}")
    return value


def _max_file_size(reader: _Reader, key: _Key, value: object) -> int:
    size: int | None = None
    if isinstance(value, str):
        size = parse_size(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, float) and value.is_integer():  # 5e6, as JSON Schema's integer
        size = int(value)
    if size is None or size <= 0:
        reader.fail(key, f"expected a positive size in bytes (like 5M or 500k), got {_kind(value)}")
    return size


def _scope(reader: _Reader, key: _Key, value: object) -> str:
    if value not in SCOPES:
        reader.fail(key, f"{value!r} is not one of {', '.join(SCOPES)}")
    return str(value)


_FIELDS: dict[str, Callable[[_Reader, _Key, object], object]] = {
    "select": _Reader.rule_list,
    "ignore": _Reader.rule_list,
    "severity": _severity,
    "options": _options,
    "exclude": _exclude,
    "var_files": _var_files,
    "report_unknown": _report_unknown,
    "max_file_size": _max_file_size,
    "scope": _scope,
}
#: ``.iacperf.yaml`` keys -> Settings fields.
FILE_KEYS = {name: name for name in _FIELDS}
#: Editor (VS Code) setting names -> Settings fields; per-rule options live in the file only.
EDITOR_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "severity": "severity",
    "scope": "scope",
    "reportUnknown": "report_unknown",
    "exclude": "exclude",
    "varFiles": "var_files",
    "maxFileSize": "max_file_size",
}
