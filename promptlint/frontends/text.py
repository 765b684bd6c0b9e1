"""The plain prompt file frontend: `*.txt`/`*.md`/`*.prompt` files with `{name}` or `{{ name }}` fields.

`{name}` (str.format / LangChain f-string) and `{{ name }}` (mustache) fields become slots; `{{`/`}}`
around no name are str.format escapes. Any other brace (JSON examples, Liquid tags) is plain text, so
no input can fail to parse. The whole file is one system part unless a `promptlint: role=user`
comment says otherwise. Fields take the stability of a linked `.format(...)` call's arguments, else a
guess from their names (time or id names are volatile, everything else per-request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from promptlint.diagnostics import Span
from promptlint.frontends.jinja import template_prompt
from promptlint.frontends.template_ir import Placed, place_in
from promptlint.frontends.template_names import guess, read_directives
from promptlint.ir import FileFacts, Segment, Slot, Text
from promptlint.source import SourceFile

_MUSTACHE = r"\{\{\s*(?P<m>[A-Za-z_][^{}]*?)\s*\}\}"
_FORMAT = r"\{(?P<f>[A-Za-z_]\w*|\d*)(?:[.\[][^{}\s]*)?(?:![rsa])?(?::[^{}]*)?\}"
_ESCAPE = r"(?P<e>\{\{|\}\})"
_PATTERNS = {
    "auto": re.compile(f"{_MUSTACHE}|{_ESCAPE}|{_FORMAT}"),
    "format": re.compile(f"{_ESCAPE}|{_FORMAT}"),
    "mustache": re.compile(_MUSTACHE),
}


def extract_text(source: SourceFile) -> FileFacts:
    """Facts of one plain prompt file linted on its own."""
    items = text_placed(source.path, source.text, "auto")
    role = read_directives([source.text]).role if "promptlint:" in source.text else None
    return FileFacts(prompts=(template_prompt(source.text, place_in(items, source.path), role),))


def text_placed(
    path: str,
    text: str,
    mode: str,
    bindings: Mapping[str, Slot] | None = None,
    positional: tuple[Slot, ...] = (),
) -> list[Placed]:
    """Placed segments of a plain template: literal runs and fields (`mode`: auto, format, mustache)."""
    stable = read_directives([text]).stable if "promptlint:" in text else frozenset()
    out: list[Placed] = []
    pending: list[str] = []
    run_start = 0
    auto = 0

    def flush(end: int) -> None:
        if pending:
            joined = "".join(pending)
            seg = Text(joined, Span(run_start, end), joined == text[run_start:end])
            out.append(Placed(seg, path, seg.span))
            pending.clear()

    pos = 0
    for match in _PATTERNS.get(mode, _PATTERNS["auto"]).finditer(text):
        if not pending:
            run_start = pos
        pending.append(text[pos : match.start()])
        pos = match.end()
        if match.group("e") if "e" in match.re.groupindex else None:
            pending.append(match.group()[0])
            continue
        flush(match.start())
        run_start = pos
        raw = match.groupdict().get("m") or match.groupdict().get("f") or ""
        word = re.match(r"\w*", raw.lstrip("#^/&"))
        name = word.group() if word else ""
        if name == "" or name.isdigit():
            index = int(name) if name else auto
            auto += 0 if name else 1
            slot = positional[index] if index < len(positional) else guess(str(index), str(index), Span(0, 0))
        else:
            slot = _resolve(name, bindings or {}, stable)
        span = Span(match.start(), match.end())
        label = " ".join(match.group().split())
        out.append(Placed(_at(slot, label, span), path, span))
    if not pending:
        run_start = pos
    pending.append(text[pos:])
    flush(len(text))
    return [p for p in out if not (isinstance(p.seg, Text) and not p.seg.text)]


def _resolve(name: str, bindings: Mapping[str, Slot], stable: frozenset[str]) -> Slot:
    if name in bindings:
        return bindings[name]
    if name in stable:
        from promptlint.ir import Stability

        return Slot(name, Span(0, 0), Stability.DEPLOYMENT, f"`{name}` (declared stable)")
    return guess(name, name, Span(0, 0))


def _at(slot: Slot, label: str, span: Span) -> Slot:
    from dataclasses import replace

    cause = label if "(by name)" in slot.cause else slot.cause
    return replace(slot, label=label, span=span, cause=cause)


def segments_of(path: str, text: str) -> tuple[Segment, ...]:
    return place_in(text_placed(path, text, "auto"), path)
