"""The project-wide link pass: findings in template text are reported where the template is written.

Frontends put a template's text into the prompts that use it (a Python render call, a Jinja include),
with origins marked `TEMPLATE_ORIGIN`. After every file is linted, this pass:

1. moves each finding whose origin is template text of another file to that file and span, keeping
   the using site (render call, include tag) as a related location, and honours the template's own
   `{# promptlint: ignore[...] #}` comments for it;
2. drops the findings of a template's stand-alone lint when another linted file uses it (a moved
   finding keeps the fix the stand-alone lint found for the same spot): the user's
   context (the render call's real arguments, the messages around it) supersedes by-name guesses, so
   a date rendered with a constant is silent and nothing is reported twice. Engine findings (parse
   errors, suppression problems) are kept;
3. drops the stand-alone findings whose only evidence is a variable's name (`{{ time_now }}`) when
   no linted file uses the template: a name is a guess, not a source of known kind (on the real-code
   ledger, 3 of 3 such findings were false: orphan templates, a `time_now` that held a date).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace

from promptlint.diagnostics import Applicability, Diagnostic, Fix, Location, Span
from promptlint.engine.lint import FileResult, dedupe
from promptlint.engine.suppression import Suppression, find_suppressions
from promptlint.frontends.template_ir import MAX_TEMPLATE_BYTES, is_template_origin
from promptlint.rules_api.detectors import BY_NAME
from promptlint.source import DecodeFailure, FileKind, SourceFile, decode_source

ENGINE_CODES = frozenset({"PC001", "PC002", "PC003"})


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def superseded(results: Iterable[FileResult], keys: Sequence[str] | None = None) -> set[str]:
    """Keys of files used by another linted file that is not itself only reachable through a cycle.

    `keys` are the results' `_key(path)`s, if the caller has them.
    """
    results = list(results)
    keys = keys if keys is not None else [_key(r.path) for r in results]
    edges = {k: {_key(p) for p in r.links} - {k} for k, r in zip(keys, results, strict=True)}
    targets = {t for ts in edges.values() for t in ts}
    frontier = [k for k in edges if k not in targets]
    reached: set[str] = set()
    while frontier:
        node = frontier.pop()
        for nxt in edges.get(node, ()):
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    return reached


def link_project(
    results: list[FileResult], sources: dict[str, SourceFile]
) -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    """All diagnostics after relocation and supersession, plus sources of files findings moved into."""
    keys = [_key(r.path) for r in results]
    spelled = dict(zip(keys, (r.path for r in results), strict=True))
    replaced = superseded(results, keys)
    read: dict[str, SourceFile | None] = {}
    extra: dict[str, SourceFile] = {}
    kept: list[Diagnostic] = []
    moved: list[Diagnostic] = []
    own_fixes: dict[tuple[str, str, Span], Fix] = {}
    for result, key in zip(results, keys, strict=True):
        drop = key in replaced
        for diag in result.diagnostics:
            if diag.fix is not None:
                own_fixes[(_key(diag.path), diag.code, diag.span)] = diag.fix
            if is_template_origin(diag.origin) and diag.origin is not None and diag.origin.path != diag.path:
                moved.append(_relocate(diag, spelled.get(_key(diag.origin.path), diag.origin.path), result))
            elif diag.code in ENGINE_CODES or not (drop or _by_name_only(diag)):
                kept.append(diag)
    used: set[tuple[str, Span]] = set()
    surviving: list[Diagnostic] = []
    for path, group in _by_path(moved).items():
        source = sources.get(path) or _read_template(path, read)
        if source is None:
            surviving.extend(group)
            continue
        if path not in sources:
            extra[path] = source
        surviving.extend(_unsuppressed(source, group, used))
    kept = [d for d in kept if not (d.code == "PC002" and (d.path, d.span) in used)]
    # A finding moved into a template takes the fix the template's own lint found for the same spot.
    surviving = [_with_own_fix(d, own_fixes) for d in surviving]
    return dedupe(kept + surviving), extra


def _by_name_only(diag: Diagnostic) -> bool:
    """A template's stand-alone finding whose value is volatile only by its variable's name: with no
    render call linking the template, nothing shows the value varies or that it reaches a request."""
    return bool(diag.chain) and diag.chain[0].message.endswith(BY_NAME)


def _with_own_fix(diag: Diagnostic, own_fixes: dict[tuple[str, str, Span], Fix]) -> Diagnostic:
    """Prefer the template's own edit to no fix or a display-only suggestion."""
    own = own_fixes.get((_key(diag.path), diag.code, diag.span))
    if own is not None and (diag.fix is None or diag.fix.applicability is Applicability.DISPLAY_ONLY):
        return replace(diag, fix=own)
    return diag


def _relocate(diag: Diagnostic, path: str, result: FileResult) -> Diagnostic:
    origin = diag.origin
    assert origin is not None
    how = "rendered here" if result.path.endswith((".py", ".pyi")) else "included here"
    related = [Location(diag.path, diag.span, how)]
    related += [r for r in diag.related if not (_key(r.path) == _key(origin.path) and r.span == origin.span)]
    return replace(
        diag, path=path, span=origin.span, related=tuple(related), origin=replace(origin, path=path)
    )


def _by_path(diags: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for diag in diags:
        out.setdefault(diag.path, []).append(diag)
    return out


def _unsuppressed(
    source: SourceFile, diags: list[Diagnostic], used: set[tuple[str, Span]]
) -> list[Diagnostic]:
    """Drop findings a template's own suppression comments cover; record the codes they used."""
    suppressions = find_suppressions(source)
    if not suppressions:
        return diags
    out: list[Diagnostic] = []
    for diag in diags:
        hit = _match(suppressions, diag, source.lines.line_of(diag.span.start))
        if hit is None:
            out.append(diag)
        else:
            used.add((source.path, hit))
    return out


def _match(suppressions: list[Suppression], diag: Diagnostic, line: int) -> Span | None:
    for sup in suppressions:
        if sup.whole_file or sup.line in (line, line - 1):
            for code, span in zip(sup.codes, sup.code_spans, strict=True):
                if code.upper() in (diag.code, diag.name.upper()):
                    return span
    return None


def _read_template(path: str, memo: dict[str, SourceFile | None]) -> SourceFile | None:
    """The decoded text of a template a finding moved into (None when it cannot be read)."""
    key = _key(path)
    if key not in memo:
        try:
            with open(key, "rb") as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)
            memo[key] = decode_source(path, data, FileKind.TEXT) if len(data) <= MAX_TEMPLATE_BYTES else None
        except (OSError, DecodeFailure):
            memo[key] = None
    return memo[key]
