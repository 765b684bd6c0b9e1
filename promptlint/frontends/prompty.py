"""The Prompty frontend: YAML front matter plus a Jinja body split into role sections.

The body is parsed as Jinja with the front matter blanked out (offsets stay exact). Lines that are
just `system:`, `user:`, `assistant:` or `developer:` start a new part with that role; text before the
first marker is `system`. Inputs from the front matter (`inputs:` with `type`/`sample`, or a `sample:`
mapping) refine the by-name guesses: a date/time type or a sample value that looks like a timestamp is
a clock. `model.configuration` gives the provider and model when it names them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from promptlint.diagnostics import Span
from promptlint.frontends.front_matter import Tree, lookup, split_front_matter
from promptlint.frontends.jinja import build_placed
from promptlint.frontends.jinja_lex import JinjaOptions
from promptlint.frontends.template_ir import Placed, place_in
from promptlint.frontends.template_loader import TemplateLoader, parse_template
from promptlint.ir import (
    FileFacts,
    Granularity,
    ParseFailure,
    Part,
    Prompt,
    Provider,
    Role,
    Segment,
    Slot,
    Stability,
    Text,
    VolatileKind,
)
from promptlint.source import SourceFile

_ROLE_LINE = re.compile(r"^[ \t]*#?[ \t]*(system|user|assistant|developer)[ \t]*:[ \t]*\r?$", re.M | re.I)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(?P<time>[T ]\d{2}:\d{2})?")
_PROVIDERS = {"azure_openai": Provider.OPENAI, "openai": Provider.OPENAI, "azure": Provider.OPENAI}


def extract_prompty(source: SourceFile, loader: TemplateLoader) -> FileFacts:
    """Facts of one `.prompty` file: one prompt whose parts follow the role sections."""
    front = split_front_matter(source.text)
    text = source.text
    blank = re.sub(r"[^\r\n]", " ", text[: front.body_start]) + text[front.body_start :]
    markers = [
        (m.start(), m.end(), Role(m.group(1).lower())) for m in _ROLE_LINE.finditer(blank, front.body_start)
    ]
    for start, end, _role in markers:
        blank = blank[:start] + " " * (end - start) + blank[end:]
    parsed = parse_template(source.path, blank, JinjaOptions())
    if parsed.problem is not None:
        return FileFacts(parse_failure=ParseFailure(parsed.problem.message, parsed.problem.span))
    items, related = build_placed(parsed, loader, JinjaOptions(), input_bindings(front.data))
    parts = _split(items, markers, blank, source.path, len(text))
    provider, model = _model(front.data)
    prompt = Prompt(provider, Span(0, len(text)), parts, model=model)
    return FileFacts(prompts=(prompt,), related_paths=tuple(sorted(related)))


def input_bindings(data: Tree) -> dict[str, Slot]:
    """Slots for inputs whose declared type or sample value says clock."""
    out: dict[str, Slot] = {}
    inputs = lookup(data, "inputs")
    samples = lookup(data, "sample")
    names: dict[str, tuple[str, str]] = {}
    if isinstance(inputs, dict):
        for name, spec in inputs.items():
            if isinstance(spec, dict):
                typ, sample = spec.get("type", ""), spec.get("sample", spec.get("default", ""))
                names[name] = (typ if isinstance(typ, str) else "", sample if isinstance(sample, str) else "")
            else:
                names[name] = ("", spec)
    if isinstance(samples, dict):
        for name, value in samples.items():
            typ = names.get(name, ("", ""))[0]
            names[name] = (typ, value if isinstance(value, str) else "")
    for name, (typ, sample) in names.items():
        stamp = _TIMESTAMP.match(sample.strip())
        if typ.lower() in ("date", "datetime", "time", "timestamp") or stamp:
            gran = Granularity.DAY if (stamp and not stamp.group("time")) or typ.lower() == "date" else None
            cause = "{{ " + name + " }}"
            out[name] = Slot(name, Span(0, 0), Stability.VOLATILE, cause, VolatileKind.TIME, gran)
    return out


def _split(
    items: list[Placed], markers: list[tuple[int, int, Role]], text: str, path: str, length: int
) -> tuple[Part, ...]:
    bounds = [(0, Role.SYSTEM)] + [(end, role) for _start, end, role in markers]
    buckets: list[list[Placed]] = [[] for _ in bounds]
    for item in items:
        for piece, index in _cut(item, [b for b, _ in bounds[1:]], text):
            buckets[index].append(piece)
    parts: list[Part] = []
    for i, ((start, role), bucket) in enumerate(zip(bounds, buckets, strict=True)):
        segments = _trim(place_in(bucket, path))
        end = markers[i][0] if i < len(markers) else length
        if segments or i > 0:
            parts.append(Part(role, segments, Span(start, max(start, end))))
    return tuple(parts)


def _cut(item: Placed, cuts: list[int], text: str) -> list[tuple[Placed, int]]:
    """Split a placed text at role markers; return pieces with the index of their section."""
    seg = item.seg
    start = seg.span.start
    index = sum(1 for c in cuts if c <= start)
    if not isinstance(seg, Text) or not seg.exact:
        return [(item, index)]
    out: list[tuple[Placed, int]] = []
    inside = [c for c in cuts if seg.span.start < c < seg.span.end]
    pos, offset = seg.span.start, 0
    for cut in [*inside, seg.span.end]:
        chars = len(text[pos:cut].replace("\r\n", "\n").replace("\r", "\n"))
        piece = Text(seg.text[offset : offset + chars], Span(pos, cut), True)
        out.append((replace(item, seg=piece, anchor=piece.span), index))
        offset += chars
        pos, index = cut, index + 1
    return out


def _trim(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    segs = list(segments)
    while segs and isinstance(segs[0], Text) and not segs[0].text.strip():
        segs.pop(0)
    while segs and isinstance(segs[-1], Text) and not segs[-1].text.strip():
        segs.pop()
    if segs and isinstance(segs[0], Text):
        segs[0] = replace(segs[0], text=segs[0].text.lstrip())
    if segs and isinstance(segs[-1], Text):
        segs[-1] = replace(segs[-1], text=segs[-1].text.rstrip())
    return tuple(segs)


def _model(data: Tree) -> tuple[Provider, str | None]:
    config = lookup(data, "model", "configuration")
    if not isinstance(config, dict):
        return Provider.UNKNOWN, None
    kind = config.get("type")
    provider = _PROVIDERS.get(kind, Provider.UNKNOWN) if isinstance(kind, str) else Provider.UNKNOWN
    for key in ("model", "azure_deployment", "name"):
        value = config.get(key)
        if isinstance(value, str) and value and "${" not in value:
            return provider, value
    return provider, None
