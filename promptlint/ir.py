"""The prompt IR: what every frontend produces and every rule reads.

A `Prompt` is one request shape: ordered `Part`s (in the order the provider serialises them), each a
sequence of `Segment`s — literal `Text`, `Slot`s (holes with a stability) and `Control` markers
(conditionals, loops). Beside prompts, a file's `FileFacts` carry code-shape facts that are not prompt
text: cache headers, cache breakpoints, history operations, and a parse failure if there was one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from promptlint.diagnostics import Fix, Location, Span


class Stability(enum.IntEnum):
    """How often a value changes, from never (STATIC) to on every call (VOLATILE).

    UNKNOWN is a value whose origin promptlint cannot see (a parameter nobody is known to pass
    per-request data to, an attribute of an object, a template variable no Python renders): it may
    vary, but nothing proves it, so no rule reports it. SESSION and above need evidence.
    """

    STATIC = 0
    DEPLOYMENT = 1
    UNKNOWN = 2
    SESSION = 3
    REQUEST = 4
    VOLATILE = 5

    @property
    def label(self) -> str:
        return _STABILITY_LABELS[self]


_STABILITY_LABELS = {
    Stability.STATIC: "never",
    Stability.DEPLOYMENT: "deployment",
    Stability.UNKNOWN: "unknown",
    Stability.SESSION: "user or session",
    Stability.REQUEST: "request",
    Stability.VOLATILE: "call",
}


#: `Slot.cause` prefix of a slot holding a whole conversation history re-serialised as text (PC402).
RESERIALISED = "history re-serialised: "

#: `Slot.cause` suffix of a parameter declared as a number (`page_limit: int`, `retries=3`): a setting
#: or a count, whatever prompt it is filled into, never the user's message.
NUMBER_PARAMETER = " (a number)"


class VolatileKind(enum.StrEnum):
    """Why a VOLATILE value differs between otherwise identical requests."""

    TIME = "time"
    ID = "id"
    RANDOM = "random"
    ORDER = "order"


class Granularity(enum.IntEnum):
    """How often a clock value changes; `label` is the human word."""

    SUBSECOND = 0
    SECOND = 1
    MINUTE = 2
    HOUR = 3
    DAY = 4
    WEEK = 5
    MONTH = 6
    YEAR = 7

    @property
    def label(self) -> str:
        return "sub-second" if self is Granularity.SUBSECOND else self.name.lower()


class Role(enum.StrEnum):
    """Where a part sits in the request. HISTORY is an opaque run of earlier messages."""

    TOOLS = "tools"
    SCHEMA = "schema"
    SYSTEM = "system"
    DEVELOPER = "developer"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    HISTORY = "history"


class Provider(enum.StrEnum):
    OPENAI = "openai"
    DEEPSEEK = "deepseek"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"
    LITELLM = "litellm"
    LANGCHAIN = "langchain"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Text:
    """Literal prompt text. `exact` is False when `span` covers a whole literal, not this text."""

    text: str
    span: Span
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    """A hole in the prompt text.

    `span` is where the value enters the prompt in this file; `origin` is the culprit expression
    (possibly in another module) that makes it vary; `cause` names it for humans.
    """

    label: str
    span: Span
    stability: Stability
    cause: str = ""
    kind: VolatileKind | None = None
    granularity: Granularity | None = None
    origin: Location | None = None
    fix: Fix | None = None  # an edit at `origin` that would make the value stable, if the frontend knows one
    # The steps the value took from `origin` to `span` (assignments, returns, attributes), in order.
    steps: tuple[Location, ...] = ()
    # Volatile only because a template variable nobody binds is named like a clock or an id.
    by_name: bool = False


@dataclass(frozen=True, slots=True)
class Control:
    """A branch or loop that shapes the text after it (`if`, `for`, conditional expression).

    `stability` is how often the condition or iterable changes (None: unknown); `origin` is where the
    control is written when that is another file (a template rendered from Python or included).
    """

    kind: str
    span: Span
    label: str = ""
    stability: Stability | None = None
    origin: Location | None = None


Segment = Text | Slot | Control

# A slot standing for literal text the evaluator did not spell out (past its size bound); its `cause`
# starts with the number of characters it stands for. Token counts over it are estimates.
SUMMARY_LABEL = "text past the evaluation budget"
CHARS_PER_TOKEN_ESTIMATE = 4


def is_summary(seg: Segment) -> bool:
    """Whether `seg` stands for text past the evaluator's bound."""
    return type(seg) is Slot and seg.label == SUMMARY_LABEL


def summary_slot(span: Span, chars: int) -> Slot:
    """A slot standing for `chars` characters of text past the evaluator's bound."""
    return Slot(SUMMARY_LABEL, span, Stability.STATIC, f"{chars} characters not evaluated")


def summarised_chars(seg: Slot) -> int:
    """The characters a summary slot stands for."""
    head = seg.cause.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


@dataclass(frozen=True, slots=True)
class Part:
    role: Role
    segments: tuple[Segment, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class CacheBreakpoint:
    """An Anthropic `cache_control` marker after segment `segment` of part `part` (-1 = automatic)."""

    part: int
    segment: int
    span: Span
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Prompt:
    """One request shape found in a file."""

    provider: Provider
    site: Span
    parts: tuple[Part, ...]
    breakpoints: tuple[CacheBreakpoint, ...] = ()
    model: str | None = None

    def walk(self) -> Iterator[tuple[int, int, Segment]]:
        """Every segment with its (part, segment) index, in serialisation order."""
        for pi, part in enumerate(self.parts):
            for si, seg in enumerate(part.segments):
                yield pi, si, seg

    def after(self, part: int, segment: int) -> Iterator[tuple[int, int, Segment]]:
        """Segments strictly after (part, segment), in serialisation order.

        Starts at the position (rules call this once per slot: a scan from the start would make a
        prompt with many slots quadratic).
        """
        for pi in range(max(part, 0), len(self.parts)):
            segments = self.parts[pi].segments
            for si in range(segment + 1 if pi == part else 0, len(segments)):
                yield pi, si, segments[si]

    def before(self, part: int, segment: int) -> Iterator[tuple[int, int, Segment]]:
        """Segments up to and including (part, segment)."""
        for pi in range(min(part + 1, len(self.parts))):
            segments = self.parts[pi].segments
            for si in range(min(segment + 1, len(segments)) if pi == part else len(segments)):
                yield pi, si, segments[si]


class HeaderKind(enum.StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True, slots=True)
class HeaderUse:
    """A header name literal sent with a request or read from a response.

    `removal` is the span to delete to drop it (the dict entry with its separator), when known;
    `siblings` are all key names of the same dict literal and `container_removal` deletes the whole
    keyword argument carrying it (for when no entry would be left).
    """

    name: str
    span: Span
    kind: HeaderKind
    removal: Span | None = None
    siblings: tuple[str, ...] = ()
    container_removal: Span | None = None


class HistoryOpKind(enum.StrEnum):
    FRONT_SLICE = "front-slice"
    POP_FRONT = "pop-front"
    DELETE_EARLY = "delete-early"
    BOUNDED_DEQUE = "bounded-deque"
    EARLY_INSERT = "early-insert"
    HEAD_RESAVED = "head-resaved"  # a head put before a kept history that is then saved back
    REWRITE = "rewrite"
    RESERIALISE = "reserialise"


@dataclass(frozen=True, slots=True)
class HistoryOp:
    """An operation on a conversation history list that shifts or rewrites its prefix."""

    kind: HistoryOpKind
    span: Span
    target: str
    detail: str = ""
    chain: tuple[Location, ...] = ()  # where the changed list is sent, when known
    # Whether the value written is proven to vary between calls, when already decided where it is
    # built (a helper's edit of its caller's list); None: decided by the history evidence.
    varies: bool | None = None


@dataclass(frozen=True, slots=True)
class RepeatedBreakpoint:
    """A `cache_control` marker written once per item of a loop (`frontends/python/marker_loops.py`).

    `items` is the most items the code lets the loop mark (None: the code does not bound it); `scope`
    is the function it sits in; `helper`/`helper_span` name the same-module function whose marker the
    loop's call makes, when it is one.
    """

    span: Span
    loop: Span
    iterable: str
    items: int | None
    scope: Span
    helper: str = ""
    helper_span: Span | None = None
    # The list the loop's request sends and grows each round, keeping every earlier round's marker
    # (`messages` of an agent loop that marks its newest tool result); "" for one marker per item.
    kept_in: str = ""


@dataclass(frozen=True, slots=True)
class ParseFailure:
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything one frontend learned about one file."""

    prompts: tuple[Prompt, ...] = ()
    headers: tuple[HeaderUse, ...] = ()
    history: tuple[HistoryOp, ...] = ()
    repeated_breakpoints: tuple[RepeatedBreakpoint, ...] = ()
    parse_failure: ParseFailure | None = None
    related_paths: tuple[str, ...] = field(default=())
    approximate_columns: bool = False  # rewritten from newer syntax: positions by line only, no fixes
