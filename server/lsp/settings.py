"""The settings in force for a file: its nearest ``.iacperf.yaml`` with the editor's over it.

The editor's settings (``workspace/configuration``, section ``iacperf``) override the
file's, field by field. Config files are read once and forgotten when one changes on disk.
Read from the event loop and the analysis worker; a stale cache entry only costs a re-read.

A file or an editor section that does not validate never takes effect: the last good
version of it stays in force (the defaults, if it never was good), and ``checked`` hears
of the error, and of its end, so the editor can show it on the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from iacperf.rules.records import field, record
from iacperf.server.config import (
    CONFIG_NAMES,
    ConfigError,
    Settings,
    find_config,
    from_editor,
    load_config,
    merge,
)
from iacperf.server.engine import Selection

SECTION = "iacperf"
Log = Callable[[str], None]
#: (config file, its error or None when it reads cleanly)
Checked = Callable[[str, ConfigError | None], None]


def _ignore(path: str, error: ConfigError | None) -> None:
    return None


@record(frozen=False)
class SettingsStore:
    log: Log = print
    checked: Checked = _ignore
    editor: Settings = field(default_factory=Settings)
    #: folder -> the config file that applies there (None: none)
    _found: dict[str, str | None] = field(default_factory=dict)
    #: config file -> its settings in force (the last good ones when it has an error)
    _files: dict[str, Settings] = field(default_factory=dict)
    #: config file -> the last settings it validated to; outlives ``forget_files``
    _good: dict[str, Settings] = field(default_factory=dict)

    def set_editor(self, mapping: object, root: str | None) -> None:
        """Take the editor's section; an invalid one is logged and the previous stays."""
        try:
            self.editor = from_editor(mapping, root, section=SECTION)  # type: ignore[arg-type]
        except ConfigError as error:
            self.log(f"iacperf: {error} (the previous settings stay in force)")

    def forget_files(self) -> None:
        """A config file was created, changed or deleted: read them again when needed."""
        self._found.clear()
        self._files.clear()

    def for_path(self, path: str) -> Settings:
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if folder not in self._found:
            self._found[folder] = find_config(folder)
        config = self._found[folder]
        return merge(self._file(config), self.editor) if config else self.editor

    def selection(self, path: str) -> Selection:
        return self.for_path(path).selection()

    def _file(self, path: str) -> Settings:
        settings = self._files.get(path)
        if settings is None:
            try:
                settings = load_config(path)
            except ConfigError as error:
                settings = self._good.get(path, Settings())
                kept = "the previous settings" if path in self._good else "the defaults"
                self.log(f"iacperf: {error} ({kept} stay in force)")
                self.checked(path, error)
            else:
                self._good[path] = settings
                self.checked(path, None)
            self._files[path] = settings
        return settings


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in CONFIG_NAMES
