"""The language server (`promptlint server`, optional extra `promptlint-prefix[lsp]`).

`documents` lints unsaved buffers with the same `lint_source` the CLI uses, `actions` turns
diagnostics into code actions and hovers, `server` wires both to pygls. Only `server` imports pygls,
and nothing outside this package imports it, so the CLI never pays pygls' import time.
"""
