"""Turn evaluated request arguments into IR parts: messages, content blocks, tools, schemas.

Knows the providers' request shapes: role/content dicts, LangChain message objects and `(role, text)`
tuples, content-block lists with `cache_control`, tool lists, and opaque histories spliced in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlint.diagnostics import Span
from promptlint.frontends.python.strings import template_fields
from promptlint.frontends.python.values import Map, Msg, Opaque, Ref, Seq, Str, Value, static_text
from promptlint.ir import CacheBreakpoint, Control, Part, Role, Segment, Slot, Text

_ROLES = {
    "system": Role.SYSTEM,
    "developer": Role.DEVELOPER,
    "user": Role.USER,
    "human": Role.USER,
    "assistant": Role.ASSISTANT,
    "ai": Role.ASSISTANT,
    "model": Role.ASSISTANT,
    "tool": Role.TOOL,
    "function": Role.TOOL,
    "history": Role.HISTORY,
}
_TEXT_KEYS = ("text", "input_text", "content")


@dataclass
class PartsBuilder:
    """Accumulates parts and breakpoints in serialisation order."""

    parts: list[Part] = field(default_factory=list)
    breakpoints: list[CacheBreakpoint] = field(default_factory=list)

    def add(
        self, role: Role, segments: list[Segment], span: Span, marks: list[tuple[int, Span]] | None = None
    ) -> None:
        index = len(self.parts)
        self.parts.append(Part(role, tuple(segments), span))
        for seg_index, mark in marks or ():
            self.breakpoints.append(CacheBreakpoint(index, seg_index, mark))

    def add_messages(self, value: Value, span: Span, templates: bool = False) -> None:
        for item in value.items if isinstance(value, Seq) else (value,):
            self._add_message(item, span, templates)

    def _add_message(self, item: Value, span: Span, templates: bool) -> None:
        if isinstance(item, Map) and item.get("role") is not None:
            role_value = item.get("role")
            role_text = static_text(role_value) if isinstance(role_value, Str) else None
            role = _ROLES.get((role_text or "user").lower(), Role.USER)
            content = item.get("content")
            if content is None:
                content = item.get("parts")
            segments, marks = content_segments(content, templates)
            entry = item.entry("cache_control")
            if entry is not None:
                marks.append((max(len(segments) - 1, 0), entry.key_span))
            self.add(role, segments, item.span, marks)
        elif isinstance(item, Msg):
            segments, marks = content_segments(item.content, templates)
            self.add(_ROLES.get(item.role, Role.USER), segments, item.span, marks)
        elif isinstance(item, Seq) and len(item.items) == 2 and isinstance(item.items[0], Str):
            role_text = static_text(item.items[0]) or "user"
            segments, marks = content_segments(item.items[1], templates)
            self.add(_ROLES.get(role_text.lower(), Role.USER), segments, item.span, marks)
        elif isinstance(item, Opaque):
            self.add(Role.HISTORY if item.iterable_of_messages else Role.USER, [item.as_slot()], item.span)
        elif isinstance(item, Str):
            segments, marks = content_segments(item, templates)
            self.add(Role.USER, segments, span, marks)


def content_segments(
    content: Value | None, templates: bool = False
) -> tuple[list[Segment], list[tuple[int, Span]]]:
    """Segments of a message's content (string or block list) and its `cache_control` marks."""
    if content is None:
        return [], []
    if isinstance(content, Str):
        value = template_fields(content) if templates else content
        return list(value.segments), []
    if isinstance(content, Opaque):
        return [content.as_slot()], []
    if isinstance(content, Msg):
        return content_segments(content.content, templates)
    if not isinstance(content, Seq | Map):
        return [], []  # a function or class (`instructions=make_instructions`): no text of its own
    blocks = content.items if isinstance(content, Seq) else (content,)
    segments: list[Segment] = []
    marks: list[tuple[int, Span]] = []
    for block in blocks:
        if isinstance(block, Map):
            for key in _TEXT_KEYS:
                inner = block.get(key)
                if inner is not None:
                    segs, _ = content_segments(inner, templates)
                    segments.extend(segs)
                    break
            entry = block.entry("cache_control")
            if entry is not None:
                marks.append((max(len(segments) - 1, 0), entry.key_span))
        else:
            segs, inner_marks = content_segments(block, templates)
            segments.extend(segs)
            marks.extend(inner_marks)
    return segments, marks


def structure_segments(value: Value, marks: list[tuple[int, Span]], out: list[Segment]) -> None:
    """Render a tools/schema value as JSON-like text with holes; collect `cache_control` marks."""
    if isinstance(value, Str):
        out.append(Text('"', _span_of(value)))
        out.extend(value.segments)
        out.append(Text('"', _span_of(value)))
    elif isinstance(value, Opaque):
        out.append(value.as_slot())
    elif isinstance(value, Seq):
        out.append(Text("[", value.span))
        for i, item in enumerate(value.items):
            if i:
                out.append(Text(", ", value.span))
            structure_segments(item, marks, out)
        out.append(Text("]", value.span))
    elif isinstance(value, Map):
        out.append(Text("{", value.span))
        first = True
        for entry in value.entries:
            if entry.key == "cache_control":
                continue
            out.append(Text(("" if first else ", ") + f'"{entry.key}": ', entry.key_span))
            first = False
            structure_segments(entry.value, marks, out)
        if value.dynamic is not None:
            out.append(value.dynamic.as_slot())
        out.append(Text("}", value.span))
        mark = value.entry("cache_control")
        if mark is not None:
            marks.append((len(out) - 1, mark.key_span))
    elif isinstance(value, Msg | Ref):
        pass


def _span_of(value: Str) -> Span:
    for seg in value.segments:
        if isinstance(seg, Text | Slot | Control):
            return seg.span
    return Span(0, 0)
