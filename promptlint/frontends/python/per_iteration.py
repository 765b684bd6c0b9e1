"""A set iterated by the loop that makes the request: one request per element, not one order of text.

`for svc in services: send(prompt_for(svc))` over a set sends each element in a request of its own.
Hash order then decides only which request goes first; no prompt holds more than one element, so
none of them changes with the order. This module owns that judgement: for each prompt whose request
(or the wrapper call it was found through) sits inside a `for` loop of this module, an ORDER value
whose culprit is that loop's iterable is the loop's element, of unknown origin, not an order. An
order that is accumulated before the request (`for t in tools: specs.append(t)` and then a send after
the loop) is not inside such a loop and stays an order.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TypeGuard

from promptlint.diagnostics import Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import ModuleInfo
from promptlint.ir import Part, Prompt, Segment, Slot, Stability, VolatileKind


def per_iteration(module: ModuleInfo, prompts: list[Prompt]) -> list[Prompt]:
    """`prompts` with the order of a loop that sends one request per element dropped, and the count
    of a loop that sends one request per round made per-request."""
    if not any(
        _local_order(seg, module) or _local_counter(seg, module)
        for prompt in prompts
        for _, _, seg in prompt.walk()
    ):
        return prompts  # (the common case: no loop search, which walks the whole module)
    loops = [
        (Span(module.span(loop.body[0]).start, module.span(loop).end), module.span(loop.iter), loop.target)
        for loop in subtree.for_loops(module.tree)
    ]
    if not loops:
        return prompts
    out = []
    for prompt in prompts:
        around = [
            (iterable, target)
            for body, iterable, target in loops
            if body.start <= prompt.site.start < body.end
        ]
        if not around:
            out.append(prompt)
            continue
        iterables = {iterable for iterable, _ in around}
        counters = {
            module.span(node)
            for _, target in around
            for node in (target, *(target.elts if isinstance(target, ast.Tuple) else ()))
        }
        out.append(_per_round(module, _without_order(module, prompt, iterables), counters))
    return out


def _local_counter(seg: Segment, module: ModuleInfo) -> TypeGuard[Slot]:
    return (
        isinstance(seg, Slot)
        and seg.cause.startswith("loop counter `")
        and seg.stability <= Stability.UNKNOWN
        and seg.origin is not None
        and seg.origin.path == module.path
    )


def _per_round(module: ModuleInfo, prompt: Prompt, counters: set[Span]) -> Prompt:
    """Counter slots of a loop around the request: a new value in every request the loop makes."""
    changed = False
    parts: list[Part] = []
    for part in prompt.parts:
        segments: list[Segment] = []
        for seg in part.segments:
            if _local_counter(seg, module) and seg.origin is not None and seg.origin.span in counters:
                segments.append(
                    replace(
                        seg,
                        stability=Stability.REQUEST,
                        cause=f"{seg.cause}: a new value in every request the loop makes",
                    )
                )
                changed = True
            else:
                segments.append(seg)
        parts.append(replace(part, segments=tuple(segments)))
    return replace(prompt, parts=tuple(parts)) if changed else prompt


def _local_order(seg: Segment, module: ModuleInfo) -> TypeGuard[Slot]:
    return (
        isinstance(seg, Slot)
        and seg.kind is VolatileKind.ORDER
        and seg.origin is not None
        and seg.origin.path == module.path
    )


def _without_order(module: ModuleInfo, prompt: Prompt, iterables: set[Span]) -> Prompt:
    changed = False
    parts: list[Part] = []
    for part in prompt.parts:
        segments: list[Segment] = []
        for seg in part.segments:
            if _local_order(seg, module) and seg.origin is not None and seg.origin.span in iterables:
                element = replace(
                    seg,
                    stability=Stability.UNKNOWN,
                    kind=None,
                    fix=None,
                    cause=f"{seg.cause} (one element per request)",
                )
                segments.append(element)
                changed = True
            else:
                segments.append(seg)
        parts.append(replace(part, segments=tuple(segments)))
    return replace(prompt, parts=tuple(parts)) if changed else prompt
