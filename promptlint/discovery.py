"""Paths -> files to lint, with their kind.

Walks directories, prunes default excludes (`.git`, `.venv`, `node_modules`, `__pycache__`, build
dirs), honours `.gitignore` files (from the enclosing git root down) and `exclude`/`extend-exclude`
globs, and classifies files: Python, Jinja, Prompty, and plain prompt files (`*.txt`, `*.md`,
`*.prompt`) only under a `prompts`/`prompt` directory or matched by `prompt-files`. Files named
explicitly on the command line are always linted.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pathspec

from promptlint.config.schema import Settings
from promptlint.source import FileKind

DEFAULT_EXCLUDES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        "site-packages",
        "__pypackages__",
        ".direnv",
    }
)
_SUFFIX_KINDS = {
    ".py": FileKind.PYTHON,
    ".pyi": None,
    ".j2": FileKind.JINJA,
    ".jinja": FileKind.JINJA,
    ".jinja2": FileKind.JINJA,
    ".prompty": FileKind.PROMPTY,
}
_TEXT_SUFFIXES = (".txt", ".md", ".prompt")
_PROMPT_DIRS = frozenset({"prompts", "prompt"})


@dataclass(frozen=True, slots=True)
class Discovered:
    path: str
    kind: FileKind
    explicit: bool
    settings: Settings  # the configuration that applies to the file


def classify(path: str, settings: Settings, explicit: bool) -> FileKind | None:
    """The kind of `path`, or None when it is not something promptlint reads."""
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _SUFFIX_KINDS:
        return _SUFFIX_KINDS[suffix]
    if suffix in _TEXT_SUFFIXES:
        if explicit or _matches(path, settings.prompt_files, settings.root):
            return FileKind.TEXT
        parts = os.path.normpath(os.path.abspath(path)).split(os.sep)[:-1]
        if any(p.lower() in _PROMPT_DIRS for p in parts):
            return FileKind.TEXT
    return None


def _matches(path: str, patterns: tuple[str, ...], root: str) -> bool:
    if not patterns:
        return False
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    name = os.path.basename(path)
    return any(
        fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*")
        for p in patterns
    )


class GitIgnore:
    """`.gitignore` rules from the git root down, loaded lazily per directory."""

    def __init__(self) -> None:
        self._specs: dict[str, pathspec.PathSpec[Any] | None] = {}
        self._chains: dict[str, list[tuple[str, pathspec.PathSpec[Any]]]] = {}

    def _spec(self, directory: str) -> pathspec.PathSpec[Any] | None:
        if directory not in self._specs:
            path = os.path.join(directory, ".gitignore")
            spec = None
            if os.path.isfile(path):
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        spec = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
                except OSError:
                    spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def _chain(self, directory: str) -> list[tuple[str, pathspec.PathSpec[Any]]]:
        """Specs that apply inside `directory`: its own and its ancestors' up to the git root."""
        cached = self._chains.get(directory)
        if cached is None:
            own = self._spec(directory)
            cached = [(directory, own)] if own is not None else []
            parent = os.path.dirname(directory)
            if not os.path.isdir(os.path.join(directory, ".git")) and parent != directory:
                cached = cached + self._chain(parent)
            self._chains[directory] = cached
        return cached

    def ignored(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        for directory, spec in self._chain(os.path.dirname(path)):
            rel = os.path.relpath(path, directory).replace(os.sep, "/") + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        return False


def discover(paths: list[str], settings_for: Callable[[str], Settings]) -> Iterator[Discovered]:
    """Yield each file to lint once, in a deterministic order."""
    gitignore = GitIgnore()
    seen: set[str] = set()
    for raw in paths:
        if not os.path.isdir(raw):
            key = os.path.abspath(raw)
            if key not in seen:
                seen.add(key)
                settings = settings_for(raw)
                kind = classify(raw, settings, explicit=True)
                yield Discovered(raw, kind or FileKind.PYTHON, True, settings)
            continue
        for found in _walk(raw, settings_for, gitignore):
            key = os.path.abspath(found.path)
            if key not in seen:
                seen.add(key)
                yield found


def _excluded(path: str, settings: Settings) -> bool:
    return _matches(path, settings.exclude + settings.extend_exclude, settings.root)


def _walk(top: str, settings_for: Callable[[str], Settings], gitignore: GitIgnore) -> Iterator[Discovered]:
    for directory, dirnames, filenames in os.walk(top):
        settings = settings_for(directory)
        keep = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") or _excluded(full, settings):
                continue
            if gitignore.ignored(full, is_dir=True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            full = os.path.join(directory, name)
            kind = classify(full, settings, explicit=False)
            if kind is None or _excluded(full, settings) or gitignore.ignored(full, is_dir=False):
                continue
            yield Discovered(full, kind, False, settings)
