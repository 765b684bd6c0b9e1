"""Apply fixes to a file: non-overlapping edits, re-linted until stable, never leaving a broken file.

Each round lints the current text, picks the applicable fixes (safe, plus unsafe when asked), keeps
those that overlap nothing chosen before, and applies them. A round whose result no longer parses is
rolled back with a warning. At most `MAX_ROUNDS` rounds. Writing keeps encoding, BOM, line endings and
file mode, and is atomic (temporary file in the same directory, then rename).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace

import jinja2

from promptlint.config.schema import Settings
from promptlint.diagnostics import Applicability, Diagnostic, Fix
from promptlint.engine.lint import LintState, lint_source
from promptlint.fixes import apply_edits, select_non_overlapping
from promptlint.frontends.python.parse import is_valid_python
from promptlint.source import FileKind, SourceFile

MAX_ROUNDS = 10


@dataclass(frozen=True)
class FixOutcome:
    source: SourceFile
    text: str
    applied: int
    rounds: int
    warning: str | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.source.text


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or not fix.edits:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)


def parses(text: str, kind: FileKind) -> bool:
    """Whether `text` still compiles as its kind (Python: `compile`, which also rejects what `ast.parse`
    accepts, such as a repeated keyword argument; templates: jinja2's parser)."""
    try:
        if kind is FileKind.PYTHON:
            return is_valid_python(text)  # also valid when only a newer Python accepts it
        if kind in (FileKind.JINJA, FileKind.PROMPTY):
            jinja2.Environment().parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, jinja2.TemplateSyntaxError):
        return False
    return True


def fix_source(source: SourceFile, settings: Settings, state: LintState, unsafe: bool) -> FixOutcome:
    """Fix one file in memory until no applicable fix is left (or MAX_ROUNDS)."""
    text = source.text
    applied = 0
    rejected: set[Fix] = set()
    rounds = 0
    originally_parsed = parses(text, source.kind)
    if not source.lossless:
        return FixOutcome(
            source,
            text,
            0,
            0,
            f"{source.path}: not fixed: its encoding ({source.encoding}) would not write back the same bytes",
        )
    while rounds < MAX_ROUNDS:
        rounds += 1
        diagnostics = lint_source(replace(source, text=text), settings, state).diagnostics
        chosen = [fix for fix in choose(diagnostics, unsafe) if fix not in rejected]
        if not chosen:
            break
        new = apply_edits(text, [edit for fix in chosen for edit in fix.edits])
        if (originally_parsed and not parses(new, source.kind)) or not source.encodes(new):
            # Keep the fixes that are fine on their own; set aside the ones that break the file.
            new, kept = _one_by_one(text, chosen, source, rejected, originally_parsed)
            if not kept:
                break
            chosen = kept
        text = new
        applied += len(chosen)
    warning = None
    if rejected:
        titles = ", ".join(sorted({f.title for f in rejected}))
        warning = f"{source.path}: not applied, the result would not parse or not encode: {titles}"
    return FixOutcome(source, text, applied, rounds, warning)


def _one_by_one(
    text: str, fixes: list[Fix], source: SourceFile, rejected: set[Fix], must_parse: bool
) -> tuple[str, list[Fix]]:
    """Apply fixes one at a time from the end of the file, keeping each only if the file still parses
    and can still be written in its encoding."""
    kept: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: -min(e.span.start for e in f.edits)):
        candidate = apply_edits(text, fix.edits)
        if (not must_parse or parses(candidate, source.kind)) and source.encodes(candidate):
            text = candidate
            kept.append(fix)
        else:
            rejected.add(fix)
    return text, kept


def choose(diagnostics: list[Diagnostic], unsafe: bool) -> list[Fix]:
    fixes = [d.fix for d in diagnostics if d.fix is not None and applicable(d.fix, unsafe)]
    fixes.sort(key=lambda f: min(e.span.start for e in f.edits))
    return select_non_overlapping(fixes)


def write_atomic(source: SourceFile, text: str) -> None:
    """Write `text` back with the file's encoding, BOM and mode, via a temporary file and rename."""
    path = os.path.realpath(source.path)  # through a symlink: fix the target, keep the link
    data = source.encode(text)
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".promptlint-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
