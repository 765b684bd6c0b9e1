"""Output formats: each turns a `Report` into text. `FORMATS` maps a format name to its renderer."""

from __future__ import annotations

from collections.abc import Callable

from promptlint.output.concise import render_concise
from promptlint.output.full import render_full
from promptlint.output.github import render_github
from promptlint.output.gitlab import render_gitlab
from promptlint.output.json_format import render_json
from promptlint.output.lsp_json import render_lsp
from promptlint.output.report import Report
from promptlint.output.sarif import render_sarif

FORMATS: dict[str, Callable[[Report], str]] = {
    "full": render_full,
    "concise": render_concise,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
    "gitlab": render_gitlab,
    "lsp": render_lsp,
}

__all__ = ["FORMATS", "Report"]
