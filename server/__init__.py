"""iacperf.server: parsing, the engine, the CLI and the language server."""

#: The one place the version is written (pyproject.toml reads it from here). Asking
#: importlib.metadata instead cost every command 20-40 ms of imports.
__version__ = "0.1.0"
