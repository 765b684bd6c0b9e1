"""Output formats: each turns a `Report` into text. `FORMATS` maps a format name to its renderer."""

from __future__ import annotations

from collections.abc import Callable

from promptlint.output.concise import render_concise
from promptlint.output.full import render_full
from promptlint.output.json_format import render_json
from promptlint.output.report import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "full": render_full,
    "concise": render_concise,
    "json": render_json,
}

__all__ = ["FORMATS", "Report"]
