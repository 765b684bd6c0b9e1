"""Calls, methods and mutations for the evaluator.

Follows calls to project functions (parameters bound, depth-limited), models string methods
(`.format`, `%`, `join`, `dedent`), clock methods (`strftime` sets granularity), LangChain message
classes, `self.x` attributes, and the list/string mutations that build a prompt statement by statement.
"""

from __future__ import annotations

import ast
import re
import string
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Applicability, Edit, Fix, Span
from promptlint.frontends.python.modules import Binding, ModuleInfo, resolve_relative
from promptlint.frontends.python.templates import render_call
from promptlint.frontends.python.values import (
    Map,
    MapEntry,
    Msg,
    Opaque,
    Ref,
    Seq,
    Str,
    Value,
    concat,
    ordered,
    stability_of,
    static_text,
    text,
)
from promptlint.frontends.python.volatile import TIME_ATTRIBUTE_GRANULARITY, format_granularity
from promptlint.ir import Control, Granularity, Slot, Stability, Text, VolatileKind

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator, Scope

_PASS_THROUGH = frozenset(
    {
        "str",
        "repr",
        "textwrap.dedent",
        "inspect.cleandoc",
        "list",
        "tuple",
        "reversed",
        "float",
        "abs",
    }
)
_TO_SECONDS = frozenset({"int", "round", "math.floor", "math.ceil"})
_ORDER_INSENSITIVE = frozenset({"len", "sum", "min", "max", "any", "all", "bool"})
_JSON_DUMPERS = frozenset({"json.dumps", "simplejson.dumps", "orjson.dumps", "yaml.dump", "yaml.safe_dump"})
_ORDER_METHODS = frozenset({"iterdir", "glob", "rglob"})
_LANGCHAIN_ROLES = {
    "SystemMessage": "system",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "ToolMessage": "tool",
    "FunctionMessage": "tool",
    "ChatMessage": "",
    "SystemMessagePromptTemplate": "system",
    "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant",
}
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
_KEEP_TIME_METHODS = frozenset({"isoformat", "ctime", "timestamp", "astimezone", "replace", "__str__"})
_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)


def eval_call(ev: Evaluator, node: ast.Call, scope: Scope) -> Value:
    func = node.func
    qual = ev.qualname(func, scope)
    if qual:
        hit = ev.volatile_value(qual, node, scope)
        if hit is not None:
            return hit
        handled = _known_function(ev, qual, node, scope)
        if handled is not None:
            return handled
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "self" and scope.cls is not None:
            method = _find_method(scope.cls, func.attr)
            if method is not None:
                return follow(ev, Ref(method, scope.module, scope.cls), node, scope)
        callee = ev.eval(func, scope) if qual and _looks_like_module_path(ev, qual, scope) else None
        if isinstance(callee, Ref):
            return follow(ev, callee, node, scope)
        base = ev.eval(func.value, scope)
        return _method(ev, base, func.attr, node, scope)
    callee = ev.eval(func, scope) if isinstance(func, ast.Name) else None
    if isinstance(callee, Ref):
        return follow(ev, callee, node, scope)
    return _unknown_call(ev, node, scope)


def _looks_like_module_path(ev: Evaluator, qual: str, scope: Scope) -> bool:
    head = qual.partition(".")[0]
    return (
        head in scope.module.imports
        or head in scope.module.defs
        or ev.loader.find(head, scope.module.path) is not None
    )


def _unknown_call(ev: Evaluator, node: ast.Call, scope: Scope, extra: list[Value] | None = None) -> Value:
    values = list(extra or [])
    values += [ev.eval(a, scope) for a in node.args]
    values += [ev.eval(k.value, scope) for k in node.keywords]
    return ev.combine(values, node, scope, Stability.DEPLOYMENT)


def _known_function(ev: Evaluator, qual: str, node: ast.Call, scope: Scope) -> Value | None:
    last = qual.rsplit(".", 1)[-1]
    first = ev.eval(node.args[0], scope) if node.args else None
    if qual == "sorted" and first is not None:
        return ordered(first)
    if qual in _ORDER_INSENSITIVE:
        return ev.combine([ordered(ev.eval(a, scope)) for a in node.args], node, scope, Stability.STATIC)
    if qual in ("set", "frozenset"):
        items = first.items if isinstance(first, Seq) else ((first,) if first is not None else ())
        return Seq(items, scope.module.span(node), ev.order_culprit(node, scope, "set"))
    if qual in _JSON_DUMPERS and first is not None:
        return _dumps(ev, qual, first, node, scope)
    if qual in _PASS_THROUGH and first is not None:
        if qual in ("textwrap.dedent", "inspect.cleandoc") and isinstance(first, Str):
            raw = static_text(first)
            if raw is not None:
                done = textwrap.dedent(raw) if qual == "textwrap.dedent" else _cleandoc(raw)
                return text(done, first.segments[0].span) if first.segments else first
        return first
    if qual in _TO_SECONDS and isinstance(first, Opaque) and first.kind is VolatileKind.TIME:
        gran = max(first.granularity or Granularity.SUBSECOND, Granularity.SECOND)
        return replace(first, granularity=gran)
    if qual == "dict":
        entries = tuple(
            MapEntry(k.arg, ev.eval(k.value, scope), scope.module.span(k)) for k in node.keywords if k.arg
        )
        return Map(entries, scope.module.span(node))
    owner = qual.rsplit(".", 2)[-2] if qual.count(".") >= 1 else ""
    if last in _LANGCHAIN_ROLES or (owner in _LANGCHAIN_ROLES and last == "from_template"):
        return _langchain_message(ev, qual, node, scope)
    if qual in ("os.getenv", "os.environ.get", "os.environ.__getitem__"):
        return ev.opaque(Stability.DEPLOYMENT, node, scope)
    return None


def _langchain_message(ev: Evaluator, qual: str, node: ast.Call, scope: Scope) -> Value:
    parts = qual.split(".")
    cls = parts[-2] if parts[-1] == "from_template" else parts[-1]
    role = _LANGCHAIN_ROLES[cls]
    content_node = node.args[0] if node.args else None
    for kw in node.keywords:
        if kw.arg in ("content", "template", "prompt"):
            content_node = kw.value
        if kw.arg == "role" and isinstance(kw.value, ast.Constant):
            role = str(kw.value.value)
    content: Value = ev.eval(content_node, scope) if content_node is not None else Str(())
    if "Template" in cls and isinstance(content, Str):
        content = template_fields(content)
    return Msg(_role_name(role or "user"), content, scope.module.span(node))


def _role_name(role: str) -> str:
    return {"human": "user", "ai": "assistant", "placeholder": "history"}.get(role, role)


def follow(ev: Evaluator, ref: Ref, node: ast.Call, scope: Scope) -> Value:
    """Evaluate a call of a project function by evaluating its return expression."""
    from promptlint.frontends.python.evaluate import MAX_CALL_DEPTH, Scope, respan

    fn = ref.node
    if isinstance(fn, ast.ClassDef) or scope.depth >= MAX_CALL_DEPTH:
        return _unknown_call(ev, node, scope)
    ret = _return_expr(fn)
    if ret is None:
        return _unknown_call(ev, node, scope)
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    if ref.owner is not None and params and not is_static:
        params = params[1:]
    bound: dict[str, Value] = {}
    for param, arg in zip(params, node.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        bound[param] = ev.eval(arg, scope)
    for kw in node.keywords:
        if kw.arg:
            bound[kw.arg] = ev.eval(kw.value, scope)
    defaults = fn.args.defaults
    for param, default in zip(params[len(params) - len(defaults) :], defaults, strict=False):
        if param not in bound:
            bound[param] = ev.eval(default, Scope(ref.module, depth=scope.depth + 1))
    ev.consumed.add(id(fn))
    value = ev.eval(ret, Scope(ref.module, fn, ref.owner, args=bound, depth=scope.depth + 1))
    if ref.module is not scope.module:
        value = respan(value, scope.module.span(node))
    return value


def _return_expr(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    found: ast.expr | None = None
    stack: list[ast.stmt] = list(fn.body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            found = stmt.value
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(stmt, field, []) or [])
    return found


def _find_method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return stmt
    return None


def _dumps(ev: Evaluator, qual: str, data: Value, node: ast.Call, scope: Scope) -> Value:
    """`json.dumps(x)` and friends: ORDER-volatile when `x` is non-literal and keys are not sorted."""
    plain = ev.combine([ordered(data)], node, scope, Stability.STATIC)
    literal = bool(node.args) and isinstance(node.args[0], ast.Dict | ast.List | ast.Tuple | ast.Constant)
    if literal or _sorts_keys(qual, node) or stability_of(ordered(data)) >= Stability.REQUEST:
        return plain
    if stability_of(ordered(data)) is Stability.STATIC and isinstance(data, Map | Seq):
        return plain  # a literal reached through a name: its key order is fixed
    label = qual.rsplit(".", 2)[-2] + "." + qual.rsplit(".", 1)[-1] + "()"
    culprit = ev.order_culprit(node, scope, label)
    fix = None
    if qual in ("json.dumps", "simplejson.dumps") and (node.args or node.keywords):
        last = max(scope.module.span(n).end for n in [*node.args, *[k.value for k in node.keywords]])
        fix = Fix("Add `sort_keys=True`", Applicability.UNSAFE, (Edit(Span(last, last), ", sort_keys=True"),))
    return replace(culprit, fix=fix)


def _sorts_keys(qual: str, node: ast.Call) -> bool:
    for kw in node.keywords:
        if kw.arg == "sort_keys" and isinstance(kw.value, ast.Constant):
            return bool(kw.value.value)
        if kw.arg == "option" and "SORT_KEYS" in ast.dump(kw.value):
            return True
    return qual.startswith("yaml.")  # PyYAML sorts keys unless told sort_keys=False


def _method(ev: Evaluator, base: Value, method: str, node: ast.Call, scope: Scope) -> Value:
    rendered = render_call(ev, method, node, scope)  # a template file or string rendered here
    if rendered is not None:
        return rendered
    if method in _ORDER_METHODS and not isinstance(base, Str):
        return ev.order_culprit(node, scope, scope.module.text_of(node.func) + "()")
    if isinstance(base, Str):
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
    if isinstance(base, Opaque) and base.kind is VolatileKind.TIME:
        if method == "strftime" and node.args and isinstance(node.args[0], ast.Constant):
            gran = format_granularity(str(node.args[0].value))
            return replace(
                base, granularity=gran or base.granularity, label=ev.opaque(base.stability, node, scope).label
            )
        if method in TIME_ATTRIBUTE_GRANULARITY:
            return replace(
                base,
                granularity=max(
                    base.granularity or Granularity.SUBSECOND, TIME_ATTRIBUTE_GRANULARITY[method]
                ),
            )
        if method in _KEEP_TIME_METHODS:
            return base
    return _unknown_call(ev, node, scope, [base])


def _join(ev: Evaluator, sep: Str, items: Value, node: ast.Call, scope: Scope) -> Value:
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
            value = Opaque(Stability.REQUEST, key, span, f"format field `{{{key}}}`")
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
                    Slot(field or "?", seg.span, Stability.REQUEST, f"template variable `{{{field}}}`")
                )
    return Str(tuple(segs))


def apply_mutation(ev: Evaluator, value: Value, mutation: Binding, scope: Scope) -> Value:
    """Fold a later statement (`+=`, `append`, `extend`, `insert`, `update`, shuffle) into a value."""
    node = mutation.stmt
    span = scope.module.span(node)
    if mutation.kind == "shuffle":
        origin_label = "random.shuffle()"
        from promptlint.diagnostics import Location

        return Opaque(
            Stability.VOLATILE,
            origin_label,
            span,
            origin_label,
            VolatileKind.RANDOM,
            origin=Location(scope.module.path, span),
            iterable_of_messages=True,
        )
    assert mutation.value is not None
    added = ev.eval(mutation.value, scope)
    if isinstance(mutation.stmt, ast.Call) and mutation.kind in ("append", "extend", "insert"):
        ev.consumed.add(id(mutation.value))
    if mutation.kind == "aug":
        if mutation.branch and isinstance(value, Str):
            return concat(value, Str((Control(mutation.branch, span),)), ev.to_str(added, node, scope))
        return ev.add(value, added, node, scope)
    if mutation.kind == "update" and isinstance(value, Map) and isinstance(added, Map):
        return Map(value.entries + added.entries, value.span, value.dynamic)
    items: list[Value] = list(value.items) if isinstance(value, Seq) else [value]
    if mutation.kind == "append":
        items.append(added)
    elif mutation.kind == "extend":
        items.extend(
            added.items
            if isinstance(added, Seq)
            else [replace(added, iterable_of_messages=True)]
            if isinstance(added, Opaque)
            else [added]
        )
    elif mutation.kind == "insert":
        call = mutation.stmt
        index = call.args[0] if isinstance(call, ast.Call) and call.args else None
        at = index.value if isinstance(index, ast.Constant) and isinstance(index.value, int) else len(items)
        items.insert(at, added)
    else:
        return value
    return Seq(tuple(items), value.span if isinstance(value, Seq) else span)


def instance_attribute(ev: Evaluator, attr: str, node: ast.expr, scope: Scope) -> Value:
    """`self.attr`: a property, a class constant, constant assignments, else per-session."""
    from promptlint.frontends.python.evaluate import Scope

    cls = scope.cls
    assert cls is not None
    method = _find_method(cls, attr)
    if method is not None and any(
        isinstance(d, ast.Name) and d.id in ("property", "cached_property") for d in method.decorator_list
    ):
        fake = ast.Call(func=node, args=[], keywords=[])
        ast.copy_location(fake, node)
        return follow(ev, Ref(method, scope.module, cls), fake, scope)
    values: list[Value] = []
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == attr for t in stmt.targets
        ):
            values.append(ev.eval(stmt.value, Scope(scope.module, depth=scope.depth)))
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for binding in scope.module.function_bindings(stmt).get(f"self.{attr}", []):
                if binding.kind == "assign" and binding.value is not None:
                    values.append(ev.eval(binding.value, Scope(scope.module, stmt, cls, depth=scope.depth)))
                else:
                    values.append(Opaque(Stability.SESSION, attr, scope.module.span(node)))
    if values and all(stability_of(v) is Stability.STATIC for v in values):
        return values[-1]
    history = bool(re.search(r"(?i)history|messages|conversation|memory", attr))
    return Opaque(
        Stability.SESSION,
        f"self.{attr}",
        scope.module.span(node),
        f"instance attribute `self.{attr}`",
        iterable_of_messages=history,
    )


def attribute_of(ev: Evaluator, base: Value, node: ast.Attribute, scope: Scope) -> Value:
    """Attribute access on an evaluated value."""
    if (
        isinstance(base, Opaque)
        and base.kind is VolatileKind.TIME
        and node.attr in TIME_ATTRIBUTE_GRANULARITY
    ):
        gran = max(base.granularity or Granularity.SUBSECOND, TIME_ATTRIBUTE_GRANULARITY[node.attr])
        return replace(base, granularity=gran)
    if isinstance(base, Map):
        found = base.get(node.attr)
        if found is not None:
            return found
    label = scope.module.text_of(node)
    floor = Stability.STATIC
    if isinstance(base, Opaque) and base.stability in (Stability.REQUEST, Stability.SESSION):
        from promptlint.frontends.python.evaluate import _SESSION_HINT

        if _SESSION_HINT.search(label):
            return replace(base, stability=Stability.SESSION, label=label, span=scope.module.span(node))
    return ev.combine([base], node, scope, floor)


def import_target(binding: Binding, name: str, module: ModuleInfo) -> str | None:
    stmt = binding.stmt
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if (alias.asname or alias.name.partition(".")[0]) == name:
                return alias.name if alias.asname else name
    if isinstance(stmt, ast.ImportFrom):
        package = module.name if module.is_package else (module.name or "").rpartition(".")[0]
        base = resolve_relative(package or "", stmt.module, stmt.level)
        for alias in stmt.names:
            if (alias.asname or alias.name) == name:
                return f"{base}.{alias.name}" if base else alias.name
    return None


def _cleandoc(raw: str) -> str:
    import inspect

    return inspect.cleandoc(raw)
