"""``python -m iacperf.server``: the language server on stdio."""

from iacperf.server.lsp.server import main

main()
