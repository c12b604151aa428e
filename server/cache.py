"""The CLI's on-disk cache of analysis results (``.iacperf_cache/``), like ruff's.

One entry per unit of analysis (a Terraform directory or a CloudFormation file), named by
a hash of everything the unit's findings can depend on that is known before parsing: the
iacperf code (version and a fingerprint of its installed sources), the effective
configuration, the var files' content, and each file's path and content. What is only
known after parsing (the files of local modules the unit calls) is recorded in the entry
with content hashes and checked on every read. An entry that cannot be read, or fails
that check, is a miss: the unit is analysed again. Writes go to a temporary file renamed
into place, so a crash or a second scan never leaves half an entry.

Entries are pickles of iacperf's own model types; the loader refuses every other class, so
a planted cache cannot make iacperf run code.
"""

from __future__ import annotations

import copyreg
import functools
import io
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from iacperf.rules.records import fields, values_of
from iacperf.server import __version__

CACHE_DIR_NAME = ".iacperf_cache"
# Bump when the entry layout changes.
_LAYOUT = "1"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by iacperf.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_SAFE_BUILTINS = frozenset({"tuple", "list", "dict", "set", "frozenset", "object"})


@cache
def code_fingerprint() -> str:
    """iacperf's version plus the size and mtime of its sources: an edited checkout (the
    version does not change between commits) never reads entries of older code."""
    import hashlib  # here: it loads OpenSSL (2 ms), and a check without a cache hashes nothing
    from pathlib import Path  # here: a check without a cache does without it (2-4 ms)

    h = hashlib.sha256(f"{__version__} {_LAYOUT} {sys.version_info[:2]}".encode())
    package = Path(__file__).resolve().parent
    for folder in (package, package.parent / "rules"):
        for path in sorted(folder.rglob("*.py")):
            stat = path.stat()
            h.update(
                f"{path.relative_to(folder.parent)} {stat.st_size} {stat.st_mtime_ns}".encode()
            )
    return h.hexdigest()[:16]


def content_hash(data: bytes) -> str:
    import hashlib  # see code_fingerprint

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def unit_key(config: str, files: Iterable[tuple[str, str]]) -> str:
    """The entry name for a unit: ``config`` (the effective settings) and its files as
    (path, content hash)."""
    import hashlib  # see code_fingerprint

    h = hashlib.sha256(f"{code_fingerprint()}\0{config}".encode())
    for path, digest in files:
        h.update(f"\0{path}\0{digest}".encode())
    return h.hexdigest()


def _fast_pickling() -> None:
    """Pickle the model's and the rule API's slotted dataclasses as ``cls(*fields)``. For
    frozen ones the default (``__getstate__``/``__setstate__`` in Python, calling
    ``fields()`` per object) made loading the corpus's templates 2.5x slower; for the
    model's records (``rules/records.py``) it is a smaller pickle than a state dict per
    object. Only classes whose fields are all ``__init__`` arguments and that have no
    ``__post_init__`` qualify."""
    from iacperf.rules import api, model

    for module in (model, api):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and hasattr(value, "__record_fields__")
                and value.__module__ == module.__name__
                and "__slots__" in vars(value)
                and not hasattr(value, "__post_init__")
                and all(f.init for f in fields(value))
            ):
                names = [f.name for f in fields(value)]
                copyreg.pickle(value, functools.partial(_reduce, value, values_of(names)))


def _reduce(
    cls: type, fields_of: Callable[[object], tuple[object, ...]], obj: object
) -> tuple[type, tuple[object, ...]]:
    return cls, fields_of(obj)


_fast_pickling()


class _Unpickler(pickle.Unpickler):
    """Only iacperf's model types and plain containers."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("iacperf.") or (module == "builtins" and name in _SAFE_BUILTINS):
            return super().find_class(module, name)
        if module == "copyreg" and name in ("_reconstructor", "__newobj__"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the iacperf cache")


def dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    """What ``dumps`` wrote; refuses every class but iacperf's and plain containers."""
    return _Unpickler(io.BytesIO(data)).load()


class Cache:
    """Entries under ``root`` (the ``.iacperf_cache`` folder itself)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._folder = os.path.join(root, code_fingerprint())
        self._ready = False

    def get(self, key: str) -> Any | None:
        try:
            with open(os.path.join(self._folder, key[:2], key), "rb") as handle:
                data = handle.read()
            return loads(data)
        except Exception:  # noqa: BLE001 - missing, corrupt or foreign: analyse again
            return None

    def put(self, key: str, value: object) -> None:
        try:
            data = dumps(value)
        except (pickle.PicklingError, RecursionError):
            return
        self.put_bytes(key, data)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store atomically; a cache that cannot be written is silently not used."""
        try:
            folder = os.path.join(self._folder, key[:2])
            if not self._ready:
                self._prepare()
            os.makedirs(folder, exist_ok=True)
            import tempfile  # here: a scan that stores nothing does without it (4 ms)

            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, os.path.join(folder, key))
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            return

    def _prepare(self) -> None:
        """The folder, its CACHEDIR.TAG and a .gitignore that ignores everything in it;
        entries of other iacperf builds are dropped so the cache does not grow forever."""
        os.makedirs(self._folder, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by iacperf\n*\n")):
            path = os.path.join(self.root, name)
            if not os.path.exists(path):
                with open(path, "w", encoding="utf-8") as out:
                    out.write(text)
        for entry in os.scandir(self.root):
            if entry.is_dir() and entry.path != self._folder:
                _remove_tree(entry.path)
        self._ready = True


def _remove_tree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
