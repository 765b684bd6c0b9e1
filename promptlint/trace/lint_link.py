"""Link lint findings from a source tree to the logged requests they explain (`trace --source DIR`).

Lints the tree with the engine's `lint_paths` and keeps the findings of the rules that detect a trace
cause statically (`CAUSE_CODES`). Each finding gets the *signature* of the prompt or prompts it
belongs to: the distinctive static text the frontends see in them (`extract_prompts`, run only on the
files those findings point into). A logged request is linked to a finding when it carries enough of
that text (`shared_chars`); matches come best first. Findings become plain dicts (code, location,
message, the matching prompt and the characters shared). Nothing is executed and nothing outside DIR
is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from promptlint.diagnostics import Diagnostic, Location, Span
from promptlint.engine.runner import Selection, extract_prompts, lint_paths
from promptlint.ir import Part, Prompt, Role, Text
from promptlint.source import LineIndex, SourceFile
from promptlint.trace.normalise import Item

CAUSE_CODES: Mapping[str, tuple[str, ...]] = {
    "timestamp": ("PC101",),
    "id": ("PC102",),
    "json-key-order": ("PC301",),
    "tools-changed": ("PC302",),
    "sliding-window": ("PC401",),
    "history-edited": ("PC402",),
    "breakpoint": ("PC503", "PC502"),
    "breakpoint-too-late": ("PC503",),
    "too-many-breakpoints": ("PC502",),
}

#: Causes whose culprit is in the conversation itself: the whole request is compared, not its prefix.
WHOLE_REQUEST_CAUSES = frozenset({"sliding-window", "history-edited"})
#: A shorter line of static text ("User:", "}") is in too many prompts to tell them apart.
MIN_PIECE = 8
#: A request must share at least this many characters of a prompt's signature, and half of it.
MIN_SHARED = 24


class SourceLinks(Protocol):
    """Findings of a linted source tree, looked up for one logged request."""

    def for_request(self, cause: str, items: Sequence[Item]) -> tuple[Mapping[str, object], ...]:
        """The findings that detect `cause` statically and whose prompt is the one in `items`."""
        ...


@dataclass(frozen=True, slots=True)
class Signature:
    """One prompt's distinctive static text: the whitespace-normalised lines of its constant text
    runs (at least `MIN_PIECE` characters, each once), for its prefix through the first user message
    and for the whole prompt. `site` is where the request is built (`path:line:column`)."""

    site: str
    prefix: tuple[str, ...]
    whole: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LinkedFinding:
    """A finding and the signatures of the prompts it belongs to (none: no static text is known)."""

    finding: Mapping[str, object]
    signatures: tuple[Signature, ...]


class PromptLinks:
    """The findings whose prompt's static text a request carries, best match first."""

    def __init__(self, table: Mapping[str, Sequence[LinkedFinding]]) -> None:
        self.table = table

    def for_request(self, cause: str, items: Sequence[Item]) -> tuple[Mapping[str, object], ...]:
        linked = self.table.get(cause, ())
        if not linked:
            return ()
        whole = cause in WHOLE_REQUEST_CAUSES
        text = request_text(items, whole)
        found: dict[str, bool] = {}  # one substring search per distinct piece and request
        scored: list[tuple[int, int, Mapping[str, object]]] = []
        for order, link in enumerate(linked):
            best, site = 0, ""
            for sig in link.signatures:
                score = shared_chars(sig.whole if whole else sig.prefix, text, found)
                if score > best:
                    best, site = score, sig.site
            if best:
                scored.append((-best, order, {**link.finding, "prompt": site, "shared_chars": best}))
        scored.sort(key=lambda entry: (entry[0], entry[1]))
        return tuple(finding for _, _, finding in scored)


def shared_chars(pieces: Sequence[str], text: str, found: dict[str, bool] | None = None) -> int:
    """Characters of `pieces` that occur in `text`, or 0 when that is under `MIN_SHARED` or under
    half of all of them (an unrelated prompt may share a stock line, not most of its text)."""
    memo = found if found is not None else {}
    total = got = 0
    for piece in pieces:
        total += len(piece)
        hit = memo.get(piece)
        if hit is None:
            hit = memo[piece] = piece in text
        got += len(piece) if hit else 0
    return got if got >= MIN_SHARED and 2 * got >= total else 0


def request_text(items: Sequence[Item], whole: bool) -> str:
    """The request's text to look for signatures in: through its first user message, or all of it."""
    end = len(items)
    if not whole:
        end = next((i + 1 for i, item in enumerate(items) if _is_user(item)), len(items))
    return "\n".join(_normal(item.text) for item in items[:end])


def signature(prompt: Prompt, site: str) -> Signature:
    """The signature of `prompt`: its prefix ends after the first user part or before a history part."""
    end = len(prompt.parts)
    for i, part in enumerate(prompt.parts):
        if part.role in (Role.USER, Role.HISTORY):
            end = i + (part.role is Role.USER)
            break
    return Signature(site, _pieces(prompt.parts[:end]), _pieces(prompt.parts))


def prompt_links(source_dir: str) -> PromptLinks:
    """Lint `source_dir` and key the findings that explain a trace cause by their prompts' signatures.

    Raises:
        PromptlintError: the tree's config is invalid.
    """
    codes = {code for group in CAUSE_CODES.values() for code in group}
    # The rules that explain a cause run even when they are preview rules (off by default): an
    # observed miss of that cause is the evidence a preview finding lacks on its own.
    result = lint_paths([source_dir], selection=Selection(extend_select=tuple(sorted(codes))))
    root = os.path.realpath(source_dir)
    wanted = [d for d in sorted(result.diagnostics, key=Diagnostic.sort_key) if d.code in codes]
    files = {_key(loc.path) for d in wanted for loc in _locations(d) if _inside(loc.path, root)}
    prompts = PromptIndex(extract_prompts([source_dir], only=files) if files else [])
    texts = {_key(path): source.lines for path, source in result.sources.items()}
    table: dict[str, list[LinkedFinding]] = {}
    for diag in wanted:
        finding = {"code": diag.code, "location": _location(diag.path, diag.span, texts, root)}
        link = LinkedFinding({**finding, "message": diag.message}, prompts.signatures(diag))
        for cause, group in CAUSE_CODES.items():
            if diag.code in group:
                table.setdefault(cause, []).append(link)
    return PromptLinks(table)


class PromptIndex:
    """The prompts of some files, looked up by the locations a finding names."""

    def __init__(self, prompts: Iterable[tuple[SourceFile, Prompt]]) -> None:
        self.by_file: dict[str, list[tuple[tuple[Span, ...], Signature]]] = {}
        for source, prompt in prompts:
            pos = source.lines.position(prompt.site.start)
            extents = (prompt.site, *(p.span for p in prompt.parts), *(s.span for _, _, s in prompt.walk()))
            sig = signature(prompt, f"{source.path}:{pos.line}:{pos.column}")
            self.by_file.setdefault(_key(source.path), []).append((extents, sig))

    def signatures(self, diag: Diagnostic) -> tuple[Signature, ...]:
        """The prompts that contain one of the finding's locations (its request, span, evidence)."""
        out: dict[str, Signature] = {}
        for loc in _locations(diag):
            for extents, sig in self.by_file.get(_key(loc.path), ()):
                if any(extent.contains(loc.span) for extent in extents):
                    out.setdefault(sig.site, sig)
        return tuple(out.values())


def _locations(diag: Diagnostic) -> Iterator[Location]:
    impact = diag.cache_impact
    if impact is not None and impact.prompt_site is not None:
        path, start, end = impact.prompt_site
        yield Location(path, Span(start, end))
    yield Location(diag.path, diag.span)
    yield from diag.related
    yield from diag.chain


def _pieces(parts: Sequence[Part]) -> tuple[str, ...]:
    """Distinct normalised lines of the parts' runs of constant text (a slot or control ends a run)."""
    runs: list[str] = []
    for part in parts:
        run: list[str] = []
        for seg in part.segments:
            if isinstance(seg, Text):
                run.append(seg.text)
            elif run:
                runs.append("".join(run))
                run = []
        runs.append("".join(run))
    lines = dict.fromkeys(_normal(line) for run in runs for line in run.splitlines())
    return tuple(line for line in lines if len(line) >= MIN_PIECE)


def _normal(text: str) -> str:
    return " ".join(text.split())


def _is_user(item: Item) -> bool:
    return item.section == "messages" and item.role == "user"


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), root]) == root
    except ValueError:  # another drive
        return False


def _location(path: str, span: Span, texts: dict[str, LineIndex], root: str) -> str:
    index = texts.get(_key(path))
    if index is None and _inside(path, root):
        try:
            index = texts[_key(path)] = LineIndex(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return path
    if index is None:
        return path
    pos = index.position(span.start)
    return f"{path}:{pos.line}:{pos.column}"
