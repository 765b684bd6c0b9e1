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
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeGuard

from promptlint.diagnostics import Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import ModuleInfo, counting_targets
from promptlint.ir import NUMBER_PARAMETER, Part, Prompt, Segment, Slot, Stability, VolatileKind


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
        (_body_span(module, loop), module.span(loop.iter), loop.target)
        for loop in subtree.for_loops(module.tree)
    ]
    if not loops:
        return prompts
    out = []
    for prompt in prompts:
        around = [entry for entry in loops if entry[0].start <= prompt.site.start < entry[0].end]
        if not around:
            out.append(prompt)
            continue
        iterables = {iterable for _, iterable, _ in around}
        # Only the innermost loop's count changes from one request to the next: an outer loop's
        # count is the same for every request of a round of the inner one.
        _, _, target = max(around, key=lambda entry: entry[0].start)
        counters = {
            module.span(node) for node in (target, *(target.elts if isinstance(target, ast.Tuple) else ()))
        }
        out.append(_per_round(module, _without_order(module, prompt, iterables), counters))
    return out


def _body_span(module: ModuleInfo, loop: ast.For | ast.AsyncFor | ast.While) -> Span:
    """The loop's body, without its `else` (which runs once)."""
    return Span(module.span(loop.body[0]).start, module.span(loop.body[-1]).end)


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

    def per_request(seg: Slot) -> Slot | None:
        if not (_local_counter(seg, module) and seg.origin is not None and seg.origin.span in counters):
            return None
        return replace(
            seg,
            stability=Stability.REQUEST,
            cause=f"{seg.cause}: a new value in every request the loop makes",
        )

    return _replaced_slots(prompt, per_request)


def _replaced_slots(prompt: Prompt, change: Callable[[Slot], Slot | None]) -> Prompt:
    """`prompt` with each slot `change` gives a replacement for replaced (the same object when none)."""
    changed = False
    parts: list[Part] = []
    for part in prompt.parts:
        segments: list[Segment] = []
        for seg in part.segments:
            new = change(seg) if isinstance(seg, Slot) else None
            segments.append(seg if new is None else new)
            changed = changed or new is not None
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
    def element(seg: Slot) -> Slot | None:
        if not (_local_order(seg, module) and seg.origin is not None and seg.origin.span in iterables):
            return None
        return replace(
            seg,
            stability=Stability.UNKNOWN,
            kind=None,
            fix=None,
            cause=f"{seg.cause} (one element per request)",
        )

    return _replaced_slots(prompt, element)


# -- the caller's loop counter -------------------------------------------------------------------
def counted_by_callers(module: ModuleInfo, prompts: list[Prompt]) -> list[Prompt]:
    """A parameter of the sending function that a caller in this module passes the count of a loop
    that calls it once per round (`while ...: chat(q, step=count + 1); count += 1`): each request
    gets a new value, so the parameter is per-request (evidence from the caller)."""
    out = []
    for prompt in prompts:
        if not any(_unknown_parameter(seg) for _, _, seg in prompt.walk()):
            out.append(prompt)
            continue
        calls = _counting_calls(module)
        fn = _enclosing_function(module, prompt.site) if calls else None
        counted = _counted_parameters(module, fn, _calls_of(module, fn, calls)) if fn is not None else {}
        out.append(_with_counted(module, prompt, counted) if counted else prompt)
    return out


_PARAMETER = re.compile(rf"^parameter `([^`]+)`(?:{re.escape(NUMBER_PARAMETER)})?$")


def _unknown_parameter(seg: Segment) -> bool:
    return (
        isinstance(seg, Slot) and seg.stability is Stability.UNKNOWN and seg.cause.startswith("parameter `")
    )


def _enclosing_function(module: ModuleInfo, site: Span) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    functions = subtree.memo(
        module.tree,
        "function-spans",
        lambda: [
            (module.span(n), n)
            for n in subtree.nodes(module.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ],
    )
    best: tuple[Span, ast.FunctionDef | ast.AsyncFunctionDef] | None = None
    for span, fn in functions:
        if span.start <= site.start < span.end and (best is None or span.start >= best[0].start):
            best = (span, fn)
    return best[1] if best is not None else None


Counted = dict[str, list[tuple[ast.Call, frozenset[str]]]]


def _counting_calls(module: ModuleInfo) -> Counted:
    """Calls whose innermost loop is a counting loop of this module, by what they call (`name` or
    `self.name`), with the loop's counters."""

    def build() -> Counted:
        out: Counted = {}
        for loop in _loops(module):
            counters = frozenset(_counters(loop))
            if not counters:
                continue
            for node in _own_calls(loop):
                func = node.func
                if isinstance(func, ast.Name):
                    out.setdefault(func.id, []).append((node, counters))
                elif (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id in ("self", "cls")
                ):
                    out.setdefault(f"self.{func.attr}", []).append((node, counters))
        return out

    found = subtree.memo(module.tree, "counting-calls", build)
    assert isinstance(found, dict)
    return found


_NOT_IN_THE_LOOP = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
)


def _own_nodes(loop: ast.For | ast.AsyncFor | ast.While) -> list[ast.AST]:
    """Nodes of the loop's body whose innermost loop it is (not in a nested loop or function, nor in
    the loop's `else`, which runs once)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(loop.body)
    while todo:
        node = todo.pop()
        if isinstance(node, _NOT_IN_THE_LOOP):
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _own_calls(loop: ast.For | ast.AsyncFor | ast.While) -> list[ast.Call]:
    return [node for node in _own_nodes(loop) if isinstance(node, ast.Call)]


def _calls_of(
    module: ModuleInfo, fn: ast.FunctionDef | ast.AsyncFunctionDef, calls: Counted
) -> list[tuple[ast.Call, frozenset[str]]]:
    """The counted calls that run `fn`: `fn(...)` of a module-level function, `self.fn(...)` inside
    its own class for a method (another object's method of that name is another function)."""
    if fn in module.tree.body:
        return calls.get(fn.name, [])
    owner = next((c for c in module.tree.body if isinstance(c, ast.ClassDef) and fn in c.body), None)
    if owner is None:
        return []
    span = module.span(owner)
    return [
        (call, counters)
        for call, counters in calls.get(f"self.{fn.name}", [])
        if span.start <= module.span(call).start < span.end
    ]


def _counted_parameters(
    module: ModuleInfo,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    calls: Sequence[tuple[ast.Call, frozenset[str]]],
) -> dict[str, tuple[str, Span]]:
    """Parameter name -> how a caller's loop counts it and where the count is passed."""
    names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    out: dict[str, tuple[str, Span]] = {}
    for call, counters in calls:
        offset = 1 if isinstance(call.func, ast.Attribute) and names[:1] in (["self"], ["cls"]) else 0
        given = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        given.update({names[i + offset]: a for i, a in enumerate(call.args) if i + offset < len(names)})
        for param, arg in given.items():
            count = _count_in(arg, counters)
            if count is not None:
                why = f"the count `{count}` of the loop that calls `{fn.name}()`"
                out.setdefault(param, (why, module.span(arg)))
    return out


def _count_in(arg: ast.expr, counters: frozenset[str]) -> str | None:
    """The counter `arg` is: the bare name, or it plus or minus a number (`count + 1`), never
    something looked up with it (`tasks[i]` is one task, not a count)."""
    if isinstance(arg, ast.Name):
        return arg.id if arg.id in counters else None
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add | ast.Sub):
        for name, other in ((arg.left, arg.right), (arg.right, arg.left)):
            if (
                isinstance(name, ast.Name)
                and name.id in counters
                and isinstance(other, ast.Constant)
                and type(other.value) in (int, float)
            ):
                return name.id
    return None


def _loops(module: ModuleInfo) -> list[ast.For | ast.AsyncFor | ast.While]:
    return [
        n for n in subtree.nodes(module.tree) if isinstance(n, ast.For | ast.AsyncFor | ast.While) and n.body
    ]


def _counters(loop: ast.For | ast.AsyncFor | ast.While) -> set[str]:
    """Names a loop counts with: its counting target (`modules.counting_targets`), and names the
    loop's own body increments (`count += 1`)."""
    out = {target.id for target in counting_targets(loop)}
    for node in _own_nodes(loop):
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add | ast.Sub)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) is int
        ):
            out.add(node.target.id)
    return out


def _with_counted(module: ModuleInfo, prompt: Prompt, counted: dict[str, tuple[str, Span]]) -> Prompt:
    def counted_slot(seg: Slot) -> Slot | None:
        name = _PARAMETER.match(seg.cause) if _unknown_parameter(seg) else None
        param = name.group(1) if name else ""
        if param not in counted:
            return None
        why, where = counted[param]
        cause = f"{why}, passed as `{param}`: a new value in every request"
        return replace(seg, stability=Stability.REQUEST, cause=cause, origin=Location(module.path, where))

    return _replaced_slots(prompt, counted_slot)
