"""Write trace results as they stream: human text or one JSON document, plus a summary at the end.

Both writers emit each event as soon as it is produced, so output memory does not grow with the log.
JSON shape: `{"events": [{"kind": "miss", ...} | {"kind": "malformed", "line", "message"}], "summary": {...}}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Protocol

from promptlint.providers import RELATIVE
from promptlint.trace.events import MissEvent, TraceStats, ranked
from promptlint.trace.reader import MalformedLine

Write = Callable[[str], object]


class TraceWriter(Protocol):
    def event(self, event: MissEvent) -> None: ...
    def malformed(self, record: MalformedLine) -> None: ...
    def finish(self, stats: TraceStats) -> None: ...


def summary(stats: TraceStats) -> dict[str, object]:
    ratio = stats.reported_cached / stats.prompt_tokens if stats.prompt_tokens else 0.0
    return {
        "requests": stats.requests,
        "malformed_lines": stats.malformed,
        "cold_requests": stats.cold,
        "misses": stats.misses,
        "prompt_tokens": stats.prompt_tokens,
        "reported_cached_tokens": stats.reported_cached,
        "expected_cached_tokens": stats.expected_cached,
        "requests_with_usage": stats.with_usage,
        "expected_vs_reported_mismatches": stats.mismatches,
        "follow_up_requests_with_usage": stats.follow_ups,
        "follow_up_mismatches": stats.follow_up_mismatches,
        "follow_up_agreement": round(1 - stats.follow_up_mismatches / stats.follow_ups, 6)
        if stats.follow_ups
        else None,
        "provider_cached_more_than_expected": stats.cached_more,
        "provider_cached_less_than_expected": stats.cached_less,
        "output_reuse": stats.output_reuse,
        "below_minimum_requests": stats.below_minimum,
        "cache_write_tokens": stats.write_tokens,
        "cache_write_tokens_never_read": stats.writes_never_read,
        "reported_hit_ratio": round(ratio, 6),
        "tokens_lost": stats.tokens_lost,
        "money_lost": {k: round(v, 9) for k, v in sorted(stats.money_lost.items())},
        "causes": dict(sorted(stats.causes.items())),
        "ranked": {
            "causes": [
                {"cause": cause, "misses": stats.causes[cause], "input_token_equivalents": round(loss)}
                for cause, loss in ranked(stats.loss_by_cause)
            ],
            "conversations": [
                {"conversation": conv, "input_token_equivalents": round(loss)}
                for conv, loss in ranked(stats.loss_by_conversation)[:TOP_CONVERSATIONS]
            ],
        },
    }


TOP_CONVERSATIONS = 10


class JsonWriter:
    def __init__(self, write: Write) -> None:
        self._write = write
        self._first = True
        write('{"events": [')

    def _item(self, obj: dict[str, object]) -> None:
        self._write(("\n" if self._first else ",\n") + json.dumps(obj, ensure_ascii=False, sort_keys=True))
        self._first = False

    def event(self, event: MissEvent) -> None:
        self._item({"kind": "miss", **asdict(event)})

    def malformed(self, record: MalformedLine) -> None:
        self._item({"kind": "malformed", "line": record.line, "message": record.message})

    def finish(self, stats: TraceStats) -> None:
        self._write('\n], "summary": ' + json.dumps(summary(stats), sort_keys=True) + "}\n")


class TextWriter:
    def __init__(self, write: Write) -> None:
        self._write = write

    def event(self, event: MissEvent) -> None:
        where = _where(event)
        cause = event.cause or "unexplained (no prefix change: eviction, routing or concurrency?)"
        lines = [f"line {event.line}: miss ({cause}) {where}, compared with line {event.previous_line}"]
        if event.was is not None or event.now is not None:
            lines.append(f"  was: {_show(event.was)}")
            lines.append(f"  now: {_show(event.now)}")
        reported = "n/a" if event.reported_cached is None else f"{event.reported_cached:,}"
        lines.append(
            f"  cached: reported {reported}, expected {event.expected_cached:,}; "
            f"lost {event.tokens_lost:,} tokens ({_money(event.money_lost, event.currency)})"
        )
        for finding in event.findings:
            lines.append(
                f"  source: {finding.get('code')} {finding.get('location')} {finding.get('message')}"
            )
        if event.source_checked and not event.findings and event.cause is not None:
            lines.append("  source: no finding in the linted tree matches this request's prompt")
        self._write("\n".join(lines) + "\n")

    def malformed(self, record: MalformedLine) -> None:
        self._write(f"line {record.line}: skipped malformed line: {record.message}\n")

    def finish(self, stats: TraceStats) -> None:
        data = summary(stats)
        money = ", ".join(_money(v, k) for k, v in sorted(stats.money_lost.items())) or "0"
        causes = ", ".join(f"{k} {v}" for k, v in sorted(stats.causes.items())) or "none"
        self._write(
            f"\n{data['requests']} requests ({data['malformed_lines']} malformed lines skipped, "
            f"{data['cold_requests']} with no earlier related request), {data['misses']} misses explained\n"
            f"cached tokens: reported {stats.reported_cached:,} of {stats.prompt_tokens:,} prompt tokens "
            f"({data['reported_hit_ratio']:.1%}); expected by the cache model {stats.expected_cached:,}; "
            f"{stats.mismatches} requests differ from the model "
            f"(provider cached more: {stats.cached_more}, less: {stats.cached_less}); "
            f"follow-ups agreeing: {_agreement(stats)}\n"
            f"lost: {stats.tokens_lost:,} tokens, {money}\ncauses: {causes}\n"
            + (
                f"{stats.below_minimum:,} requests too short to cache, as were the requests before them\n"
                if stats.below_minimum
                else ""
            )
            + _ranking(stats)
            + (
                f"cache writes: {stats.write_tokens:,} tokens, "
                f"{stats.writes_never_read:,} never read by a later request\n"
                if stats.write_tokens
                else ""
            )
        )


def _ranking(stats: TraceStats) -> str:
    """The causes and the conversations that cost most, in uncached-input-token equivalents."""
    if not stats.loss_by_cause:
        return ""
    causes = ", ".join(f"{cause} {loss:,.0f}" for cause, loss in ranked(stats.loss_by_cause))
    convs = ", ".join(f"{conv} {loss:,.0f}" for conv, loss in ranked(stats.loss_by_conversation)[:3])
    return f"costliest causes (input-token equivalents): {causes}\ncostliest conversations: {convs}\n"


def _agreement(stats: TraceStats) -> str:
    if not stats.follow_ups:
        return "n/a"
    agree = stats.follow_ups - stats.follow_up_mismatches
    return f"{agree} of {stats.follow_ups} ({agree / stats.follow_ups:.1%})"


def _where(event: MissEvent) -> str:
    if event.section is None:
        return "(no prefix change)"
    parts = [f"in {event.section}"]
    if event.message_index is not None:
        parts.append(f"message {event.message_index}")
    if event.block_index:
        parts.append(f"block {event.block_index}")
    if event.offset is not None:
        parts.append(f"char {event.offset}")
    return " ".join(parts)


def _show(value: str | dict[str, object] | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return f"<redacted: {value.get('chars')} chars, sha256 {value.get('sha256')}>"
    return json.dumps(value, ensure_ascii=False)


def _money(amount: float, currency: str) -> str:
    if currency == RELATIVE:
        return f"{amount * 1e6:,.0f} base-input-token eq."
    return f"{amount:.6f} {currency}"
