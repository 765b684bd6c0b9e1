"""String building for the evaluator: formatting, joining and the `str` methods a prompt is made with.

Owns `.format(...)` and `%` formatting (fields substituted piece by piece, a time's format spec sets
its granularity), `sep.join(items)`, text methods on static strings (`strip`, `upper`, ...),
`replace`, `textwrap.dedent`/`inspect.cleandoc`, and turning the `{var}` fields of a LangChain
template into per-request slots.
"""

from __future__ import annotations

import ast
import re
import string
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Location
from promptlint.frontends.python.history import HISTORY_NAME, outlives_call
from promptlint.frontends.python.modules import dotted
from promptlint.frontends.python.values import Map, Opaque, Seq, Str, Value, concat, static_text, text
from promptlint.frontends.python.volatile import format_granularity
from promptlint.ir import RESERIALISED, Control, Slot, Stability, Text, VolatileKind

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator, Scope

_TEXT_METHODS = frozenset(
    {
        "strip",
        "lstrip",
        "rstrip",
        "upper",
        "lower",
        "title",
        "capitalize",
        "casefold",
        "removeprefix",
        "removesuffix",
        "expandtabs",
        "center",
        "ljust",
        "rjust",
        "zfill",
    }
)
_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)


def str_method(ev: Evaluator, base: Str, method: str, node: ast.Call, scope: Scope) -> Value | None:
    """`base.method(...)` for the string methods we model; None for any other method."""
    if method == "format":
        args = [ev.eval(a, scope) for a in node.args]
        kwargs = {k.arg: ev.eval(k.value, scope) for k in node.keywords if k.arg}
        for k in node.keywords:
            if k.arg is None:
                spread = ev.eval(k.value, scope)
                if isinstance(spread, Map):
                    kwargs.update({e.key: e.value for e in spread.entries})
        return format_str(ev, base, args, kwargs, node, scope)
    if method == "join" and node.args:
        return _join(ev, base, ev.eval(node.args[0], scope), node, scope)
    if method in _TEXT_METHODS:
        raw = static_text(base)
        if raw is not None and all(isinstance(a, ast.Constant) for a in node.args):
            try:
                done = getattr(raw, method)(*[a.value for a in node.args if isinstance(a, ast.Constant)])
            except (TypeError, ValueError):
                return base
            return text(str(done), base.segments[0].span) if base.segments else base
        return base
    if method == "replace":
        return concat(base, *[ev.to_str(ev.eval(a, scope), a, scope) for a in node.args[1:2]])
    return None


def dedent(qual: str, value: Str) -> Str:
    """`textwrap.dedent(value)` or `inspect.cleandoc(value)` of a static string; other strings unchanged."""
    raw = static_text(value)
    if raw is None:
        return value
    done = textwrap.dedent(raw) if qual == "textwrap.dedent" else _cleandoc(raw)
    return text(done, value.segments[0].span) if value.segments else value


def reserialised_history(node: ast.Call, scope: Scope) -> Str | None:
    """`sep.join(f(m) for m in history)` or `json.dumps(history)`: the whole history rebuilt as text."""
    if not node.args:
        return None
    arg = node.args[0]
    source = arg.generators[0].iter if isinstance(arg, ast.GeneratorExp | ast.ListComp) else arg
    name = dotted(source)
    if (
        name is None
        or not HISTORY_NAME.search(name.rsplit(".", 1)[-1])
        or not outlives_call(name, scope.func, scope.module)
    ):
        return None
    span = scope.module.span(node)
    label = " ".join(scope.module.text_of(node).split())
    label = label if len(label) <= 50 else label[:47] + "..."
    cause = f"{RESERIALISED}{name}"
    return Str((Slot(label, span, Stability.SESSION, cause, origin=Location(scope.module.path, span)),))


def _join(ev: Evaluator, sep: Str, items: Value, node: ast.Call, scope: Scope) -> Value:
    whole = reserialised_history(node, scope)
    if whole is not None:
        return whole
    items = ev.iterate(items, node.args[0], scope)
    if not isinstance(items, Seq):
        return ev.to_str(ev.combine([items], node, scope, Stability.STATIC), node, scope)
    parts: list[Str] = []
    for i, item in enumerate(items.items):
        if i:
            parts.append(sep)
        parts.append(ev.to_str(item, node, scope))
    return concat(*parts)


def format_str(
    ev: Evaluator, template: Str, args: list[Value], kwargs: dict[str, Value], node: ast.AST, scope: Scope
) -> Value:
    """`template.format(*args, **kwargs)` with fields substituted piece by piece."""
    raw = static_text(template)
    if raw is None:
        return concat(template, *[ev.to_str(v, node, scope) for v in [*args, *kwargs.values()]])
    span = template.segments[0].span if template.segments else scope.module.span(node)
    try:
        fields = list(string.Formatter().parse(raw))
    except ValueError:
        return template
    out: list[Str] = []
    auto = 0
    for literal, field, spec, _conv in fields:
        out.append(text(literal, span))
        if field is None:
            continue
        key = re.split(r"[.\[]", field, maxsplit=1)[0]
        if key == "":
            key, auto = str(auto), auto + 1
        value: Value | None = args[int(key)] if key.isdigit() and int(key) < len(args) else kwargs.get(key)
        if value is None:
            value = Opaque(Stability.UNKNOWN, key, span, f"format field `{{{key}}}`")
        if spec and isinstance(value, Opaque) and value.kind is VolatileKind.TIME:
            value = replace(value, granularity=format_granularity(spec) or value.granularity)
        out.append(ev.to_str(value, node, scope))
    return concat(*out)


def percent_format(ev: Evaluator, template: Str, right: Value, node: ast.AST, scope: Scope) -> Value:
    """`template % values` for `%s`-style and `%(name)s`-style fields."""
    raw = static_text(template)
    if raw is None:
        return concat(template, ev.to_str(right, node, scope))
    span = template.segments[0].span if template.segments else scope.module.span(node)
    positional = list(right.items) if isinstance(right, Seq) else [right]
    out: list[Str] = []
    pos = index = 0
    for match in _PERCENT.finditer(raw):
        out.append(text(raw[pos : match.start()], span))
        pos = match.end()
        if match.group("conv") == "%":
            out.append(text("%", span))
            continue
        name = match.group("name")
        value: Value | None
        if name is not None:
            value = right.get(name) if isinstance(right, Map) else None
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        out.append(ev.to_str(value if value is not None else right, node, scope))
    out.append(text(raw[pos:], span))
    return concat(*out)


def template_fields(template: Str) -> Str:
    """Turn `{var}` fields of a LangChain/str.format template into per-request slots."""
    segs: list[Text | Slot | Control] = []
    for seg in template.segments:
        if not isinstance(seg, Text):
            segs.append(seg)
            continue
        try:
            fields = list(string.Formatter().parse(seg.text))
        except ValueError:
            segs.append(seg)
            continue
        for literal, field, _spec, _conv in fields:
            if literal:
                segs.append(Text(literal, seg.span, False))
            if field is not None:
                segs.append(
                    Slot(field or "?", seg.span, Stability.UNKNOWN, f"template variable `{{{field}}}`")
                )
    return Str(tuple(segs))


def _cleandoc(raw: str) -> str:
    import inspect

    return inspect.cleandoc(raw)
