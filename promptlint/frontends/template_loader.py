"""Finding, reading and lexing template files of the project, once each (per loader).

Jinja `include`/`extends`/`import` names and the names Python passes to `get_template` are searched
relative to the including file's directory and its ancestors, to loader directories found in Python
code, and to the project roots. Only files inside the project are read; nothing is rendered.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from promptlint.depends import DependencyLog, digest
from promptlint.frontends.jinja_lex import (
    JinjaOptions,
    RawTokens,
    SyntaxProblem,
    Tok,
    check_syntax,
    lex,
)
from promptlint.frontends.template_ir import MAX_TEMPLATE_BYTES
from promptlint.frontends.template_names import Directives, read_directives
from promptlint.source import DecodeFailure, FileKind, SourceFile, decode_source

MAX_CACHED = 256
ANCESTOR_LEVELS = 4

Reader = Callable[[str], bytes]


@dataclass(frozen=True)
class ParsedTemplate:
    """One template's text, positioned tokens, syntax problem (if any) and directives."""

    path: str
    text: str
    tokens: tuple[Tok, ...]
    problem: SyntaxProblem | None
    directives: Directives


def parse_template(path: str, text: str, options: JinjaOptions) -> ParsedTemplate:
    """Lex and syntax-check `text` (never render it)."""
    raw: RawTokens = []
    tokens, problem = lex(text, options, raw)
    if problem is None:
        problem = check_syntax(text, tokens, options, raw)
    comments = [t.value for t in tokens if t.kind == "comment"]
    return ParsedTemplate(path, text, tuple(tokens), problem, read_directives(comments))


class TemplateLoader:
    """Reads and lexes template files by path, with a small LRU cache."""

    def __init__(
        self, roots: Sequence[str] = (), reader: Reader | None = None, log: DependencyLog | None = None
    ) -> None:
        self._roots = tuple(roots)
        self._reader = reader or _read_bytes
        self._log = log if log is not None else DependencyLog()  # files used, for the result cache
        self._digests: dict[str, str | None] = {}
        self._cwd = os.getcwd()
        self._cache: OrderedDict[tuple[str, JinjaOptions], ParsedTemplate | None] = OrderedDict()
        self._texts: dict[str, SourceFile | None] = {}

    @property
    def roots(self) -> tuple[str, ...]:
        return self._roots

    def source(self, path: str) -> SourceFile | None:
        """The decoded file, or None when it cannot be read."""
        key = os.path.abspath(path)
        if key not in self._texts:
            self._digests[key] = None
            try:
                data = self._reader(key)
                self._digests[key] = digest(data)
                self._texts[key] = (
                    decode_source(path, data, FileKind.TEXT) if len(data) <= MAX_TEMPLATE_BYTES else None
                )
            except (OSError, DecodeFailure):
                self._texts[key] = None
        self._log.read(key, self._digests[key])
        return self._texts[key]

    def load(self, path: str, options: JinjaOptions) -> ParsedTemplate | None:
        key = (os.path.abspath(path), options)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        source = self.source(path)
        parsed = parse_template(path, source.text, options) if source is not None else None
        self._cache[key] = parsed
        while len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)
        return parsed

    def find(self, name: str, near: str, dirs: Sequence[str] = ()) -> str | None:
        """Path of template `name` as seen from file `near` (and loader `dirs`), if it exists."""
        if not name or "\0" in name or name.startswith(("http:", "https:")):
            return None
        for base in self.search_dirs(near, dirs):
            candidate = os.path.normpath(os.path.join(base, name))
            if os.path.isfile(candidate):
                return _relative_like(candidate, near)
            self._log.absent(candidate)
        return None

    def search_dirs(self, near: str, dirs: Sequence[str] = ()) -> list[str]:
        here = os.path.dirname(os.path.abspath(near))
        ancestors = [here]
        for _ in range(ANCESTOR_LEVELS):
            parent = os.path.dirname(ancestors[-1])
            if parent == ancestors[-1]:
                break
            ancestors.append(parent)
        out: list[str] = []
        for d in dirs:
            if os.path.isabs(d):
                out.append(d)
            else:
                out.extend(os.path.join(a, d) for a in (*ancestors, *self._roots, self._cwd))
        out.extend(ancestors)
        out.extend(self._roots)
        return list(dict.fromkeys(os.path.normpath(p) for p in out))


def _relative_like(found: str, near: str) -> str:
    """Spell `found` the way `near` is spelled (relative paths stay relative), for stable output."""
    if os.path.isabs(near):
        return os.path.abspath(found)
    try:
        return os.path.relpath(found)
    except ValueError:  # pragma: no cover - another drive on Windows
        return os.path.abspath(found)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
