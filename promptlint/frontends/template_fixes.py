"""The template fix for dynamic lines: move the line holding a slot below the static text.

For a Jinja or plain-text template linted on its own, a slot whose line holds no control tag and that
sits outside any `if`/`for` gets an unsafe fix: delete that line and append it at the end of the file.
The model then reads the same words, but after the static block, which becomes a cacheable prefix.
"""

from __future__ import annotations

from dataclasses import replace

from promptlint.diagnostics import Applicability, Edit, Fix, Span
from promptlint.ir import Control, FileFacts, Part, Prompt, Slot
from promptlint.source import SourceFile


def with_line_moves(source: SourceFile, facts: FileFacts) -> FileFacts:
    """Attach a move-line fix to every movable slot of the template's own prompts."""
    if not facts.prompts:
        return facts
    return replace(facts, prompts=tuple(_prompt(source, p) for p in facts.prompts))


def _prompt(source: SourceFile, prompt: Prompt) -> Prompt:
    content_end = len(source.text.rstrip())  # once per file: a per-slot scan would be quadratic
    parts: list[Part] = []
    for part in prompt.parts:
        segments = []
        in_control = False
        for seg in part.segments:
            if isinstance(seg, Control):
                in_control = True
            if isinstance(seg, Slot) and seg.fix is None and not in_control and _own(seg, source):
                fix = _line_move(source, seg.span, content_end)
                seg = replace(seg, fix=fix) if fix is not None else seg
            segments.append(seg)
        parts.append(replace(part, segments=tuple(segments)))
    return replace(prompt, parts=tuple(parts))


def _own(seg: Slot, source: SourceFile) -> bool:
    """The slot is written in this file (not in an included template)."""
    return seg.origin is None or seg.origin.path == source.path


def _line_move(source: SourceFile, span: Span, content_end: int) -> Fix | None:
    """Move the slot's line to the end; `content_end` is where the file's last non-blank text ends."""
    text = source.text
    index = source.lines
    line0 = index.line_of(span.start)
    if index.line_of(span.end) != line0 or line0 + 1 >= index.line_count:
        return None  # spans lines, or already the last line
    start = index.starts[line0]
    end = index.starts[line0 + 1]
    line = text[start:end]
    if "{%" in line or "%}" in line or end >= content_end:
        return None  # a control tag on the line, or nothing but blank lines after it
    newline = source.newline
    tail = "" if text.endswith(("\n", "\r")) else newline
    body = line if line.endswith(("\n", "\r")) else line + newline
    label = " ".join(line.split())
    edits = (Edit(Span(start, end), ""), Edit(Span(len(text), len(text)), tail + body))
    return Fix(f"Move `{label[:60]}` below the static text", Applicability.UNSAFE, edits)
