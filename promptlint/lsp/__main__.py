"""`python -m promptlint.lsp`: the language server without the CLI (same as `promptlint server`)."""

from promptlint.lsp.server import run

run()
