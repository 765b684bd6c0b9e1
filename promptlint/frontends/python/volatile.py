"""The table of volatile sources: qualified function names whose results differ between calls.

One table for every rule (DESIGN §3); config extends it with `volatile-functions`. Time values also
carry a granularity, refined by strftime-style format strings (`%Y-%m-%d` -> day).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from promptlint.ir import Granularity, VolatileKind


@dataclass(frozen=True, slots=True)
class VolatileSource:
    kind: VolatileKind
    granularity: Granularity | None = None
    # The call makes an object that yields a new value each use (`next(counter)`): creating it once at
    # import does not freeze what the prompt gets.
    stateful: bool = False


_T, _I, _R = VolatileKind.TIME, VolatileKind.ID, VolatileKind.RANDOM
_SUB, _SEC, _DAY = Granularity.SUBSECOND, Granularity.SECOND, Granularity.DAY

_EXACT: dict[str, VolatileSource] = {
    **{f"datetime.datetime.{f}": VolatileSource(_T, _SUB) for f in ("now", "utcnow", "today")},
    "datetime.date.today": VolatileSource(_T, _DAY),
    **{
        f"time.{f}": VolatileSource(_T, _SUB)
        for f in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")
    },
    **{
        f"time.{f}": VolatileSource(_T, _SEC) for f in ("strftime", "localtime", "gmtime", "ctime", "asctime")
    },
    **{f"pendulum.{f}": VolatileSource(_T, _SUB) for f in ("now", "today")},
    **{f"arrow.{f}": VolatileSource(_T, _SUB) for f in ("now", "utcnow")},
    "django.utils.timezone.now": VolatileSource(_T, _SUB),
    "pandas.Timestamp.now": VolatileSource(_T, _SUB),
    "pandas.Timestamp.utcnow": VolatileSource(_T, _SUB),
    **{f"uuid.{f}": VolatileSource(_I) for f in ("uuid1", "uuid4", "uuid6", "uuid7")},
    "os.urandom": VolatileSource(_I),
    "os.getpid": VolatileSource(_I),
    "socket.gethostname": VolatileSource(_I),
    "platform.node": VolatileSource(_I),
    "threading.get_ident": VolatileSource(_I),
    "itertools.count": VolatileSource(_I, stateful=True),
    "os.uname": VolatileSource(_I),
    "nanoid.generate": VolatileSource(_I),
    "shortuuid.uuid": VolatileSource(_I),
    "ulid.new": VolatileSource(_I),
    **{
        name: VolatileSource(VolatileKind.ORDER)
        for name in ("os.listdir", "os.scandir", "glob.glob", "glob.iglob")
    },
}

_PREFIXES: tuple[tuple[str, VolatileSource], ...] = (
    ("secrets.choice", VolatileSource(_R)),
    ("secrets.", VolatileSource(_I)),
    ("random.", VolatileSource(_R)),
    ("numpy.random.", VolatileSource(_R)),
    ("faker.", VolatileSource(_R)),
)

# Functions of `random` that do not produce a random value (constructors, seeding, state).
_NOT_RANDOM = frozenset(
    {"random.Random", "random.SystemRandom", "random.seed", "random.getstate", "random.setstate"}
)

_KINDS = {k.value: k for k in VolatileKind}


@dataclass(frozen=True)
class VolatileTable:
    """Lookup of volatile sources by qualified name, with user extensions."""

    extra: Mapping[str, VolatileSource]

    @classmethod
    def build(cls, entries: Iterable[str]) -> VolatileTable:
        """Entries are `module.func` (a clock) or `module.func:kind` with kind time|id|random|order."""
        extra: dict[str, VolatileSource] = {}
        for entry in entries:
            name, _, kind = entry.partition(":")
            vk = _KINDS.get(kind or "time", VolatileKind.TIME)
            extra[name] = VolatileSource(vk, _SUB if vk is VolatileKind.TIME else None)
        return cls(extra)

    def lookup(self, qualname: str) -> VolatileSource | None:
        hit = self.extra.get(qualname) or _EXACT.get(qualname)
        if hit is not None:
            return hit
        if qualname in _NOT_RANDOM:
            return None
        for prefix, source in _PREFIXES:
            if qualname.startswith(prefix) and qualname.count(".") == prefix.count("."):
                return source
        return None


# strftime directives by the finest unit they show.
_DIRECTIVE_GRANULARITY: dict[str, Granularity] = {
    **dict.fromkeys("fN", Granularity.SUBSECOND),
    **dict.fromkeys("ScsXTr", Granularity.SECOND),
    **dict.fromkeys("MR", Granularity.MINUTE),
    **dict.fromkeys("HIpkl", Granularity.HOUR),
    **dict.fromkeys("djaAxDFeuwC", Granularity.DAY),
    **dict.fromkeys("UWV", Granularity.WEEK),
    **dict.fromkeys("mbBh", Granularity.MONTH),
    **dict.fromkeys("YyG", Granularity.YEAR),
}
_DIRECTIVE = re.compile(r"%[-_0^#]?([a-zA-Z])")


def format_granularity(fmt: str) -> Granularity | None:
    """Finest time unit a strftime format shows, or None if it shows no time at all."""
    found = [_DIRECTIVE_GRANULARITY[d] for d in _DIRECTIVE.findall(fmt) if d in _DIRECTIVE_GRANULARITY]
    return min(found) if found else None


# Attributes and methods of date/time values and what granularity their result has.
TIME_ATTRIBUTE_GRANULARITY: dict[str, Granularity] = {
    "year": Granularity.YEAR,
    "month": Granularity.MONTH,
    "day": Granularity.DAY,
    "date": Granularity.DAY,
    "weekday": Granularity.DAY,
    "isoweekday": Granularity.DAY,
    "hour": Granularity.HOUR,
    "minute": Granularity.MINUTE,
    "second": Granularity.SECOND,
    "microsecond": Granularity.SUBSECOND,
}
