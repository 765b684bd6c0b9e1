"""Render calls: a template's segments become the value of `.render(...)`/`.format(...)` in Python.

`render_call` recognises `tmpl.render(**kw)`, `text.format(**kw)`/`format_map`, and LangChain
`prompt.format(...)`/`invoke({...})` on a receiver that `template_refs` can trace to a template. The
template is built with the call's arguments bound (each argument's real stability replaces the
template's by-name guess) and its segments are moved into this file (`template_ir.transplant`): text
and controls at the call, slots at their argument, every origin pointing at the template line, so the
engine reports there with this call as related information. Inline sources (`Template("...")`) stay
in this file. An unfound or unparsable template leaves the call to the generic evaluator.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Location, Span
from promptlint.frontends.jinja import build_placed
from promptlint.frontends.python.template_refs import TemplateRef, template_of
from promptlint.frontends.python.values import Map, Str, Value, most_volatile
from promptlint.frontends.template_ir import Placed, transplant
from promptlint.frontends.template_loader import ParsedTemplate, TemplateLoader, parse_template
from promptlint.frontends.text import text_placed
from promptlint.ir import Segment, Slot, Stability, Text

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator, Scope

RENDER_METHODS = frozenset(
    {"render", "render_async", "format", "format_map", "invoke", "ainvoke", "format_prompt", "generate"}
)
INLINE = "<inline template>"


def render_call(ev: Evaluator, method: str, node: ast.Call, scope: Scope) -> Value | None:
    """The rendered text of a recognised template render call, else None."""
    if method not in RENDER_METHODS or not isinstance(node.func, ast.Attribute):
        return None
    ref = template_of(ev, node.func.value, scope)
    if ref is None:
        return None
    if method in ("render", "render_async", "generate") and ref.syntax != "jinja":
        return None
    bindings, positional = _arguments(ev, node, scope)
    loader = TemplateLoader(ev.loader.roots, log=ev.loader.log)
    call = scope.module.span(node)
    if ref.text is not None:
        placed = _placed(ref, INLINE, ref.text, loader, bindings, positional)
        return Str(_inline(placed, call, scope.module.path)) if placed is not None else None
    path = loader.find(ref.name or "", scope.module.path, ref.dirs)
    if path is None:
        return None
    parsed = loader.load(path, ref.options) if ref.syntax == "jinja" else None
    source = loader.source(path)
    if source is None or (parsed is not None and parsed.problem is not None):
        return None
    placed = _placed(ref, path, source.text, loader, bindings, positional, parsed)
    if placed is None:
        return None
    return Str(transplant(placed, scope.module.path, call))


def _placed(
    ref: TemplateRef,
    path: str,
    text: str,
    loader: TemplateLoader,
    bindings: dict[str, Slot],
    positional: tuple[Slot, ...],
    parsed: ParsedTemplate | None = None,
) -> list[Placed] | None:
    if ref.syntax != "jinja":
        return text_placed(path, text, ref.syntax, bindings, positional)
    parsed = parsed or parse_template(path, text, ref.options)
    if parsed.problem is not None:
        return None
    placed, _related = build_placed(parsed, loader, ref.options, bindings, ref.dirs)
    return placed


def _arguments(ev: Evaluator, node: ast.Call, scope: Scope) -> tuple[dict[str, Slot], tuple[Slot, ...]]:
    """Keyword arguments, `**mapping` entries and dict positional arguments as slots; plain positionals."""
    bindings: dict[str, Slot] = {}
    positional: list[Slot] = []
    for arg in node.args:
        value = ev.eval(arg, scope)
        if isinstance(value, Map):
            bindings.update({e.key: _slot(ev, e.value, arg, scope) for e in value.entries})
        else:
            positional.append(_slot(ev, value, arg, scope))
    for kw in node.keywords:
        value = ev.eval(kw.value, scope)
        if kw.arg is not None:
            bindings[kw.arg] = _slot(ev, value, kw.value, scope)
        elif isinstance(value, Map):
            bindings.update({e.key: _slot(ev, e.value, kw.value, scope) for e in value.entries})
    return bindings, tuple(positional)


def _slot(ev: Evaluator, value: Value, node: ast.expr, scope: Scope) -> Slot:
    span = scope.module.span(node)
    label = " ".join(scope.module.text_of(node).split())[:60]
    slot = most_volatile([value], label, span, Stability.STATIC).as_slot()
    if slot.stability is Stability.STATIC:
        slot = replace(slot, cause=label)
    if slot.origin is None:
        slot = replace(slot, origin=Location(scope.module.path, span))
    return slot


def _inline(placed: list[Placed], call: Span, home: str) -> tuple[Segment, ...]:
    """Segments of an inline template: everything at the call; slots keep their Python origin."""
    out: list[Segment] = []
    for item in placed:
        seg = item.seg
        if isinstance(seg, Text):
            out.append(Text(seg.text, call, False))
        elif isinstance(seg, Slot):
            py = seg.origin
            out.append(replace(seg, span=py.span if py is not None and py.path == home else call))
        else:
            out.append(replace(seg, span=call))
    return tuple(out)
