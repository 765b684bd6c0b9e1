"""Paths -> files to lint, with their kind.

Walks directories, prunes default excludes (`.git`, `.venv`, `node_modules`, `__pycache__`, build
dirs; test paths and generated output unless `include-tests`/`extend-include` say otherwise; page
templates such as `*.html.j2`; prompt-folder text files that are markup, JSON or generated), honours `.gitignore` files (from the enclosing git root down) and `exclude`/`extend-exclude`
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
# Test and generated-output paths, skipped unless `include-tests = true` or `extend-include` names
# them (Semgrep's default ignore list is the model): findings there are noise users switch off.
TEST_DIRS = frozenset({"tests", "test", "__tests__", "e2e"})
BUILD_DIRS = frozenset(
    {"_build", "out", ".next", ".nuxt", ".svelte-kit", "vendor", "third_party", "site-packages"}
)
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py", "tests.py")
# Page templates: markup for browsers, not prompts, unless Python renders them into a message (the
# link phase then reaches them through the render call).
_PAGE_TEMPLATE = (
    ".html.j2",
    ".html.jinja",
    ".html.jinja2",
    ".htm.j2",
    ".xml.j2",
    ".svg.j2",
    ".css.j2",
    ".js.j2",
)


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
    if not explicit and name.lower().endswith(_PAGE_TEMPLATE):
        return None
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


def _included(path: str, settings: Settings) -> bool:
    return _matches(path, settings.extend_include, settings.root)


def _test_or_build_dir(name: str, full: str, settings: Settings) -> bool:
    if name in BUILD_DIRS:
        return not _included(full, settings)
    return name in TEST_DIRS and not settings.include_tests and not _included(full, settings)


def _test_file(name: str, full: str, settings: Settings) -> bool:
    if settings.include_tests or not any(fnmatch.fnmatch(name, p) for p in _TEST_FILES):
        return False
    return not _included(full, settings)


def looks_like_prose(text: str) -> bool:
    """Whether a prompt-folder text file reads like a prompt, not markup, data or generated output."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if not head:
        return True
    lowered = head[:200].lower()
    if lowered.startswith(("<!doctype", "<html", "<?xml", "<svg", "<head", "<body")):
        return False
    if head[0] in "{[" and head.rstrip()[-1:] in "}]" and head.count('":') >= 2:
        return False  # JSON data
    lines = head.splitlines() or [head]
    longest = max(len(line) for line in lines)
    if longest > 2000:
        return False  # minified or generated output
    if head[:3] in ("1:[", "0:[", '0:"', '1:"') or ':["$"' in head or "self.__next_f" in head:
        return False  # a Next.js / RSC payload
    letters = sum(c.isalpha() or c.isspace() for c in head)
    return letters >= 0.6 * len(head)


def _readable_prose(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(4096)
    except OSError:
        return True  # let the linter report what it can
    return looks_like_prose(raw.decode("utf-8", errors="replace"))


def _walk(top: str, settings_for: Callable[[str], Settings], gitignore: GitIgnore) -> Iterator[Discovered]:
    for directory, dirnames, filenames in os.walk(top):
        settings = settings_for(directory)
        keep = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if name in DEFAULT_EXCLUDES or name.endswith(".egg-info") or _excluded(full, settings):
                continue
            if _test_or_build_dir(name, full, settings):
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
            if kind is FileKind.PYTHON and _test_file(name, full, settings):
                continue
            if kind is FileKind.TEXT and not _readable_prose(full):
                continue
            yield Discovered(full, kind, False, settings)
