"""Detector kinds: rule base classes configured only by plain data (style guide B1).

`VolatileSlotRule` (PC101-PC103): volatile slots of one kind before cacheable content.
`SlotTailRule` (PC201): per-session/per-request slots followed by a long static tail.
`HeaderRule` (PC501): header names matching a pattern, with a removal fix.
"""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar

from promptlint.diagnostics import Applicability, Edit, Fix, Location
from promptlint.ir import (
    NUMBER_PARAMETER,
    RESERIALISED,
    FileFacts,
    Granularity,
    HeaderKind,
    Prompt,
    Role,
    Slot,
    Stability,
    VolatileKind,
)
from promptlint.rules_api.base import FactsRule, FixAvailability, PromptRule
from promptlint.rules_api.context import RuleContext, role_label


def culprit_location(slot: Slot, prompt: Prompt, ctx: RuleContext) -> tuple[Location, tuple[Location, ...]]:
    """Where to point: the culprit if it is in this file, else where it enters; plus related places."""
    here = ctx.path
    related: list[Location] = []
    if slot.origin is not None and slot.origin.path == here:
        primary = slot.origin
        if slot.span != slot.origin.span:
            related.append(Location(here, slot.span, "enters the prompt here"))
    else:
        primary = Location(here, slot.span)
        if slot.origin is not None:
            related.append(Location(slot.origin.path, slot.origin.span, "the value is produced here"))
    related.append(Location(here, prompt.site, "request built here"))
    return primary, tuple(related)


#: The chain's first step for a value that is volatile only by its template variable's name: no more
#: than a guess, kept only where a render call links the template (see `engine/link.py`).
BY_NAME = "named like a clock or an id, no render call seen passing it (by name)"


def evidence_path(slot: Slot, prompt: Prompt, ctx: RuleContext, part: int) -> tuple[Location, ...]:
    """The chain a user checks a finding by: source -> steps -> where it enters the prompt -> request."""
    out: list[Location] = []
    if slot.origin is not None:
        source = slot.cause or slot.label
        # A described source (`loop counter `step`: ...`) reads as it is; an expression is quoted.
        text = source if "`" in source else f"`{source}` produces the value"
        out.append(Location(slot.origin.path, slot.origin.span, text))
    elif slot.by_name:
        out.append(Location(ctx.path, slot.span, f"{slot.cause or slot.label}: {BY_NAME}"))
    elif slot.cause:
        out.append(Location(ctx.path, slot.span, f"{slot.cause}: varies per {slot.stability.label}"))
    out.extend(slot.steps)
    out.append(Location(ctx.path, slot.span, f"enters the {role_label(prompt.parts[part])}"))
    out.append(Location(ctx.path, prompt.site, "the request is built here"))
    deduped: list[Location] = []
    for loc in out:
        if any(d.path == loc.path and d.span == loc.span for d in deduped):
            continue
        deduped.append(loc)
    return tuple(deduped)


def granularity_phrase(granularity: Granularity | None) -> str:
    if granularity is None or granularity <= Granularity.SUBSECOND:
        return "call"
    return granularity.label


# Volatile values the conversation history carries as they were when their turn was made: a clock
# read or a listing joined into a message stays what it was in every later request. (A random pick
# or shuffle of the messages themselves is made anew for each request.)
_FIXED_IN_A_TURN = frozenset({VolatileKind.TIME, VolatileKind.ORDER})


class VolatileSlotRule(PromptRule):
    """Volatile slots of `volatile_kind` that precede content the cache could otherwise reuse.

    In the last message only a long static tail (>= `min-static-tokens`) counts, so a timestamp at the
    end of the user's turn stays silent; earlier, any static text or a following history counts.
    """

    volatile_kind: ClassVar[VolatileKind]
    cause_pattern: ClassVar[str] = ""  # only culprits whose cause matches (regex), if set
    suggestion: ClassVar[str] = (
        ""  # display-only fix title when the frontend has no edit, e.g. "Move `{culprit}` ..."
    )

    cause_exclude: ClassVar[str] = ""  # skip culprits whose cause matches (regex), if set

    def _wanted(self, seg: Slot) -> bool:
        if seg.stability is not Stability.VOLATILE or seg.kind is not self.volatile_kind:
            return False
        cause = seg.cause or seg.label
        if self.cause_pattern and not _compiled(self.cause_pattern).search(cause):
            return False
        return not (self.cause_exclude and _compiled(self.cause_exclude).search(cause))

    def _suggestion(self, seg: Slot) -> Fix | None:
        if not self.suggestion:
            return None
        return Fix(self.suggestion.format(culprit=seg.cause or seg.label), Applicability.DISPLAY_ONLY, ())

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        for pi, si, seg in prompt.walk():
            if not (isinstance(seg, Slot) and self._wanted(seg)):
                continue
            if prompt.parts[pi].role is Role.HISTORY and seg.kind in _FIXED_IN_A_TURN:
                continue  # an earlier turn keeps the time or order it was made with (re-rendering it is PC402's)
            if after_last_breakpoint(prompt, pi, si):
                continue  # explicit caching stops before it: nothing after it was going to be cached
            if seg.granularity is not None and seg.granularity > ctx.settings.clock_granularity:
                continue  # changes less often than `clock-granularity` (a date): rarely a miss
            if broken_before(prompt, pi, si, ctx.settings.clock_granularity):
                continue  # the prefix already changes every request before it: that is the root cause
            # Everything static after a volatile value is lost, whatever per-request text lies between;
            # a few tokens of it are not worth a finding unless the conversation history follows.
            tail = ctx.static_tail(prompt, pi, si, Stability.VOLATILE, skip_volatile=True, request_ends=True)
            if tail.tokens < ctx.settings.min_static_tokens and not tail.history:
                continue
            primary, related = culprit_location(seg, prompt, ctx)
            local = seg.origin is None or seg.origin.path == ctx.path
            ctx.report(
                primary.span,
                related=related,
                tokens_after=tail.tokens,
                origin=seg.origin,
                chain=evidence_path(seg, prompt, ctx, pi),
                fix=(seg.fix if local else None) or self._suggestion(seg),
                culprit=seg.cause or seg.label,
                granularity=granularity_phrase(seg.granularity),
                role=role_label(prompt.parts[pi]),
                tail=tail.describe() + more_phrase(_later_volatile(prompt, pi, si), "per-call value"),
            )


def dynamic_slots(
    prompt: Prompt, min_stability: Stability = Stability.SESSION
) -> list[tuple[int, int, Slot]]:
    """Slots proven to vary per session or request (not volatile, not a re-serialised history), in order."""
    out = []
    for pi, si, seg in prompt.walk():
        if not isinstance(seg, Slot) or prompt.parts[pi].role is Role.HISTORY:
            continue
        if seg.cause.startswith(RESERIALISED):
            continue  # a whole history rebuilt as text is PC402's finding
        if min_stability <= seg.stability < Stability.VOLATILE:
            out.append((pi, si, seg))
    return out


def in_newest_turn(prompt: Prompt, part: int) -> bool:
    """Whether `part` is the newest user message of a conversation: the last user part, with earlier
    turns (the history, an assistant reply) before it. Those turns are this conversation's own, so
    no other request shares the prefix up to this message: where in it a value sits changes nothing
    that the cache could reuse (the next turn re-sends the whole message as history)."""
    parts = prompt.parts
    if parts[part].role is not Role.USER or any(p.role is Role.USER for p in parts[part + 1 :]):
        return False
    return any(p.role in (Role.HISTORY, Role.ASSISTANT) for p in parts[:part])


def _later_volatile(prompt: Prompt, part: int, segment: int) -> int:
    """Per-call values after (part, segment) outside the history: they are not reported on their
    own (the first one is the root cause), so the finding names how many there are."""
    return sum(
        1
        for pi, _si, seg in prompt.after(part, segment)
        if prompt.parts[pi].role is not Role.HISTORY
        and isinstance(seg, Slot)
        and seg.stability is Stability.VOLATILE
    )


def broken_before(prompt: Prompt, part: int, segment: int, coarsest: Granularity) -> bool:
    """Whether a value proven to change per request (or per call) comes before (part, segment) outside
    the history: from there on nothing was reusable anyway, whatever follows. A clock that changes
    less often than `coarsest` (a date, with the default `clock-granularity`) does not count. In the
    last user message, a parameter before it counts too: that message is the request's own input
    (`f"ORIGINAL QUERY: {query} ... {shuffled}"`)."""
    last_user = max((i for i, p in enumerate(prompt.parts) if p.role is Role.USER), default=-1)
    for pi, si, seg in prompt.before(part, segment):
        if (pi, si) == (part, segment):
            break
        if prompt.parts[pi].role is Role.HISTORY or not isinstance(seg, Slot):
            continue
        if (
            pi == part == last_user
            and seg.stability is Stability.UNKNOWN
            and seg.cause.startswith("parameter ")
            and not seg.cause.endswith(NUMBER_PARAMETER)
        ):
            return True
        if seg.stability < Stability.REQUEST or seg.cause.startswith(RESERIALISED):
            continue
        if seg.granularity is None or seg.granularity <= coarsest:
            return True
    return False


def after_last_breakpoint(prompt: Prompt, part: int, segment: int) -> bool:
    """Whether (part, segment) comes after every explicit Anthropic `cache_control` marker of the
    prompt: with explicit caching only the prefix up to a marker is written, so a value after the
    last one breaks nothing that was going to be cached (automatic caching reaches the end)."""
    if not prompt.breakpoints or any(bp.automatic for bp in prompt.breakpoints):
        return False
    last = max((bp.part, bp.segment) for bp in prompt.breakpoints)
    return (part, segment) > last


def more_phrase(count: int, what: str) -> str:
    """` (and 2 more per-request values after it)`, or nothing."""
    if count <= 0:
        return ""
    return f" (and {count} more {what}{'' if count == 1 else 's'} after it)"


class SlotTailRule(PromptRule):
    """The first slot at least `min_stability` (and below VOLATILE) of a prompt, when
    >= `min-static-tokens` static tokens follow it.

    Everything after the first differing token is a miss, so the first such value is the root cause:
    one finding per prompt, whose cache impact is all static text after it, naming how many more
    such values follow (`{more}` in the message).
    """

    min_stability: ClassVar[Stability] = Stability.SESSION

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        found = dynamic_slots(prompt, self.min_stability)
        if not found or in_newest_turn(prompt, found[0][0]):
            return
        pi, si, seg = found[0]
        if after_last_breakpoint(prompt, pi, si):
            return  # explicit caching stops before it
        tail = ctx.static_tail(prompt, pi, si, Stability.VOLATILE, skip_volatile=True)
        # A value that changes every request before the conversation history costs the whole
        # history every turn, however little static text lies between; a per-session value does
        # not (the conversation keeps it).
        costs_history = (
            tail.history
            and seg.stability >= Stability.REQUEST
            and prompt.parts[pi].role
            in (Role.SYSTEM, Role.DEVELOPER, Role.TOOLS)  # not the turn's own message
        )
        if tail.tokens < ctx.settings.min_static_tokens and not costs_history:
            return
        if not tail.history:
            # Moving the value out only pays when the static text around it reaches the provider's
            # minimum cacheable length; a short one-shot prompt is never cached either way.
            head = ctx.static_head_tokens(prompt, pi, si)
            if head + tail.tokens < ctx.profile(prompt).minimum_for(prompt.model):
                return
        primary, related = culprit_location(seg, prompt, ctx)
        own_file = seg.origin is None or seg.origin.path == ctx.path
        role = role_label(prompt.parts[pi])
        ctx.report(
            primary.span,
            related=related,
            tokens_after=tail.tokens,
            origin=seg.origin,
            chain=evidence_path(seg, prompt, ctx, pi),
            fix=seg.fix if own_file else None,
            slot=seg.label,
            stability=seg.stability.label,
            role=role,
            after=_after_phrase(tail.tokens, role, costs_history),
            more=more_phrase(len(found) - 1, "per-request value"),
        )


def _after_phrase(tokens: int, role: str, history: bool) -> str:
    if not history:
        return f"{tokens} static tokens in the {role}"
    if tokens == 0:
        return "the conversation history"
    return f"{tokens} static tokens in the {role} and the conversation history"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class HeaderRule(FactsRule):
    """Header names matching `header_pattern`; request headers get a removal fix."""

    header_pattern: ClassVar[str]
    fix_title: ClassVar[str] = "Remove `{header}`"
    fix_availability = FixAvailability.SOMETIMES

    def check_facts(self, facts: FileFacts, ctx: RuleContext) -> None:
        pattern = _compiled(self.header_pattern)
        for header in facts.headers:
            if not pattern.search(header.name):
                continue
            fix = None
            if header.kind is HeaderKind.REQUEST and header.removal is not None:
                title = self.fix_title.format(header=header.name)
                removal = header.removal
                if header.container_removal is not None and all(pattern.search(n) for n in header.siblings):
                    removal = header.container_removal  # nothing would be left: drop the whole argument
                fix = Fix(title, Applicability.SAFE, (Edit(removal, ""),))
            why = (
                "caching is automatic and hits are reported in `usage`"
                if header.kind is HeaderKind.REQUEST
                else "no provider sends it; read cache hits from `usage`"
            )
            ctx.report(header.span, fix=fix, header=header.name, why=why)
