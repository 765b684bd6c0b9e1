"""Stability of one Jinja expression, read from its tokens (never evaluated).

Root names (not attributes, filter or test names, keyword arguments) are looked up in the template's
scope (`set`, loop targets, macro parameters), then in the render call's arguments, then in the
`stable=` declarations, and otherwise guessed from the name. The `random` filter makes the value
VOLATILE(random); a strftime-style literal or a date attribute sets a clock's granularity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from promptlint.diagnostics import Span
from promptlint.frontends.jinja_lex import Tok
from promptlint.frontends.python.volatile import TIME_ATTRIBUTE_GRANULARITY, format_granularity
from promptlint.frontends.template_names import guess
from promptlint.ir import Granularity, Slot, Stability, VolatileKind

_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
)
_BUILTINS = frozenset(
    {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "caller", "super", "self", "varargs"}
)
_RANDOM_FILTERS = frozenset({"random", "shuffle"})


@dataclass(frozen=True, slots=True)
class Names:
    """How names resolve while building one template."""

    scope: Mapping[str, Slot]
    bindings: Mapping[str, Slot]
    stable: frozenset[str]


@dataclass(frozen=True, slots=True)
class ExprParts:
    roots: tuple[str, ...]
    filters: tuple[str, ...]
    attributes: tuple[str, ...]
    strings: tuple[str, ...]
    called: tuple[str, ...] = ()  # roots called as functions (`now()`)


def split_expr(tokens: list[Tok]) -> ExprParts:
    """Root names, filter names, attribute names and string literals of an expression."""
    sig = [t for t in tokens if t.kind != "whitespace"]
    roots: list[str] = []
    filters: list[str] = []
    attributes: list[str] = []
    strings: list[str] = []
    called: list[str] = []
    for i, tok in enumerate(sig):
        if tok.kind == "string":
            strings.append(tok.value)
            continue
        if tok.kind != "name" or tok.value in _KEYWORDS:
            continue
        prev = sig[i - 1].value if i else ""
        nxt = sig[i + 1].value if i + 1 < len(sig) else ""
        if prev == "|":
            filters.append(tok.value)
        elif prev == ".":
            attributes.append(tok.value)
        elif prev == "is" or (prev == "not" and i >= 2 and sig[i - 2].value == "is"):
            continue
        elif nxt == "=" and i >= 1 and prev in ("(", ","):
            continue
        else:
            roots.append(tok.value)
            if nxt == "(":
                called.append(tok.value)
    return ExprParts(tuple(roots), tuple(filters), tuple(attributes), tuple(strings), tuple(called))


def rank(slot: Slot) -> tuple[int, int]:
    fine = -int(slot.granularity) if slot.granularity is not None else 0
    return int(slot.stability), fine


def most_volatile(slots: list[Slot], label: str, span: Span) -> Slot:
    """The most variable of `slots`, relabelled; STATIC when there are none."""
    if not slots:
        return Slot(label, span, Stability.STATIC)
    best = max(slots, key=rank)
    return replace(best, label=label, span=span)


def resolve(name: str, label: str, span: Span, names: Names) -> Slot:
    if name in names.scope:
        return names.scope[name]
    if name in names.bindings:
        return names.bindings[name]
    if name in names.stable:
        return Slot(label, span, Stability.DEPLOYMENT, f"`{name}` (declared stable)")
    if name in _BUILTINS or name == "loop":
        return Slot(label, span, Stability.STATIC)
    return guess(name, label, span)


def expr_slot(tokens: list[Tok], label: str, span: Span, names: Names) -> Slot:
    """The slot an expression renders as."""
    parts = split_expr(tokens)
    resolved = [resolve(n, label, span, names) for n in parts.roots]
    # `{{ now() }}` calls a function the environment provides (Home Assistant, most app setups):
    # a clock called at render time is evidence, where a variable merely named `now` is a guess.
    resolved = [
        replace(r, by_name=False) if r.by_name and n in parts.called else r
        for n, r in zip(parts.roots, resolved, strict=True)
    ]
    slot = most_volatile(resolved, label, span)
    if any(f in _RANDOM_FILTERS for f in parts.filters):
        return Slot(label, span, Stability.VOLATILE, "{{ " + label + " }}", VolatileKind.RANDOM)
    if slot.kind is VolatileKind.TIME:
        slot = _refine_clock(slot, parts)
    if slot.stability is Stability.VOLATILE and not slot.origin and "(by name)" in slot.cause:
        slot = replace(slot, cause="{{ " + label + " }}")
    return slot


def _refine_clock(slot: Slot, parts: ExprParts) -> Slot:
    granularity = slot.granularity
    for literal in parts.strings:
        found = format_granularity(literal)
        if found is not None:
            granularity = found if granularity is None else max(granularity, found)
    for attr in parts.attributes:
        if attr in TIME_ATTRIBUTE_GRANULARITY:
            coarse = TIME_ATTRIBUTE_GRANULARITY[attr]
            granularity = max(granularity or Granularity.SUBSECOND, coarse)
    return replace(slot, granularity=granularity)


def expression_source(text: str, tokens: list[Tok]) -> str:
    """The source of an expression (between its delimiters), whitespace-collapsed."""
    sig = [t for t in tokens if t.kind != "whitespace"]
    if not sig:
        return ""
    return " ".join(text[sig[0].span.start : sig[-1].span.end].split())
