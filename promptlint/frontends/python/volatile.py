"""The table of volatile sources: qualified function names whose results differ between calls.

One table for every rule (DESIGN §3), kept as data in `data/volatile.toml`; config extends it with
`volatile-functions`. Time values also
carry a granularity, refined by strftime-style format strings (`%Y-%m-%d` -> day).
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from promptlint.ir import Granularity, VolatileKind


@dataclass(frozen=True, slots=True)
class VolatileSource:
    kind: VolatileKind
    granularity: Granularity | None = None
    # The call makes an object that yields a new value each use (`next(counter)`): creating it once at
    # import does not freeze what the prompt gets.
    stateful: bool = False


_KINDS = {k.value: k for k in VolatileKind}
_GRANULARITIES = {g.name.lower(): g for g in Granularity}


@dataclass(frozen=True, slots=True)
class _Packaged:
    exact: Mapping[str, VolatileSource]
    prefixes: tuple[tuple[str, VolatileSource], ...]
    exceptions: frozenset[str]
    measures: frozenset[str]
    reference_keywords: frozenset[str]
    carriers: re.Pattern[str]
    seeding: tuple[tuple[str, frozenset[str]], ...]
    picks: frozenset[str]


def _source(entry: Mapping[str, object]) -> VolatileSource:
    kind = _KINDS[str(entry["kind"])]
    granularity = entry.get("granularity")
    return VolatileSource(
        kind,
        _GRANULARITIES[str(granularity)]
        if granularity
        else (Granularity.SUBSECOND if kind is VolatileKind.TIME else None),
        bool(entry.get("stateful", False)),
    )


@cache
def _packaged() -> _Packaged:
    """`data/volatile.toml`, read once per process (package data, not user input)."""
    data = tomllib.loads(
        (importlib.resources.files("promptlint") / "data" / "volatile.toml").read_text("utf-8")
    )
    exact = {name: _source(entry) for entry in data.get("source", []) for name in entry["names"]}
    prefixes = tuple((str(entry["prefix"]), _source(entry)) for entry in data.get("prefix", []))
    return _Packaged(
        exact,
        prefixes,
        frozenset(data.get("exceptions", {}).get("names", [])),
        frozenset(data.get("measures", {}).get("names", [])),
        frozenset(data.get("reference_keywords", {}).get("names", [])),
        re.compile(str(data.get("carriers", {}).get("pattern", "(?!)"))),
        tuple((str(prefix), frozenset(names)) for prefix, names in data.get("seeding", {}).items()),
        frozenset(data.get("picks", {}).get("names", [])),
    )


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
            extra[name] = VolatileSource(vk, Granularity.SUBSECOND if vk is VolatileKind.TIME else None)
        return cls(extra)

    def measures(self, final_name: str) -> bool:
        """A call by this final name returns a size of its arguments (`len`, `count_tokens`)."""
        return final_name in _packaged().measures

    def carries(self, final_name: str) -> bool:
        """A call promptlint cannot follow by this final name is known to put a per-call value it is
        given into its result (`str`, `format_time`, `render`); others are not (`route(now)`)."""
        return _packaged().carriers.search(final_name) is not None

    def reference_keyword(self, keyword: str) -> bool:
        """A clock passed under this keyword is a reference time (`now=`, `since=`)."""
        return keyword in _packaged().reference_keywords

    def picks_one(self, qualname: str) -> bool:
        """`random.choice`: a random call that returns one element of the collection it is given."""
        return qualname in _packaged().picks

    def seeded_by(self, qualname: str) -> frozenset[str]:
        """The seeding calls (`random.seed`) that make the random source `qualname` repeat."""
        for prefix, seeds in _packaged().seeding:
            if qualname.startswith(prefix) and qualname.count(".") == prefix.count("."):
                return seeds
        return frozenset()

    def lookup(self, qualname: str) -> VolatileSource | None:
        table = _packaged()
        hit = self.extra.get(qualname) or table.exact.get(qualname)
        if hit is not None:
            return hit
        if qualname in table.exceptions:
            return None
        for prefix, source in table.prefixes:
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
