"""Group logged requests into conversations and explain each miss against the previous related one.

Memory is bounded: each lookup table keeps only the last request per key, in an LRU capped at
`max_conversations`. A request is related, most specific first, to: the previous request of its
conversation (explicit id field, else same model + system + first user message), the last request
with the same first user message (model or system changed), or the last request of the same model
(independent single-turn requests sharing a static prefix). Only a divergence before the point where
requests are expected to differ (the end of the previous turn inside a conversation, the first user
message across conversations) is a prefix break.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.providers import ProviderProfile, route
from promptlint.trace.classify import breakpoint_cause, classify_break, slid
from promptlint.trace.diverge import Divergence, first_divergence
from promptlint.trace.events import MissEvent, TraceStats, ranked
from promptlint.trace.expect import (
    DEFAULT_CHARS_PER_TOKEN,
    Snapshot,
    apply_rule,
    changed_params,
    expected_hit,
    expired,
    snapshot,
)
from promptlint.trace.normalise import Item, LoggedRequest

if TYPE_CHECKING:
    from promptlint.trace.lint_link import SourceLinks


def _key(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class _Lru:
    def __init__(self, cap: int) -> None:
        self.cap = max(1, cap)
        self.data: OrderedDict[str, Snapshot] = OrderedDict()

    def get(self, key: str) -> Snapshot | None:
        return self.data.get(key)

    def put(self, key: str, snap: Snapshot) -> None:
        self.data[key] = snap
        self.data.move_to_end(key)
        if len(self.data) > self.cap:
            self.data.popitem(last=False)


class Tracker:
    """Feed normalised requests in log order; `feed` returns a `MissEvent` for each explained miss."""

    def __init__(
        self,
        profiles: Mapping[str, ProviderProfile],
        *,
        max_conversations: int = 4096,
        tolerance: int = 64,
        redact: bool = False,
        findings: SourceLinks | None = None,
    ) -> None:
        self.profiles = profiles
        self.tolerance = tolerance
        self.redact = redact
        self.findings = findings
        self.stats = TraceStats()
        self._conv = _Lru(max_conversations)
        self._first_user = _Lru(max_conversations)
        # The last few requests per model: a request that matches no conversation is compared with
        # the most similar of them (the same application), never merely with the last one.
        self._model: OrderedDict[str, tuple[Snapshot, ...]] = OrderedDict()
        self._model_cap = max(64, max_conversations // 64)
        # Lines whose cache write a later request already read (each write counts as read once).
        self._writes_read: OrderedDict[int, None] = OrderedDict()

    def feed(self, request: LoggedRequest) -> MissEvent | None:
        stats = self.stats
        stats.requests += 1
        profile, model = route(self.profiles, request.provider, request.model, request.host)
        if (profile.name, model) != (request.provider, request.model):
            request = replace(request, provider=profile.name, model=model)
        if profile.runs_tools(request.tool_types):
            request = _without_server_tool_tokens(request)
        first = request.first_user_item()
        first_text = request.items[first].text if first < len(request.items) else ""
        system = "\x1e".join(it.text for it in request.items[:first])
        conv_key = request.explicit_id or _key(request.model, system, first_text)
        fu_key = _key(request.provider, first_text)
        model_key = _key(request.provider, request.model)
        prev, same_conv = self._related(conv_key, fu_key, model_key, first_text, request)
        multiplier = profile.image_multiplier_for(model)
        event: MissEvent | None = None
        expected = 0
        reuse_ceiling = 0  # a pure extension may hit the previous input plus its reply
        if prev is None:
            stats.cold += 1
            new = snapshot(request, 0, multiplier)
            expected = self._best_recent(profile, model_key, None, new, 0)
        else:
            div = first_divergence(prev.items, request.items)
            if div is None:
                reuse_ceiling = prev.prompt_tokens + prev.output_tokens
            shared_chars = _shared_chars(prev, div)
            new = snapshot(request, shared_chars, multiplier)
            if same_conv and not request.explicit_id and prev.conversation:
                # One conversation keeps one id in the report even when its prefix breaks.
                new = replace(new, conversation=prev.conversation)
            if prev.model == new.model and not expired(profile, prev, new):
                item = None if div is None else div.item
                expected = expected_hit(profile, prev, new, item, shared_chars, self.tolerance)
            expected = self._best_recent(profile, model_key, prev, new, expected)
            event = self._explain(
                profile, prev, new, request, div, same_conv, new.conversation or conv_key, expected
            )
        if not new.conversation:
            new = replace(new, conversation=conv_key)
        self._count_usage(request, expected, follow_up=prev is not None, reuse_ceiling=reuse_ceiling)
        self._count_writes(request, prev)
        self._conv.put(conv_key, new)
        if first_text:
            self._first_user.put(fu_key, new)
        recent = (*self._model.pop(model_key, ())[-(RECENT_PER_MODEL - 1) :], new)
        self._model[model_key] = recent
        if len(self._model) > self._model_cap:
            self._model.popitem(last=False)
        if event is not None:
            stats.misses += 1
            stats.tokens_lost += event.tokens_lost
            stats.money_lost[event.currency] = stats.money_lost.get(event.currency, 0.0) + event.money_lost
            cause = event.cause or "unexplained"
            stats.causes[cause] += 1
            saved = 1.0 - profile.price_for(request.model).relative_hit
            stats.loss_by_cause[cause] = stats.loss_by_cause.get(cause, 0.0) + event.tokens_lost * saved
            by_conv = stats.loss_by_conversation
            by_conv[event.conversation] = by_conv.get(event.conversation, 0.0) + event.tokens_lost * saved
            if len(by_conv) > 2 * self._conv.cap:  # bounded: keep the largest
                stats.loss_by_conversation = dict(ranked(by_conv)[: self._conv.cap])
        return event

    def _best_recent(
        self, profile: ProviderProfile, model_key: str, prev: Snapshot | None, new: Snapshot, best: int
    ) -> int:
        """The hit the cache can serve from any recent request of the model, not only the related
        one: a provider keeps every recent prefix (a shared tool list, an earlier conversation)."""
        for other in self._model.get(model_key, ()):
            if other is prev or other.model != new.model or expired(profile, other, new):
                continue
            div = first_divergence(other.items, new.items)
            item = None if div is None else div.item
            found = expected_hit(profile, other, new, item, _shared_chars(other, div), self.tolerance)
            best = max(best, found)
        return best

    def _related(
        self, conv_key: str, fu_key: str, model_key: str, first_text: str, request: LoggedRequest
    ) -> tuple[Snapshot | None, bool]:
        prev = self._conv.get(conv_key)
        if prev is not None and request.explicit_is_conversation:
            return prev, True
        if prev is not None:
            prev_first = prev.items[prev.first_user].text if prev.first_user < len(prev.items) else ""
            return prev, prev_first == first_text
        prev = self._first_user.get(fu_key) if first_text else None
        if prev is not None:
            return prev, True
        # Same model is no evidence of the same application: another conversation of the same model
        # is compared only when the prompts share a real prefix (a system prompt, not a greeting).
        for prev in reversed(self._model.get(model_key, ())):
            if _similar_prefix(prev, request):
                return prev, False
        return None, False

    def _count_writes(self, request: LoggedRequest, prev: Snapshot | None) -> None:
        stats = self.stats
        stats.write_tokens += request.usage.write_tokens or 0
        if prev is None or not prev.written or not request.usage.cached_tokens:
            return
        if prev.line in self._writes_read:
            return
        stats.write_tokens_read += min(prev.written, request.usage.cached_tokens)
        self._writes_read[prev.line] = None
        if len(self._writes_read) > self._model_cap:
            self._writes_read.popitem(last=False)

    def _count_usage(
        self, request: LoggedRequest, expected: int, *, follow_up: bool, reuse_ceiling: int = 0
    ) -> None:
        stats = self.stats
        usage = request.usage
        if usage.prompt_tokens is not None:
            stats.prompt_tokens += usage.prompt_tokens
        if usage.cached_tokens is None:
            return
        stats.with_usage += 1
        stats.reported_cached += usage.cached_tokens
        stats.expected_cached += expected
        stats.follow_ups += follow_up
        slack = max(self.tolerance, 0.05 * (usage.prompt_tokens or 0))
        if expected < usage.cached_tokens <= reuse_ceiling + slack:
            # Output reuse: the provider cached past the previous input, into the reply this request
            # replays (reasoning models on the Responses API, engines caching generated tokens).
            stats.output_reuse += 1
            return
        if abs(expected - usage.cached_tokens) > slack:
            stats.mismatches += 1
            stats.follow_up_mismatches += follow_up
            if usage.cached_tokens > expected:
                stats.cached_more += 1
            else:
                stats.cached_less += 1

    def _explain(
        self,
        profile: ProviderProfile,
        prev: Snapshot,
        new: Snapshot,
        request: LoggedRequest,
        div: Divergence | None,
        same_conv: bool,
        conv_key: str,
        expected: int,
    ) -> MissEvent | None:
        reported = request.usage.cached_tokens
        minimum = profile.minimum_for(request.model)
        if not profile.caches(request.model):
            return None  # the model has no automatic cache: nothing was there to miss
        if (
            new.read_tokens < minimum
            and prev.read_tokens < minimum
            and profile.rules != "vllm"
            and not reported
        ):
            # Too short to cache, as the related request was: not a miss, a prompt under the
            # minimum (counted in the summary instead of flooding the report).
            self.stats.below_minimum += 1
            return None
        if same_conv:
            potential_raw = prev.prompt_tokens
        else:
            potential_raw = new.tokens(
                min(new.chars_before(new.first_user), prev.chars_before(prev.first_user))
            )
        potential = apply_rule(
            profile, request.model, min(potential_raw, new.prompt_tokens), new.prompt_tokens, new.read_scale
        )
        got = reported if reported is not None else expected
        lost = max(0, potential - got)
        if not same_conv and div is not None and slid(prev, new):
            same_conv, potential_raw = True, prev.prompt_tokens
            potential = apply_rule(
                profile,
                request.model,
                min(potential_raw, new.prompt_tokens),
                new.prompt_tokens,
                new.read_scale,
            )
            lost = max(0, potential - got)
        expected_break_item = len(prev.items) if same_conv else new.first_user
        broke = div is not None and div.item < expected_break_item
        cause: str | None
        if prev.model != new.model:
            if reported:
                return None  # the hit came from another request of this model: nothing to compare
            cause = "model-changed"
        elif expired(profile, prev, new) and not reported:
            cause = "ttl-expired"  # the entry was gone, whatever the prompt looked like
        elif (
            new.read_tokens < minimum
            and potential_raw > 0
            and profile.rules != "vllm"
            and not reported  # the provider reported a hit: its minimum was evidently met
        ):
            cause, lost = "below-minimum", min(potential_raw, new.prompt_tokens)
        elif changed_params(prev, new) and not broke and not reported and got + self.tolerance < potential:
            cause = "params-changed"  # same prompt text, another tool_choice / thinking / cache key
        elif broke and div is not None:
            cause = classify_break(prev, new, div)
        elif profile.rules == "anthropic" and got + self.tolerance < potential:
            limit = len(prev.items) if div is None else div.item
            cause = breakpoint_cause(profile, prev, new, limit)
        elif reported is not None and reported + self.tolerance < expected:
            # Nothing changed before the reusable prefix's end: a later divergence is not the reason,
            # so it is not shown as where the miss happened.
            cause, lost, div = None, expected - reported, None
        else:
            return None
        if cause is not None and cause != "below-minimum" and lost <= 0:
            return None
        return self._event(profile, prev, new, request, div, conv_key, cause, reported, expected, lost)

    def _event(
        self,
        profile: ProviderProfile,
        prev: Snapshot,
        new: Snapshot,
        request: LoggedRequest,
        div: Divergence | None,
        conv_key: str,
        cause: str | None,
        reported: int | None,
        expected: int,
        lost: int,
    ) -> MissEvent:
        price = profile.price_for(request.model)
        item: Item | None = None
        if cause == "model-changed":
            return self._model_event(profile, prev, request, conv_key, reported, expected, lost)
        if cause == "params-changed":
            keys = changed_params(prev, new)
            before, after = dict(prev.params), dict(new.params)
            return replace(
                self._model_event(profile, prev, request, conv_key, reported, expected, lost),
                cause="params-changed",
                section=",".join(keys),
                was=", ".join(f"{k}={self._param(before.get(k))}" for k in keys),
                now=", ".join(f"{k}={self._param(after.get(k))}" for k in keys),
                findings=(),
            )
        if div is not None:
            item = new.items[div.item] if div.item < len(new.items) else prev.items[div.item]
        return MissEvent(
            line=request.line,
            previous_line=prev.line,
            conversation=self._shown(conv_key),
            provider=profile.name,
            model=request.model,
            cause=cause,
            section=None if item is None else item.section,
            message_index=None if item is None else item.index,
            block_index=None if item is None else item.block,
            offset=None if div is None else div.offset,
            was=None if div is None else self._excerpt(div.was, div.offset),
            now=None if div is None else self._excerpt(div.now, div.offset),
            reported_cached=reported,
            expected_cached=expected,
            tokens_lost=lost,
            money_lost=round(lost * (price.miss - price.hit) / 1e6, 9),
            currency=price.currency,
            findings=self._links(cause, new),
            source_checked=self.findings is not None,
        )

    def _model_event(
        self,
        profile: ProviderProfile,
        prev: Snapshot,
        request: LoggedRequest,
        conv_key: str,
        reported: int | None,
        expected: int,
        lost: int,
    ) -> MissEvent:
        price = profile.price_for(request.model)
        return MissEvent(
            line=request.line,
            previous_line=prev.line,
            conversation=self._shown(conv_key),
            provider=profile.name,
            model=request.model,
            cause="model-changed",
            section="model",
            message_index=None,
            block_index=None,
            offset=None,
            was=prev.model,
            now=request.model,
            reported_cached=reported,
            expected_cached=expected,
            tokens_lost=lost,
            money_lost=round(lost * (price.miss - price.hit) / 1e6, 9),
            currency=price.currency,
            findings=(),
            source_checked=self.findings is not None,
        )

    def _links(self, cause: str | None, new: Snapshot) -> tuple[Mapping[str, object], ...]:
        """The `--source` findings that explain `cause` and belong to this request's prompt."""
        if self.findings is None or cause is None:
            return ()
        return self.findings.for_request(cause, new.items)

    def _param(self, value: str | None) -> str:
        if value is None:
            return "(unset)"
        if self.redact:  # a prompt_cache_key is often a user id
            return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return value

    def _shown(self, conv_key: str) -> str:
        """The conversation as reports name it: with `--redact`, a hash of the key, which may be an
        explicit conversation or user id from the log (`user-jane.doe@example.com`)."""
        if not self.redact:
            return conv_key
        digest = hashlib.sha256(conv_key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return f"conversation-{digest}"

    def _excerpt(self, text: str, offset: int) -> str | dict[str, object]:
        if self.redact:
            return {
                "chars": len(text),
                "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
            }
        start = max(0, offset - 30)
        end = min(len(text), offset + 50)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _without_server_tool_tokens(request: LoggedRequest) -> LoggedRequest:
    """A request whose provider ran tools itself: the reported input counts the tools' results and
    every internal turn, which the body does not hold. Prefix arithmetic then uses the body's own
    size (4 characters a token), and a reported hit is capped to it."""
    usage = request.usage
    body = int(request.total_chars / DEFAULT_CHARS_PER_TOKEN)
    cached = None if usage.cached_tokens is None else min(usage.cached_tokens, body)
    return replace(request, usage=replace(usage, prompt_tokens=None, cached_tokens=cached))


def _shared_chars(prev: Snapshot, div: Divergence | None) -> int:
    if div is None:
        return prev.chars_before(len(prev.items))
    return prev.chars_before(div.item) + div.offset


RECENT_PER_MODEL = 8
SIMILAR_SHARE = 0.5  # of the longer system text that two requests share at its start and end


def _similar_prefix(prev: Snapshot, request: LoggedRequest) -> bool:
    """Whether two requests of the same model look like the same application: their text before the
    first user message is mostly the same (shared at the start and at the end, so a timestamp or an
    id on the first line does not hide it)."""
    before = "\x1e".join(it.text for it in prev.items[: prev.first_user])
    after = "\x1e".join(it.text for it in request.items[: request.first_user_item()])
    longest = max(len(before), len(after))
    if longest == 0:
        return False
    head = len(os.path.commonprefix([before, after]))
    tail = len(os.path.commonprefix([before[::-1], after[::-1]]))
    return min(head + tail, longest) >= SIMILAR_SHARE * longest
