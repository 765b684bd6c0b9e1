"""The abstract values the Python evaluator computes for expressions.

`Str` is a string with holes (IR segments), `Seq` a list/tuple (messages, blocks, tools), `Map` a dict
with constant keys, `Msg` a message object (LangChain classes, `(role, text)` tuples) and `Opaque` any
value we cannot see into, with the stability of what it was made from. `Ref` points at a function or
class definition so calls can be followed. Also the operations on values: combining ingredients into
the most volatile opaque, concatenation, static text, removing order volatility, and moving a value
from another module to a span in this one (`respan`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Fix, Location, Span
from promptlint.ir import (
    Granularity,
    Segment,
    Slot,
    Stability,
    Text,
    VolatileKind,
    is_summary,
    summarised_chars,
    summary_slot,
)

if TYPE_CHECKING:
    from promptlint.frontends.python.modules import ModuleInfo


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value we cannot see into. `span` is where it was written; `origin` the culprit, if volatile."""

    stability: Stability
    label: str
    span: Span
    cause: str = ""
    kind: VolatileKind | None = None
    granularity: Granularity | None = None
    origin: Location | None = None
    iterable_of_messages: bool = False
    fix: Fix | None = None
    steps: tuple[Location, ...] = ()
    # One element picked at random from a collection promptlint cannot see (`random.choice(xs)`):
    # random text if used as it is, but a field read of it is one of the elements' fields.
    picked: bool = False

    def as_slot(self) -> Slot:
        return Slot(
            self.label,
            self.span,
            self.stability,
            self.cause,
            self.kind,
            self.granularity,
            self.origin,
            self.fix,
            self.steps,
        )


@dataclass(frozen=True, slots=True)
class Str:
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Seq:
    """A list/tuple; `unordered` is the ORDER-volatile culprit when iterating it is not deterministic (a set)."""

    items: tuple[Value, ...]
    span: Span
    unordered: Opaque | None = None


@dataclass(frozen=True, slots=True)
class MapEntry:
    key: str
    value: Value
    key_span: Span


@dataclass(frozen=True, slots=True)
class Map:
    entries: tuple[MapEntry, ...]
    span: Span
    dynamic: Opaque | None = None

    def get(self, key: str) -> Value | None:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None

    def entry(self, key: str) -> MapEntry | None:
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class Msg:
    """A message built by a class or tuple rather than a role/content dict."""

    role: str
    content: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A function or class definition in some module, for following calls."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    module: ModuleInfo
    owner: ast.ClassDef | None = None  # the class whose `self` the body reads

    @property
    def is_method(self) -> bool:
        """A method of `owner` (its first parameter is `self`), not a closure defined inside one."""
        return self.owner is not None and any(stmt is self.node for stmt in self.owner.body)


Value = Opaque | Str | Seq | Map | Msg | Ref


def most_volatile(values: Iterable[Value], label: str, span: Span, floor: Stability) -> Opaque:
    """Combine values into one Opaque carrying the most volatile ingredient's cause and origin."""
    best: Opaque | None = None
    for value in values:
        for op in opaque_parts(value):
            if best is None or _rank(op) > _rank(best):
                best = op
    if best is None or best.stability < floor:
        return Opaque(floor, label, span, cause=label)
    return replace(best, label=label, span=span, iterable_of_messages=False)


def _rank(op: Opaque) -> tuple[int, int]:
    fine = -int(op.granularity) if op.granularity is not None else 0
    return int(op.stability), fine


def opaque_parts(value: Value) -> Iterable[Opaque]:
    """Every Opaque ingredient of a value (slots of strings, items of containers)."""
    if isinstance(value, Opaque):
        yield value
    elif isinstance(value, Str):
        for seg in value.segments:
            if isinstance(seg, Slot):
                yield Opaque(
                    seg.stability,
                    seg.label,
                    seg.span,
                    seg.cause,
                    seg.kind,
                    seg.granularity,
                    seg.origin,
                    fix=seg.fix,
                    steps=seg.steps,
                )
    elif isinstance(value, Seq):
        for item in value.items:
            yield from opaque_parts(item)
        if value.unordered is not None:
            yield value.unordered
    elif isinstance(value, Map):
        for entry in value.entries:
            yield from opaque_parts(entry.value)
        if value.dynamic is not None:
            yield value.dynamic
    elif isinstance(value, Msg):
        yield from opaque_parts(value.content)


def stability_of(value: Value) -> Stability:
    if type(value) is Str:  # the common case, without building an Opaque per slot
        return max((seg.stability for seg in value.segments if type(seg) is Slot), default=Stability.STATIC)
    return max((op.stability for op in opaque_parts(value)), default=Stability.STATIC)


# The most text one string value holds: a prompt is a few hundred KB at most, while `p1 = p0 + p0`
# repeated 60 times would spell out 2**60 characters. Past the bound, the rest is summarised (see
# `_bounded`) and token counts over it become estimates (`ir.is_summary`).
MAX_TEXT_CHARS = 256 * 1024
MAX_SEGMENTS = 4096


def concat(*parts: Str) -> Str:
    segments = tuple(seg for part in parts for seg in part.segments)
    if len(parts) < 2 or (len(segments) <= MAX_SEGMENTS and text_size(segments) <= MAX_TEXT_CHARS):
        return Str(segments)
    return Str(_bounded(segments))


def repeat(value: Str, count: int) -> Str:
    """`value * count`, without building more copies than the bound can hold."""
    literal = static_text(value)
    if literal is not None and value.segments:
        span = value.segments[0].span
        room = MAX_TEXT_CHARS // max(len(literal), 1) + 1
        if count <= room:
            return text(literal * count, span)
        rest = (count - room) * len(literal)
        return Str(
            (
                Text(literal * room, span),
                summary_slot(span, rest),
            )
        )
    size = max(text_size(value.segments), len(value.segments), 1)
    copies = min(count, MAX_TEXT_CHARS // size + 2, MAX_SEGMENTS // max(len(value.segments), 1) + 2)
    return concat(*([value] * copies))


def text_size(segments: Iterable[Segment], summarised: bool = True) -> int:
    """Characters of literal text in `segments`; with `summarised`, a summary counts what it stands for."""
    total = 0
    for seg in segments:
        if type(seg) is Text:
            total += len(seg.text)
        elif summarised and is_summary(seg):
            assert type(seg) is Slot
            total += summarised_chars(seg)
    return total


def _bounded(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """The segments up to the bound, then the most variable slot of the rest (so a finding there is
    still reported, at its own place) and one summary slot standing for the text that was dropped."""
    kept: list[Segment] = []
    chars = 0
    dropped = 0
    worst: Slot | None = None
    first_dropped: Span | None = None
    for seg in segments:
        if first_dropped is None:
            size = len(seg.text) if type(seg) is Text else 0
            if len(kept) + 3 <= MAX_SEGMENTS and chars + size <= MAX_TEXT_CHARS and not is_summary(seg):
                kept.append(seg)
                chars += size
                continue
            first_dropped = seg.span
            if type(seg) is Text and chars < MAX_TEXT_CHARS:
                room = MAX_TEXT_CHARS - chars
                kept.append(Text(seg.text[:room], seg.span, False))
                dropped += len(seg.text) - room
                continue
        if type(seg) is Text:
            dropped += len(seg.text)
        elif type(seg) is Slot:
            if is_summary(seg):
                dropped += summarised_chars(seg)
                seg = replace(seg, stability=Stability.STATIC)
            if worst is None or seg.stability > worst.stability:
                worst = seg
    if worst is not None and worst.stability > Stability.STATIC and not is_summary(worst):
        kept.append(worst)
    if first_dropped is not None:
        kept.append(summary_slot(first_dropped, dropped))
    return tuple(kept)


MAX_ITEMS = 1024  # items of one list value; past it the rest is one opaque item (its most variable part)


def bounded_items(items: list[Value], span: Span) -> tuple[Value, ...]:
    if len(items) <= MAX_ITEMS:
        return tuple(items)
    rest = most_volatile(items[MAX_ITEMS - 1 :], "items past the evaluation budget", span, Stability.STATIC)
    return (*items[: MAX_ITEMS - 1], rest)


def text(value: str, span: Span) -> Str:
    return Str((Text(value, span),)) if value else Str(())


def static_text(value: Str) -> str | None:
    """The text of a Str without holes, else None."""
    out = []
    for seg in value.segments:
        if not isinstance(seg, Text):
            return None
        out.append(seg.text)
    return "".join(out)


def ordered(value: Value) -> Value:
    """The value with iteration-order volatility removed (membership tests, `len`, `sorted`)."""
    if isinstance(value, Seq) and value.unordered is not None:
        return Seq(value.items, value.span)
    if isinstance(value, Opaque) and value.kind is VolatileKind.ORDER:
        return Opaque(Stability.DEPLOYMENT, value.label, value.span, value.label)
    return value


def sorted_items(value: Value) -> Value:
    """`sorted(items)`, `items.sort(key=...)`: the list in a fixed order, so nothing in it is marked
    any more by the order its elements were collected in (each drawn from a set or taken as it
    completed: the culprits that mark the elements themselves, or members of them). Other orders
    inside an element (`", ".join(tags)` in a tool's description) stay."""
    if not isinstance(value, Seq):
        return ordered(value)
    origins = {
        part.origin
        for item in value.items
        for part in (item, *_members(item))
        if isinstance(part, Opaque) and part.kind is VolatileKind.ORDER and part.origin is not None
    }
    if value.unordered is not None and value.unordered.origin is not None:
        origins.add(value.unordered.origin)
    return Seq(tuple(_without_orders(i, origins) for i in value.items), value.span)


def _members(item: Value) -> tuple[Value, ...]:
    if isinstance(item, Seq):
        return item.items
    if isinstance(item, Map):
        return tuple(e.value for e in item.entries)
    return ()


def _without_orders(value: Value, origins: set[Location]) -> Value:
    """`value` with the ORDER culprits made at `origins` removed, wherever they sit in it."""
    if not origins:
        return value

    def unmark(seg: Segment) -> Segment:
        if isinstance(seg, Slot) and seg.kind is VolatileKind.ORDER and seg.origin in origins:
            return replace(seg, stability=Stability.DEPLOYMENT, kind=None, fix=None, origin=None)
        return seg

    if isinstance(value, Opaque):
        return ordered(value) if value.kind is VolatileKind.ORDER and value.origin in origins else value
    if isinstance(value, Str):
        return Str(tuple(unmark(seg) for seg in value.segments))
    if isinstance(value, Seq):
        unordered = (
            value.unordered if value.unordered is None or value.unordered.origin not in origins else None
        )
        return Seq(tuple(_without_orders(v, origins) for v in value.items), value.span, unordered)
    if isinstance(value, Map):
        entries = tuple(MapEntry(e.key, _without_orders(e.value, origins), e.key_span) for e in value.entries)
        return Map(entries, value.span, value.dynamic)
    if isinstance(value, Msg):
        return Msg(value.role, _without_orders(value.content, origins), value.span)
    return value


MAX_STEPS = 12


def with_step(value: Value, step: Location) -> Value:
    """The value with `step` added to the chain of every ingredient that could be a finding.

    Only values proven to vary (per session or more) carry chains: the rest is never reported, and
    leaving it alone keeps evaluation cheap.
    """
    if stability_of(value) < Stability.SESSION:
        return value
    return _stepped(value, step)


def _add(steps: tuple[Location, ...], step: Location) -> tuple[Location, ...]:
    if (steps and steps[-1] == step) or len(steps) >= MAX_STEPS:
        return steps
    return (*steps, step)


def _stepped(value: Value, step: Location) -> Value:
    if isinstance(value, Opaque):
        return (
            replace(value, steps=_add(value.steps, step)) if value.stability >= Stability.SESSION else value
        )
    if isinstance(value, Str):
        return Str(
            tuple(
                replace(seg, steps=_add(seg.steps, step))
                if isinstance(seg, Slot) and seg.stability >= Stability.SESSION
                else seg
                for seg in value.segments
            )
        )
    if isinstance(value, Seq):
        unordered = value.unordered
        if unordered is not None:
            unordered = replace(unordered, steps=_add(unordered.steps, step))
        return Seq(tuple(_stepped(v, step) for v in value.items), value.span, unordered)
    if isinstance(value, Map):
        entries = tuple(MapEntry(e.key, _stepped(e.value, step), e.key_span) for e in value.entries)
        dyn = value.dynamic
        if dyn is not None and dyn.stability >= Stability.SESSION:
            dyn = replace(dyn, steps=_add(dyn.steps, step))
        return Map(entries, value.span, dyn)
    if isinstance(value, Msg):
        return Msg(value.role, _stepped(value.content, step), value.span)
    return value


def with_key(value: Value, entry: MapEntry, span: Span) -> Value:
    """`value` after `value[entry.key] = entry.value`: a dict with that entry replaced or added; a
    dict of unknown content (a parameter, `self.ctx`) becomes one with this key known. Anything else
    is not known to be a dict, and nothing known changes."""
    if isinstance(value, Map):
        kept = tuple(e for e in value.entries if e.key != entry.key)
        return Map((*kept, entry), value.span, value.dynamic)
    if isinstance(value, Opaque) and not value.iterable_of_messages:
        return Map((entry,), span, value)
    return value


def frozen_clocks(value: Value, why: str) -> Value:
    """The value with every per-call clock reading made per-session (read once and kept: a start
    time); other ingredients unchanged."""

    def freeze_slot(seg: Segment) -> Segment:
        if isinstance(seg, Slot) and seg.stability is Stability.VOLATILE and seg.kind is VolatileKind.TIME:
            return replace(seg, stability=Stability.SESSION, cause=f"{seg.cause}, {why}")
        return seg

    if isinstance(value, Opaque):
        if value.stability is Stability.VOLATILE and value.kind is VolatileKind.TIME:
            return replace(value, stability=Stability.SESSION, cause=f"{value.cause}, {why}")
        return value
    if isinstance(value, Str):
        return Str(tuple(freeze_slot(seg) for seg in value.segments))
    if isinstance(value, Seq):
        return Seq(tuple(frozen_clocks(v, why) for v in value.items), value.span, value.unordered)
    if isinstance(value, Map):
        entries = tuple(MapEntry(e.key, frozen_clocks(e.value, why), e.key_span) for e in value.entries)
        dyn = value.dynamic
        frozen_dyn = frozen_clocks(dyn, why) if dyn is not None else None
        return Map(entries, value.span, frozen_dyn if isinstance(frozen_dyn, Opaque) else dyn)
    if isinstance(value, Msg):
        return Msg(value.role, frozen_clocks(value.content, why), value.span)
    return value


def unproven_volatile(value: Value, why: str, to: Stability = Stability.UNKNOWN) -> Value:
    """The value with every per-call value (clock, id, random, order) made `to`: unknown when handed
    to a call that is not known to put it in its result (`route(evidence, local_datetime=now)` returns
    a verdict, not the time), once per process when read by a call made at import; other ingredients
    unchanged."""

    def demote(seg: Segment) -> Segment:
        if isinstance(seg, Slot) and seg.stability is Stability.VOLATILE:
            return replace(seg, stability=to, cause=f"{seg.cause}, {why}", fix=None)
        return seg

    if isinstance(value, Opaque):
        if value.stability is Stability.VOLATILE:
            return replace(value, stability=to, cause=f"{value.cause}, {why}", fix=None)
        return value
    if isinstance(value, Str):
        return Str(tuple(demote(seg) for seg in value.segments))
    if isinstance(value, Seq):
        return Seq(tuple(unproven_volatile(v, why, to) for v in value.items), value.span)
    if isinstance(value, Map):
        entries = tuple(
            MapEntry(e.key, unproven_volatile(e.value, why, to), e.key_span) for e in value.entries
        )
        dyn = value.dynamic
        demoted = unproven_volatile(dyn, why, to) if dyn is not None else None
        return Map(entries, value.span, demoted if isinstance(demoted, Opaque) else dyn)
    if isinstance(value, Msg):
        return Msg(value.role, unproven_volatile(value.content, why, to), value.span)
    return value


def respan(value: Value, span: Span, keep: frozenset[tuple[object, ...]] = frozenset()) -> Value:
    """Move every position of a value from another module to `span` in this one (origins are kept).

    Segments whose keys are in `keep` (`home_keys` of the call's bound arguments) are this module's
    own values passed in, and stay where they are: a window `session[-50:]` given as `history=` is
    still that slice when the callee's list comes back."""
    if isinstance(value, Opaque):
        return value if keep and _slot_key(value.as_slot()) in keep else replace(value, span=span)
    if isinstance(value, Str):
        segs: list[Segment] = []
        for seg in value.segments:
            if keep and segment_key(seg) in keep:
                segs.append(seg)
            elif isinstance(seg, Text):
                segs.append(Text(seg.text, span, False))
            else:
                segs.append(replace(seg, span=span))
        return Str(tuple(segs))
    if isinstance(value, Seq):
        return Seq(tuple(respan(v, span, keep) for v in value.items), span)
    if isinstance(value, Map):
        entries = tuple(MapEntry(e.key, respan(e.value, span, keep), span) for e in value.entries)
        dyn = value.dynamic
        return Map(entries, span, replace(dyn, span=span) if dyn else None)
    if isinstance(value, Msg):
        return Msg(value.role, respan(value.content, span, keep), span)
    return value


def home_keys(args: Mapping[str, Value]) -> frozenset[tuple[object, ...]]:
    """Identities of the segments the caller passed in (its bound arguments), to tell them apart from
    what the wrapper adds itself once the wrapper's prompt is built."""
    keys: set[tuple[object, ...]] = set()
    stack: list[Value] = list(args.values())
    while stack:
        value = stack.pop()
        if isinstance(value, Opaque):
            keys.add(_slot_key(value.as_slot()))
        elif isinstance(value, Str):
            keys.update(segment_key(seg) for seg in value.segments)
        elif isinstance(value, Seq):
            stack.extend(value.items)
            if value.unordered is not None:
                stack.append(value.unordered)
        elif isinstance(value, Map):
            stack.extend(e.value for e in value.entries)
            if value.dynamic is not None:
                stack.append(value.dynamic)
        elif isinstance(value, Msg):
            stack.append(value.content)
    return frozenset(keys)


def _slot_key(slot: Slot) -> tuple[object, ...]:
    # Not the stability or cause: the wrapper's site may upgrade an argument on evidence (sent as
    # the user's message), and it is still the caller's value.
    return ("slot", slot.label, slot.span)


def segment_key(seg: Segment) -> tuple[object, ...]:
    if isinstance(seg, Slot):
        return _slot_key(seg)
    if isinstance(seg, Text):
        return ("text", seg.text, seg.span)
    return ("control", seg.kind, seg.span)
