"""iacperf.server: parsing, the engine, the CLI and the language server."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iacperf")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
