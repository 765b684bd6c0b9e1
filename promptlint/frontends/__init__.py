"""Frontends: turn one source file into `FileFacts` (prompts in the IR, plus code-shape facts)."""
