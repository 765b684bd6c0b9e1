"""Stream a JSONL log line by line: normalised requests, or malformed-line records with line numbers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from promptlint.trace.normalise import LoggedRequest, MalformedRecord, parse_line


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """A line that could not be used; it is reported and skipped."""

    line: int
    message: str


def read_log(
    lines: Iterable[bytes | str], provider: str | None = None
) -> Iterator[LoggedRequest | MalformedLine]:
    """Parse each non-blank line; never holds more than one line in memory."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield MalformedLine(number, f"invalid JSON: {exc}")
            continue
        try:
            yield parse_line(number, obj, provider)
        except MalformedRecord as exc:
            yield MalformedLine(number, str(exc))
