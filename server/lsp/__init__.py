"""The language server: thin adapters from the engine's findings to LSP messages."""
