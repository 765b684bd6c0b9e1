"""Adapters from the engine's frontend signature to the template frontends (Jinja, Prompty, text).

Each call gets a `TemplateLoader` over the project roots, so `include`/`extends` are resolved inside
the project. Kept apart from `lint.py` so template support is one registration there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from promptlint.config.schema import Settings
from promptlint.frontends.jinja import extract_jinja
from promptlint.frontends.prompty import extract_prompty
from promptlint.frontends.template_fixes import with_line_moves
from promptlint.frontends.template_loader import TemplateLoader
from promptlint.frontends.text import extract_text
from promptlint.ir import FileFacts
from promptlint.source import SourceFile

if TYPE_CHECKING:
    from promptlint.engine.lint import LintState


def jinja_frontend(source: SourceFile, state: LintState, settings: Settings) -> FileFacts:
    return with_line_moves(
        source, extract_jinja(source, TemplateLoader(state.loader.roots, log=state.loader.log))
    )


def prompty_frontend(source: SourceFile, state: LintState, settings: Settings) -> FileFacts:
    return extract_prompty(source, TemplateLoader(state.loader.roots, log=state.loader.log))


def text_frontend(source: SourceFile, state: LintState, settings: Settings) -> FileFacts:
    return with_line_moves(source, extract_text(source))
