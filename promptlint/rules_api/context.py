"""The per-file context a rule reports through, and the prompt measurements rules share.

`RuleContext.report` is the only way a rule emits a finding: it formats the message (every placeholder
must be filled), attaches fix, related locations and cache impact, and appends to the file's sink.
`static_tail` measures the cacheable tokens that follow a position in a prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptlint.diagnostics import CacheImpact, Diagnostic, Fix, Location, Span
from promptlint.ir import (
    CHARS_PER_TOKEN_ESTIMATE,
    Control,
    Granularity,
    Part,
    Prompt,
    Provider,
    Role,
    Slot,
    Stability,
    Text,
    is_summary,
    summarised_chars,
)
from promptlint.providers import ProviderProfile, profile_for
from promptlint.rules_api.base import Rule
from promptlint.source import SourceFile
from promptlint.tokens import TokenCounter


@dataclass(frozen=True)
class RuleSettings:
    """The configuration rules may read."""

    min_static_tokens: int = 64
    profiles: Mapping[str, ProviderProfile] = field(default_factory=dict)
    default_provider: str | None = None
    # The coarsest clock that is still a finding: a value that changes less often (a date) costs at
    # most one miss per change, while cache entries live minutes to hours.
    clock_granularity: Granularity = Granularity.HOUR


@dataclass(frozen=True, slots=True)
class Tail:
    """What follows a position: static tokens until the next slot at least as variable, and whether
    cacheable per-session content (a conversation history) follows within that stretch."""

    tokens: int
    history: bool

    def describe(self) -> str:
        parts = []
        if self.tokens or not self.history:
            parts.append(f"{self.tokens} cacheable {'token' if self.tokens == 1 else 'tokens'}")
        if self.history:
            parts.append("the conversation history")
        return " and ".join(parts)


# Segments one rule's `static_tail` calls may visit per file: a prompt with thousands of volatile
# values would otherwise cost the square of its length (every culprit's tail runs to the end).
MAX_TAIL_STEPS = 100_000


class RuleContext:
    """What a rule sees while checking one file."""

    def __init__(
        self,
        rule: Rule,
        source: SourceFile,
        settings: RuleSettings,
        tokens: TokenCounter,
        sink: list[Diagnostic],
    ) -> None:
        self.rule = rule
        self.source = source
        self.settings = settings
        self._tokens = tokens
        self._sink = sink
        self.current_prompt: Prompt | None = None  # the prompt being checked, set by the engine
        self._estimated: dict[int, bool] = {}  # id(prompt) -> it holds text past the evaluator's bound
        self._tail_steps = MAX_TAIL_STEPS  # segments `static_tail` may still visit in this file
        # id(prompt) -> its `elif`/`else` controls closed by an `endif` (found once per prompt; the
        # walk from any start only meets those after it)
        self._closed: dict[int, set[tuple[int, int]]] = {}

    @property
    def path(self) -> str:
        return self.source.path

    def count_tokens(self, text: str) -> int:
        return self._tokens.count(text)

    def provider_profile(self, provider: str) -> ProviderProfile:
        """The profile of a named provider (for facts that belong to one provider's request format)."""
        return profile_for(self.settings.profiles, provider)

    def profile(self, prompt: Prompt) -> ProviderProfile:
        provider: str = prompt.provider
        if (
            prompt.provider in (Provider.UNKNOWN, Provider.LITELLM, Provider.LANGCHAIN)
            and self.settings.default_provider
        ):
            provider = self.settings.default_provider
        return profile_for(self.settings.profiles, provider)

    def report(
        self,
        span: Span,
        *,
        fix: Fix | None = None,
        related: tuple[Location, ...] = (),
        tokens_after: int | None = None,
        origin: Location | None = None,
        chain: tuple[Location, ...] = (),
        **args: Any,
    ) -> None:
        """Emit one diagnostic of this rule at `span` in this file."""
        if tokens_after is not None:
            args.setdefault("tokens_after", tokens_after)
        missing = self.rule.placeholders() - args.keys()
        if missing:
            raise ValueError(f"{self.rule.code}: message placeholders not filled: {sorted(missing)}")
        message = self.rule.message.format(**args)
        prompt = self.current_prompt
        site = prompt.site if prompt is not None else None
        estimated = False
        if prompt is not None:
            estimated = self._estimated.get(id(prompt), False)
            if id(prompt) not in self._estimated:
                estimated = any(is_summary(seg) for part in prompt.parts for seg in part.segments)
                self._estimated[id(prompt)] = estimated
        impact = (
            CacheImpact(tokens_after, (self.path, site.start, site.end) if site else None, estimated)
            if tokens_after is not None
            else None
        )
        self._sink.append(
            Diagnostic(
                self.rule.code,
                self.rule.name,
                self.rule.severity,
                message,
                self.path,
                span,
                fix,
                related,
                impact,
                origin=origin,
                chain=chain,
            )
        )

    # -- prompt measurements -------------------------------------------------------------------
    def static_tail(
        self,
        prompt: Prompt,
        part: int,
        segment: int,
        stop_at: Stability,
        skip_volatile: bool = False,
        request_ends: bool = False,
    ) -> Tail:
        """Static tokens after (part, segment) up to the first slot whose stability is >= `stop_at`,
        or that may vary at all (unknown or above, outside the history).

        With `skip_volatile`, other volatile slots do not end the stretch: each is a culprit reported on
        its own, and fixing one must not hide the cost of the next. With `request_ends`, a value proven
        to change with every request ends the stretch and the history after it does not count: what
        removing a clock wins back stops there (that value is PC201's finding if it costs anything).
        """
        texts: list[str] = []
        history = False
        depth = 0  # if-blocks opened after the start
        skip_at: int | None = None  # depth whose sibling branch (elif/else) is being skipped
        closed = self._closed.get(id(prompt))
        if closed is None:
            closed = self._closed[id(prompt)] = _closed_branches(prompt, -1, -1)
        estimate = 0  # tokens of text summarised by the evaluator, at CHARS_PER_TOKEN_ESTIMATE
        counting = True  # past a value of unknown origin, only whether the history follows is looked for
        start = (
            prompt.parts[part].segments[segment]
            if 0 <= part < len(prompt.parts) and 0 <= segment < len(prompt.parts[part].segments)
            else None
        )
        same = (start.cause, start.label) if isinstance(start, Slot) else None
        for pi, si, seg in prompt.after(part, segment):
            self._tail_steps -= 1
            if self._tail_steps < 0:
                break  # the file's budget is spent (thousands of culprits): the count is a lower bound
            if isinstance(seg, Control) and closed:
                if seg.kind == "if":
                    depth += 1
                elif seg.kind in ("elif", "else") and skip_at is None and (pi, si) in closed:
                    skip_at = depth  # one variant is sent: the branch taken, not its siblings
                elif seg.kind == "endif":
                    if skip_at == depth:
                        skip_at = None
                    depth -= 1
                continue
            if skip_at is not None:
                continue
            if isinstance(seg, Text):
                if counting:
                    texts.append(seg.text)
            elif is_summary(seg):
                assert isinstance(seg, Slot)
                if counting:
                    estimate += summarised_chars(seg) // CHARS_PER_TOKEN_ESTIMATE
            elif isinstance(seg, Slot) and same is not None and (seg.cause, seg.label) == same:
                continue  # the same value again (a loop writes it into two sections): moved with it
            elif isinstance(seg, Slot):
                in_history = prompt.parts[pi].role is Role.HISTORY
                if skip_volatile and seg.stability is Stability.VOLATILE:
                    continue
                # What fixing the culprit wins back ends at the next value that may vary (proven or
                # of unknown origin): the text after it is not a reusable prefix either way. The
                # conversation after a value of unknown origin is still lost to the culprit, proven
                # to vary, whatever that value does.
                if seg.stability >= stop_at:
                    break
                if request_ends and seg.stability is Stability.REQUEST and not in_history:
                    break  # proven to change with every request: nothing after it was reusable anyway
                if seg.stability >= Stability.UNKNOWN and not in_history:
                    if not skip_volatile:
                        break
                    counting = False
                    continue
                history = history or in_history
                if not counting and history:
                    break
        return Tail(self.count_tokens("".join(texts)) + estimate, history)

    def static_head_tokens(self, prompt: Prompt, part: int, segment: int) -> int:
        """Text tokens before (part, segment), up to the first value that may vary: the part of the
        prefix that is the same for every request whatever happens at (part, segment)."""
        texts: list[str] = []
        for _pi, _si, seg in prompt.before(part, segment):
            if isinstance(seg, Slot) and seg.stability >= Stability.UNKNOWN:
                break
            if isinstance(seg, Text):
                texts.append(seg.text)
        return self.count_tokens("".join(texts))

    def static_prefix_tokens(self, prompt: Prompt, part: int, segment: int) -> int | None:
        """Tokens up to and including (part, segment) when all of it is known text, else None."""
        texts: list[str] = []
        for _pi, _si, seg in prompt.before(part, segment):
            if isinstance(seg, Slot):
                return None
            if isinstance(seg, Text):
                texts.append(seg.text)
        return self.count_tokens("".join(texts))


def _closed_branches(prompt: Prompt, part: int, segment: int) -> set[tuple[int, int]]:
    """Positions of `elif`/`else` controls after (part, segment) whose block has an `endif` marker
    (templates); a Python branch has none, and its text is counted as before."""
    out: set[tuple[int, int]] = set()
    open_siblings: list[list[tuple[int, int]]] = []
    for pi, si, seg in prompt.after(part, segment):
        if not isinstance(seg, Control):
            continue
        if seg.kind == "if":
            open_siblings.append([])
        elif seg.kind in ("elif", "else"):
            if open_siblings:
                open_siblings[-1].append((pi, si))
            else:  # the start sits inside the first branch: its siblings are still exclusive
                open_siblings.append([(pi, si)])
        elif seg.kind == "endif" and open_siblings:
            out.update(open_siblings.pop())
    return out


def is_last_part(prompt: Prompt, part: int) -> bool:
    return part == len(prompt.parts) - 1


def role_label(part: Part) -> str:
    return {Role.TOOLS: "tools", Role.SCHEMA: "response schema", Role.HISTORY: "history"}.get(
        part.role, f"{part.role} message"
    )
