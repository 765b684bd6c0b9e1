"""How often `promptlint trace` agrees with the cache hits providers reported on real recorded traffic.

Reads the export of `export.py` (default `~/.cache/promptlint-trace-real/all.jsonl`), feeds it through
trace's `Tracker` in recorded order and prints, per provider profile, the follow-up requests (those
with an earlier related request and reported usage) and how many of them the cache model disagrees
with (by more than trace's own tolerance), first for follow-ups whose related request was recorded
in the same cassette (one recording session), then for all. Then the miss causes given to requests
the provider reported as a full or partial hit. A development-time benchmark: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from promptlint.providers import build_profiles, default_profile_data
from promptlint.trace.expect import Snapshot
from promptlint.trace.normalise import LoggedRequest
from promptlint.trace.reader import MalformedLine, read_log
from promptlint.trace.tracker import Tracker

DEFAULT = Path.home() / ".cache" / "promptlint-trace-real" / "all.jsonl"


@dataclass
class FollowUp:
    line: int
    provider: str
    same_cassette: bool
    expected: int
    reported: int
    agrees: bool


class MeasuredTracker(Tracker):
    """A `Tracker` that remembers, per follow-up request, the related request and the agreement."""

    def __init__(self, cassettes: list[tuple[str, str]]) -> None:
        super().__init__(build_profiles(default_profile_data()))
        self.cassettes = cassettes
        self.follow_ups: list[FollowUp] = []
        self._prev: Snapshot | None = None

    def _related(
        self, conv_key: str, fu_key: str, model_key: str, first_text: str, request: LoggedRequest
    ) -> tuple[Snapshot | None, bool]:
        prev, same = super()._related(conv_key, fu_key, model_key, first_text, request)
        self._prev = prev
        return prev, same

    def _count_usage(
        self, request: LoggedRequest, expected: int, *, follow_up: bool, reuse_ceiling: int = 0
    ) -> None:
        before = self.stats.follow_up_mismatches
        super()._count_usage(request, expected, follow_up=follow_up, reuse_ceiling=reuse_ceiling)
        prev = self._prev
        if prev is None or request.usage.cached_tokens is None:
            return
        self.follow_ups.append(
            FollowUp(
                line=request.line,
                provider=request.provider,
                same_cassette=self.cassettes[prev.line - 1] == self.cassettes[request.line - 1],
                expected=expected,
                reported=request.usage.cached_tokens,
                agrees=self.stats.follow_up_mismatches == before,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    raw = args.log.read_bytes().splitlines()
    cassettes = []
    for line in raw:
        source = json.loads(line).get("source") or {}
        cassettes.append((str(source.get("repo")), str(source.get("path"))))
    tracker = MeasuredTracker(cassettes)
    causes: dict[int, str] = {}
    for record in read_log(raw):
        if isinstance(record, MalformedLine):
            continue
        event = tracker.feed(record)
        if event is not None:
            causes[record.line] = event.cause or "unexplained"
    for title, rows in (
        ("follow-ups related within one cassette", [f for f in tracker.follow_ups if f.same_cassette]),
        ("all follow-ups", tracker.follow_ups),
    ):
        total, agree = Counter(f.provider for f in rows), Counter(f.provider for f in rows if f.agrees)
        n, a = len(rows), sum(f.agrees for f in rows)
        print(f"{title}: {a} of {n} agree ({a / n:.1%})" if n else f"{title}: none")
        for provider in sorted(total, key=lambda p: -total[p]):
            print(
                f"  {provider:<12} {agree[provider]:>5} of {total[provider]:>5} ({agree[provider] / total[provider]:.1%})"
            )
    on_hits = Counter(causes[f.line] for f in tracker.follow_ups if f.reported > 0 and f.line in causes)
    full = sum(
        1
        for f in tracker.follow_ups
        if f.reported > 0 and f.line in causes and f.reported + tracker.tolerance >= f.expected
    )
    print(f"miss events on requests with a reported hit: {dict(sorted(on_hits.items()))}")
    print(f"  of them partial hits that served the prefix up to the change, as expected: {full}")
    counts = {k: v for k, v in asdict(tracker.stats).items() if isinstance(v, int)}
    print(f"summary: {json.dumps(counts)}")


if __name__ == "__main__":
    main()
