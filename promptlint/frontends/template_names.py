"""What a template variable's name says about it, and `promptlint:` directives in template comments.

Shared by the Jinja, Prompty and plain-text frontends. A variable nobody binds is of unknown origin (never reported as per-request); one whose
name says clock (`now`, `current_date`, `timestamp`) or per-call id (`request_id`, `uuid`, `nonce`) is
VOLATILE "by name" (DESIGN §3). `{# promptlint: stable=a,b #}` declares variables stable and
`{# promptlint: role=user #}` sets the role of a template's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.diagnostics import Span
from promptlint.ir import Granularity, Role, Slot, Stability, VolatileKind

_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_TIME_CORE = frozenset({"now", "today", "date", "datetime", "time", "timestamp", "clock", "tstamp"})
_TIME_WORDS = _TIME_CORE | frozenset(
    {"current", "utc", "local", "todays", "str", "string", "iso", "stamp", "formatted", "the", "of", "day"}
)
_DAY_WORDS = frozenset({"today", "date", "todays", "day"})
_ID_LAST = frozenset({"uuid", "guid", "nonce", "uid"})
_ID_QUALIFIERS = frozenset(
    {
        "request",
        "trace",
        "span",
        "correlation",
        "run",
        "call",
        "invocation",
        "execution",
        "unique",
        "random",
        "transaction",
        "event",
        "idempotency",
    }
)
_DIRECTIVE = re.compile(r"promptlint:\s*(?P<key>stable|role)\s*=\s*(?P<value>[\w\s,.-]*)")
_ROLES = {"system": Role.SYSTEM, "developer": Role.DEVELOPER, "user": Role.USER, "assistant": Role.ASSISTANT}


def words(name: str) -> list[str]:
    """`currentTime_utc` -> ['current', 'time', 'utc']."""
    return [w.lower() for part in re.split(r"[_\W]+", name) for w in _WORDS.findall(part)]


def guess(name: str, label: str, span: Span) -> Slot:
    """The slot for variable `name` when nothing binds it: volatile by name, else unknown."""
    found = name_says_volatile(name)
    if found is not None:
        kind, granularity = found
        return Slot(label, span, Stability.VOLATILE, f"{label} (by name)", kind, granularity, by_name=True)
    return Slot(label, span, Stability.UNKNOWN, f"template variable `{name}`")


def name_says_volatile(name: str) -> tuple[VolatileKind, Granularity | None] | None:
    """(kind, granularity) when the name says clock or per-call id, else None."""
    ws = words(name)
    if not ws:
        return None
    if ws[-1] in _ID_LAST or (len(ws) >= 2 and ws[-1] == "id" and ws[-2] in _ID_QUALIFIERS):
        return VolatileKind.ID, None
    if "key" == ws[-1] and ws[:-1] == ["idempotency"]:
        return VolatileKind.ID, None
    if set(ws) <= _TIME_WORDS and set(ws) & _TIME_CORE:
        day = set(ws) & _DAY_WORDS and not set(ws) & {"time", "datetime", "timestamp", "now", "clock"}
        return VolatileKind.TIME, Granularity.DAY if day else None
    return None


@dataclass(frozen=True, slots=True)
class Directives:
    """Declarations read from `promptlint:` comments."""

    stable: frozenset[str] = frozenset()
    role: Role | None = None


def read_directives(comments: list[str]) -> Directives:
    """Collect `stable=a,b` and `role=user` from comment texts (unknown roles are ignored)."""
    stable: set[str] = set()
    role: Role | None = None
    for comment in comments:
        for match in _DIRECTIVE.finditer(comment):
            value = match.group("value")
            if match.group("key") == "stable":
                stable.update(v for v in re.split(r"[\s,]+", value) if v)
            else:
                role = _ROLES.get(value.strip().lower(), role)
    return Directives(frozenset(stable), role)
