"""The persistent result cache (`.promptlint_cache/`, like `.ruff_cache`).

One entry per linted file, keyed by the working directory, the path as given, the settings, the
enabled rules and a fingerprint of promptlint itself (version plus the size and modification time of
its code and data files, so an edited checkout never reuses results of older code). An entry holds
the digest of the file's bytes, the digest of every other file the result used (project modules,
templates, prompt files; `depends.DependencyLog`) and the names those loaders looked for and did not
find, and the result itself. It is used only while all of them still hold, so editing a module
re-lints exactly the files that read it.

Writes go to a temporary file in the same directory and are renamed into place (safe under parallel
runs); an entry that does not read back (truncated, edited, from another format) is ignored and
rewritten, never trusted. The cache is bounded: past `MAX_ENTRIES`, the least recently written entries
go. Entries of another promptlint fingerprint are removed on the next write.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlint import __version__
from promptlint.depends import digest
from promptlint.diagnostics import Applicability, CacheImpact, Diagnostic, Edit, Fix, Location, Severity, Span
from promptlint.engine.lint import FileResult

DEFAULT_DIR = ".promptlint_cache"
FORMAT = 1
MAX_ENTRIES = 50_000
_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass
class ResultCache:
    """Looks up and stores file results under `directory`."""

    directory: Path
    hits: int = 0
    misses: int = 0
    _digests: dict[str, str | None] = field(default_factory=dict)  # per run: path -> digest now
    _written: bool = False
    _cwd: str = field(default_factory=os.getcwd)  # part of every key: paths are spelled relative to it

    @property
    def bucket(self) -> Path:
        return self.directory / _fingerprint()

    def key(self, path: str, settings_key: str) -> str:
        raw = "\0".join((self._cwd, path, settings_key))
        return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def current(self, path: str) -> str | None:
        """The digest of `path` now (None: absent or unreadable), read once per run."""
        key = os.path.abspath(path)
        if key not in self._digests:
            self.read(path)
        return self._digests[key]

    def read(self, path: str) -> bytes | None:
        """The bytes of `path` (None: unreadable), recording their digest for this run."""
        key = os.path.abspath(path)
        try:
            with open(key, "rb") as handle:
                data = handle.read()
        except OSError:
            self._digests[key] = None
            return None
        self._digests[key] = digest(data)
        return data

    def get(self, path: str, settings_key: str, content: str) -> FileResult | None:
        """The stored result for `path` if its bytes (digest `content`) and every dependency match."""
        entry = self.bucket / f"{self.key(path, settings_key)}.json"
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data["path"] != path or data["digest"] != content:
                raise ValueError("stale")
            if any(self.current(dep) != known for dep, known in data["deps"]):
                raise ValueError("a dependency changed")
            result = _result(data["result"], path, content, data["deps"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, settings_key: str, result: FileResult) -> None:
        """Store `result` (whose `digest` and `deps` say what it was computed from)."""
        if result.digest is None:
            return
        bucket = self.bucket
        try:
            if not self._written:
                self._prepare(bucket)
            payload = {
                "format": FORMAT,
                "path": result.path,
                "digest": result.digest,
                "deps": [list(dep) for dep in result.deps],
                "result": _encode_result(result),
            }
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=bucket)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, separators=(",", ":"))
            os.replace(tmp, bucket / f"{self.key(result.path, settings_key)}.json")
        except OSError:
            return  # a read-only or full disk must not fail the lint
        self._written = True

    def _prepare(self, bucket: Path) -> None:
        """Create the directory (with a `.gitignore` and CACHEDIR.TAG), drop other fingerprints and
        the oldest entries past the bound."""
        bucket.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by promptlint.\n*\n", encoding="utf-8")
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# promptlint result cache\n", encoding="utf-8"
            )
        for other in self.directory.iterdir():
            if other.is_dir() and other.name != bucket.name:
                shutil.rmtree(other, ignore_errors=True)
        entries = list(os.scandir(bucket))
        if len(entries) > MAX_ENTRIES:
            entries.sort(key=lambda e: e.stat().st_mtime_ns)
            for old in entries[: len(entries) - MAX_ENTRIES * 4 // 5]:
                try:
                    os.unlink(old.path)
                except OSError:
                    pass


def clean(directory: Path) -> bool:
    """Remove a cache directory; False when there was none."""
    if not (directory / "CACHEDIR.TAG").exists() and not directory.is_dir():
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True


def settings_key(settings: Any, enabled: Iterable[str]) -> str:
    """What else a result depends on: every setting (a frozen dataclass of tuples: a stable repr)
    and the rules that ran."""
    return f"{settings!r}\0{','.join(sorted(enabled))}"


@functools.cache
def _fingerprint() -> str:
    """promptlint's version and the size and mtime of each of its code and data files."""
    if True:
        hasher = hashlib.blake2b(f"{__version__}\0{FORMAT}".encode(), digest_size=8)
        roots = [_PACKAGE]
        rules = _PACKAGE.parent / "rules"
        if rules.is_dir():
            roots.append(rules)
        for root in roots:
            for directory, dirs, files in sorted(os.walk(root)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith((".py", ".toml", ".json")):
                        stat = os.stat(os.path.join(directory, name))
                        hasher.update(f"{directory}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return hasher.hexdigest()


# -- (de)serialisation ------------------------------------------------------------------------------
def _encode_result(result: FileResult) -> dict[str, Any]:
    return {
        "diagnostics": [_encode_diag(d) for d in result.diagnostics],
        "errors": list(result.errors),
        "lines": result.lines,
        "links": list(result.links),
    }


def _result(data: dict[str, Any], path: str, content: str, deps: list[list[Any]]) -> FileResult:
    return FileResult(
        path,
        [_diag(d) for d in data["diagnostics"]],
        [str(e) for e in data["errors"]],
        int(data["lines"]),
        tuple(str(p) for p in data["links"]),
        content,
        tuple((str(p), None if d is None else str(d)) for p, d in deps),
    )


def _encode_loc(loc: Location) -> list[Any]:
    return [loc.path, loc.span.start, loc.span.end, loc.message]


def _loc(data: list[Any]) -> Location:
    path, start, end, message = data
    return Location(str(path), Span(int(start), int(end)), str(message))


def _encode_diag(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "message": d.message,
        "path": d.path,
        "span": [d.span.start, d.span.end],
        "url": d.url,
        "related": [_encode_loc(loc) for loc in d.related],
        "chain": [_encode_loc(loc) for loc in d.chain],
        "origin": _encode_loc(d.origin) if d.origin is not None else None,
        "fix": None,
        "impact": None,
    }
    if d.fix is not None:
        out["fix"] = {
            "title": d.fix.title,
            "applicability": d.fix.applicability.value,
            "edits": [[e.span.start, e.span.end, e.content] for e in d.fix.edits],
        }
    if d.cache_impact is not None:
        impact = d.cache_impact
        out["impact"] = [
            impact.tokens_after,
            list(impact.prompt_site) if impact.prompt_site else None,
            impact.estimated,
        ]
    return out


def _diag(data: dict[str, Any]) -> Diagnostic:
    fix = None
    if data["fix"] is not None:
        raw = data["fix"]
        edits = tuple(Edit(Span(int(s), int(e)), str(c)) for s, e, c in raw["edits"])
        fix = Fix(str(raw["title"]), Applicability(raw["applicability"]), edits)
    impact = None
    if data["impact"] is not None:
        tokens, site, estimated = data["impact"]
        prompt_site = (str(site[0]), int(site[1]), int(site[2])) if site else None
        impact = CacheImpact(int(tokens), prompt_site, bool(estimated))
    start, end = data["span"]
    return Diagnostic(
        str(data["code"]),
        str(data["name"]),
        Severity(data["severity"]),
        str(data["message"]),
        str(data["path"]),
        Span(int(start), int(end)),
        fix,
        tuple(_loc(loc) for loc in data["related"]),
        impact,
        str(data["url"]),
        _loc(data["origin"]) if data["origin"] is not None else None,
        tuple(_loc(loc) for loc in data["chain"]),
    )
