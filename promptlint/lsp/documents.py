"""Lint editor buffers: per-workspace-folder configuration, file kinds, one `LintState` per server.

No LSP types here: `DocumentLinter.lint` takes a path, the buffer text and the client's language id
and returns the decoded `SourceFile` plus diagnostics, computed by `engine.lint.lint_source`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from promptlint.config.load import ConfigResolver
from promptlint.config.schema import Settings
from promptlint.diagnostics import Diagnostic
from promptlint.discovery import classify
from promptlint.engine.link import link_project
from promptlint.engine.lint import FileResult, LintState, lint_source, merge_project
from promptlint.engine.runner import Selection, Task, new_state, read_source, renderer_context
from promptlint.errors import PromptlintError
from promptlint.source import FileKind, SourceFile, detect_newline

CONFIG_FILES = ("pyproject.toml", "promptlint.toml")
LANGUAGE_KINDS = {
    "python": FileKind.PYTHON,
    "jinja": FileKind.JINJA,
    "jinja2": FileKind.JINJA,
    "jinja-html": FileKind.JINJA,
    "prompty": FileKind.PROMPTY,
}


@dataclass(frozen=True, slots=True)
class LintOutcome:
    """One buffer's lint: its source (None when the file is not something promptlint reads)."""

    source: SourceFile | None
    diagnostics: tuple[Diagnostic, ...] = ()
    errors: tuple[str, ...] = ()


class DocumentLinter:
    """Lints buffers with the configuration of the workspace folder that contains them."""

    def __init__(self, folders: tuple[str, ...] = ()) -> None:
        self.folders = tuple(sorted({os.path.abspath(f) for f in folders}, key=len, reverse=True))
        self._resolvers: dict[str, ConfigResolver] = {}
        self._state: LintState | None = None
        # Template path -> the lint of the Python files that render it, read from disk: kept until a
        # file is saved or the configuration changes, not redone on every keystroke in the template.
        self._renderers: dict[str, tuple[list[FileResult], dict[str, SourceFile]]] = {}

    @property
    def state(self) -> LintState:
        if self._state is None:
            self._state = new_state(self.folders)
        return self._state

    def folder_of(self, path: str) -> str:
        """The innermost workspace folder containing `path`, else the file's own directory."""
        path = os.path.abspath(path)
        for folder in self.folders:
            if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
                return folder
        return os.path.dirname(path)

    def settings_for(self, path: str) -> Settings:
        """Settings for `path` (nearest config file; memoised until `reload_config`).

        Raises:
            ConfigError: the nearest config file is invalid.
        """
        folder = self.folder_of(path)
        resolver = self._resolvers.get(folder)
        if resolver is None:
            resolver = self._resolvers[folder] = ConfigResolver(cwd=folder)
        return resolver.for_path(path)

    def file_saved(self, path: str) -> None:
        """Other buffers that import `path` must see its saved text, not a cached parse."""
        if self._state is not None:
            self._state.loader.forget(path)
        self._renderers.clear()  # a renderer, a module it imports or the template itself changed

    def reload_config(self) -> None:
        """Forget every resolved configuration (a config file changed) and the per-settings caches."""
        self._resolvers.clear()
        self._state = None
        self._renderers.clear()

    def kind_of(self, path: str, language_id: str | None, settings: Settings) -> FileKind | None:
        kind = classify(path, settings, explicit=False)
        if kind is None and language_id is not None:
            kind = LANGUAGE_KINDS.get(language_id.lower())
        return kind

    def lint(self, path: str, text: str, language_id: str | None = None) -> LintOutcome:
        """Lint the unsaved `text` of `path`."""
        try:
            settings = self.settings_for(path)
        except PromptlintError as exc:
            return LintOutcome(None, (), (exc.render(),))
        kind = self.kind_of(path, language_id, settings)
        if kind is None:
            return LintOutcome(None)
        source = SourceFile(path, text, kind, newline=detect_newline(text))
        try:
            result = lint_source(source, settings, self.state)
            diagnostics = result.diagnostics
            if kind is not FileKind.PYTHON:
                diagnostics = self._with_renderers(source, result, settings)
        except PromptlintError as exc:
            return LintOutcome(source, (), (exc.render(),))
        return LintOutcome(source, tuple(diagnostics), tuple(result.errors))

    def _with_renderers(self, source: SourceFile, result: FileResult, settings: Settings) -> list[Diagnostic]:
        """A template buffer is judged by the Python that renders it, as `promptlint check` does:
        the workspace's Python files that name the template are linted (from disk) for the link,
        and only the findings placed in this template are kept."""
        results, renderer_sources = self._renderer_results(source, settings)
        if not results:
            return list(result.diagnostics)
        linked, _moved = link_project([result, *results], {**renderer_sources, source.path: source})
        own = os.path.abspath(source.path)
        return [d for d in merge_project(linked) if os.path.abspath(d.path) == own]

    def _renderer_results(
        self, source: SourceFile, settings: Settings
    ) -> tuple[list[FileResult], dict[str, SourceFile]]:
        """The lint of the workspace's Python files that name `source`, as they are on disk."""
        key = os.path.abspath(source.path)
        known = self._renderers.get(key)
        if known is not None:
            return known
        folder = self.folder_of(source.path)
        task = Task(source.path, source.kind, replace(settings, root=folder))
        renderers = renderer_context([task], ConfigResolver(cwd=folder), Selection(preview=settings.preview))
        results: list[FileResult] = []
        sources: dict[str, SourceFile] = {}
        for renderer in renderers:
            loaded = read_source(renderer.path, FileKind.PYTHON)
            if isinstance(loaded, SourceFile):
                results.append(lint_source(loaded, renderer.settings, self.state))
                sources[loaded.path] = loaded
        self._renderers[key] = (results, sources)
        return results, sources


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in CONFIG_FILES
