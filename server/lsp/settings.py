"""The settings in force for a file: its nearest ``.iacperf.yaml`` with the editor's over it.

The editor's settings (``workspace/configuration``, section ``iacperf``) override the
file's, field by field. Config files are read once and forgotten when one changes on disk.
Read from the event loop and the analysis worker; a stale cache entry only costs a re-read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class SettingsStore:
    log: Log = print
    editor: Settings = field(default_factory=Settings)
    #: folder -> the config file that applies there (None: none)
    _found: dict[str, str | None] = field(default_factory=dict)
    #: config file -> its settings (defaults when it cannot be read; the error is logged)
    _files: dict[str, Settings] = field(default_factory=dict)

    def set_editor(self, mapping: object, root: str | None) -> None:
        """Take the editor's section; an invalid one is logged and leaves the defaults."""
        try:
            self.editor = from_editor(mapping, root, section=SECTION)  # type: ignore[arg-type]
        except ConfigError as error:
            self.editor = Settings()
            self.log(f"iacperf: {error}")

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
                settings = Settings()
                self.log(f"iacperf: {error}")
            self._files[path] = settings
        return settings


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in CONFIG_NAMES
