"""The "after fix" what-if as an IR transformation: move dynamic slots behind the static text.

Every VOLATILE, REQUEST or SESSION slot that precedes static text (a non-blank `Text` anywhere later
in the prompt) moves, in order, to the end of the last part. Breakpoints are remapped to the segment
that now ends where they ended (or the nearest earlier one still in that part). This mirrors what the
fixer's unsafe "move to the end of the last user message" fix does, without depending on it.
"""

from __future__ import annotations

import dataclasses

from promptlint.ir import CacheBreakpoint, Part, Prompt, Segment, Slot, Stability, Text

_DYNAMIC = (Stability.SESSION, Stability.REQUEST, Stability.VOLATILE)


def move_dynamic_to_end(prompt: Prompt) -> Prompt:
    """`prompt` with dynamic slots that precede static text moved to the end of the last part."""
    segments = list(prompt.walk())
    last_static = max(
        (i for i, (_, _, seg) in enumerate(segments) if isinstance(seg, Text) and seg.text.strip()),
        default=-1,
    )
    moving = {
        (pi, si)
        for i, (pi, si, seg) in enumerate(segments)
        if i < last_static and isinstance(seg, Slot) and seg.stability in _DYNAMIC
    }
    if not moving or not prompt.parts:
        return prompt
    moved: list[Segment] = [seg for pi, si, seg in segments if (pi, si) in moving]
    new_index: dict[tuple[int, int], int] = {}
    parts: list[Part] = []
    for pi, part in enumerate(prompt.parts):
        kept: list[Segment] = []
        for si, seg in enumerate(part.segments):
            if (pi, si) in moving:
                new_index[(pi, si)] = len(kept) - 1
                continue
            new_index[(pi, si)] = len(kept)
            kept.append(seg)
        parts.append(dataclasses.replace(part, segments=tuple(kept)))
    last = parts[-1]
    parts[-1] = dataclasses.replace(last, segments=last.segments + tuple(moved))
    breakpoints = tuple(_remap(bp, new_index) for bp in prompt.breakpoints)
    return dataclasses.replace(prompt, parts=tuple(parts), breakpoints=breakpoints)


def _remap(bp: CacheBreakpoint, new_index: dict[tuple[int, int], int]) -> CacheBreakpoint:
    if bp.automatic or (bp.part, bp.segment) not in new_index:
        return bp
    return dataclasses.replace(bp, segment=max(0, new_index[(bp.part, bp.segment)]))
