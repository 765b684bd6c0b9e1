"""Template segments placed in files, and moving them into the file that uses them.

A template's text can come from other files (`include`, `extends`) and can be rendered from Python.
While building, every segment is `Placed`: the segment with spans in its own file `path`, plus the
`anchor` span where it enters the file being linted (the segment's own span there, or the include
tag). `place_in` turns placed segments into IR segments of one file; content from another file gets
an `origin` marked `TEMPLATE_ORIGIN`, so the engine's link pass can report findings where the
template text is written (`engine/link.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from promptlint.diagnostics import Location, Span
from promptlint.ir import Control, Prompt, Segment, Slot, Text

MAX_TEMPLATE_BYTES = 2_000_000  # a template file bigger than this is not read

#: `Location.message` of a segment origin that points into a template file.
TEMPLATE_ORIGIN = "template text"


@dataclass(frozen=True, slots=True)
class Placed:
    """A segment written in `path` (spans in that file) that enters the linted file at `anchor`."""

    seg: Segment
    path: str
    anchor: Span


def is_template_origin(location: Location | None) -> bool:
    return location is not None and location.message == TEMPLATE_ORIGIN


def reanchor(items: Iterable[Placed], anchor: Span) -> list[Placed]:
    return [replace(p, anchor=anchor) for p in items]


def place_in(items: Iterable[Placed], home: str) -> tuple[Segment, ...]:
    """Segments of the file `home` (a template linted on its own)."""
    out: list[Segment] = []
    for item in items:
        seg = item.seg
        if item.path == home:
            out.append(seg)
        elif isinstance(seg, Text):
            out.append(Text(seg.text, item.anchor, False))
        elif isinstance(seg, Slot):
            origin = seg.origin if is_template_origin(seg.origin) else _origin(item)
            out.append(replace(seg, span=item.anchor, origin=origin))
        else:
            out.append(replace(seg, span=item.anchor, origin=_origin(item)))
    return tuple(out)


def transplant(items: Iterable[Placed], home: str, call: Span) -> tuple[Segment, ...]:
    """Segments of a template rendered by Python file `home` at `call`.

    Text moves to the call; a slot moves to its argument when that is in `home` (a binding's origin
    is the Python culprit), else to the call; every origin points at the template text.
    """
    out: list[Segment] = []
    for item in items:
        seg = item.seg
        if isinstance(seg, Text):
            out.append(Text(seg.text, call, False))
        elif isinstance(seg, Slot):
            py = seg.origin
            span = py.span if py is not None and py.path == home and not is_template_origin(py) else call
            out.append(replace(seg, span=span, origin=_origin(item)))
        else:
            out.append(replace(seg, span=call, origin=_origin(item)))
    return tuple(out)


def _origin(item: Placed) -> Location:
    return Location(item.path, item.seg.span, TEMPLATE_ORIGIN)


def template_paths(prompts: Iterable[Prompt], home: str) -> tuple[str, ...]:
    """Files other than `home` whose template text appears in `prompts` (sorted, unique)."""
    found: set[str] = set()
    for prompt in prompts:
        for _pi, _si, seg in prompt.walk():
            origin = seg.origin if isinstance(seg, Slot | Control) else None
            if origin is not None and is_template_origin(origin) and origin.path != home:
                found.add(origin.path)
    return tuple(sorted(found))
