"""Evaluate Python expressions into abstract values without running them.

Literals become `Text`; names resolve through function and module bindings (assignments, `+=`,
appends, loop targets) and across project modules; parameters are per-request, `self.x` per session
unless assigned a constant; volatile calls come from `VolatileTable`. Calls are handled in `calls.py`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from promptlint.diagnostics import Applicability, Edit, Fix, Location, Span
from promptlint.frontends.python import calls
from promptlint.frontends.python.modules import Binding, FunctionNode, ModuleInfo, ModuleLoader, dotted
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
    most_volatile,
    opaque_parts,
    ordered,
    text,
)
from promptlint.frontends.python.volatile import VolatileTable, format_granularity
from promptlint.ir import Control, Segment, Slot, Stability, Text, VolatileKind

MAX_CALL_DEPTH = 4
# Evaluation steps per linted file. Following calls with bound arguments is not memoised, so deep call
# graphs (large libraries) could otherwise blow up; past the budget, values are treated as unknown.
EVAL_BUDGET = 20_000
_SESSION_HINT = re.compile(
    r"(?i)(user|customer|account|tenant|session|profile|member|persona|history|conversation|memory|messages)"
)
_CONFIG_HINT = re.compile(r"(?i)^(settings|config|cfg|conf|env|os\.environ)\b")


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: module, enclosing function/class, parameters bound by a call."""

    module: ModuleInfo
    func: FunctionNode | None = None
    cls: ast.ClassDef | None = None
    args: Mapping[str, Value] | None = None
    depth: int = 0


class Evaluator:
    """Evaluates expressions of one linted file (and the project modules it reaches)."""

    def __init__(self, home: ModuleInfo, loader: ModuleLoader, volatile: VolatileTable) -> None:
        self.home = home
        self.loader = loader
        self.volatile = volatile
        self.consumed: set[int] = set()
        self._memo: dict[tuple[int, int], Value] = {}
        self._active: set[tuple[int, int, int]] = set()
        self.budget = EVAL_BUDGET

    # -- entry point -------------------------------------------------------------------------
    def eval(self, node: ast.expr, scope: Scope) -> Value:
        key = (id(node), id(scope.func))
        if scope.args is None and key in self._memo:
            return self._memo[key]
        guard = (id(node), id(scope.func), id(scope.args))
        if guard in self._active or self.budget <= 0:
            return self.opaque(Stability.DEPLOYMENT, node, scope)
        self.budget -= 1
        self._active.add(guard)
        try:
            value = self._eval(node, scope)
        finally:
            self._active.discard(guard)
        if scope.args is None:
            self._memo[key] = value
        return value

    def _eval(self, node: ast.expr, scope: Scope) -> Value:
        module = scope.module
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return text(node.value, module.span(node))
            if isinstance(node.value, bytes) or node.value is None:
                return Str(())
            return text(str(node.value), module.span(node))
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope)
        if isinstance(node, ast.Name):
            return self.name(node.id, node, scope)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scope)
        if isinstance(node, ast.Call):
            return calls.eval_call(self, node, scope)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self._sequence(node, scope)
        if isinstance(node, ast.Dict):
            return self._dict(node, scope)
        if isinstance(node, ast.IfExp):
            self.consumed.update((id(node.body), id(node.orelse)))
            parts = [self.eval(n, scope) for n in (node.test, node.body, node.orelse)]
            label = module.text_of(node)
            slot = most_volatile(parts, _short(label), module.span(node), Stability.STATIC).as_slot()
            return Str((Control("if", module.span(node), _short(label)), slot))
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, scope)
            if isinstance(base, Map) and isinstance(node.slice, ast.Constant):
                found = base.get(str(node.slice.value))
                if found is not None:
                    return found
            return self.combine([base, self.eval(node.slice, scope)], node, scope, Stability.STATIC)
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self._comprehension(node, scope)
        if isinstance(node, ast.Starred):
            return self.eval(node.value, scope)
        if isinstance(node, ast.Slice):
            bounds = [self.eval(b, scope) for b in (node.lower, node.upper, node.step) if b is not None]
            return self.combine(bounds, node, scope, Stability.STATIC)
        if isinstance(node, ast.Await):
            return self.eval(node.value, scope)
        if isinstance(node, ast.BoolOp | ast.Compare | ast.UnaryOp):
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
            values = [ordered(self.eval(c, scope)) for c in children]  # membership ignores order
            return self.combine(values, node, scope, Stability.STATIC)
        return self.opaque(Stability.DEPLOYMENT, node, scope)

    # -- helpers used by calls.py --------------------------------------------------------------
    def opaque(self, stability: Stability, node: ast.AST, scope: Scope, cause: str = "") -> Opaque:
        label = _short(scope.module.text_of(node))
        return Opaque(stability, label, scope.module.span(node), cause or label)

    def combine(self, values: list[Value], node: ast.AST, scope: Scope, floor: Stability) -> Opaque:
        """An opaque result made from `values`: as volatile as its most volatile ingredient."""
        return most_volatile(values, _short(scope.module.text_of(node)), scope.module.span(node), floor)

    def iterate(self, value: Value, node: ast.AST, scope: Scope) -> Value:
        """Iterating `value` at `node`: a set becomes an ORDER-volatile culprit pointing here."""
        if isinstance(value, Seq) and value.unordered is not None:
            return self.order_culprit(node, scope, _short(scope.module.text_of(node)))
        return value

    def order_culprit(self, node: ast.AST, scope: Scope, cause: str) -> Opaque:
        """An ORDER-volatile value at `node`, with the unsafe fix of wrapping it in `sorted(...)`."""
        span = scope.module.span(node)
        fix = Fix(
            f"Wrap `{_short(scope.module.text_of(node))}` in `sorted(...)`",
            Applicability.UNSAFE,
            (Edit(Span(span.start, span.start), "sorted("), Edit(Span(span.end, span.end), ")")),
        )
        origin = Location(scope.module.path, span)
        return Opaque(Stability.VOLATILE, cause, span, cause, VolatileKind.ORDER, origin=origin, fix=fix)

    def to_str(self, value: Value, node: ast.AST, scope: Scope) -> Str:
        value = self.iterate(value, node, scope)
        if isinstance(value, Str):
            return value
        if isinstance(value, Opaque):
            return Str((value.as_slot(),))
        return Str((self.combine([value], node, scope, Stability.STATIC).as_slot(),))

    def volatile_value(self, qualname: str, node: ast.Call, scope: Scope) -> Opaque | None:
        source = self.volatile.lookup(qualname)
        if source is None:
            return None
        granularity = source.granularity
        if qualname.endswith("strftime") and node.args and isinstance(node.args[0], ast.Constant):
            granularity = format_granularity(str(node.args[0].value)) or granularity
        label = _short(scope.module.text_of(node.func)) + "()"
        if source.kind is VolatileKind.ORDER:
            return self.order_culprit(node, scope, label)
        span = scope.module.span(node)
        origin = Location(scope.module.path, span)
        return Opaque(Stability.VOLATILE, label, span, label, source.kind, granularity, origin)

    # -- composite expressions -----------------------------------------------------------------
    def _fstring(self, node: ast.JoinedStr, scope: Scope) -> Str:
        parts: list[Str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(text(str(value.value), scope.module.span(node)))
            elif isinstance(value, ast.FormattedValue):
                inner = self.eval(value.value, scope)
                spec = _constant_spec(value.format_spec)
                if spec is not None and isinstance(inner, Opaque) and inner.kind is VolatileKind.TIME:
                    inner = replace(inner, granularity=format_granularity(spec) or inner.granularity)
                parts.append(self.to_str(inner, value.value, scope))
        return concat(*parts)

    def _binop(self, node: ast.BinOp, scope: Scope) -> Value:
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        if isinstance(node.op, ast.Add):
            return self.add(left, right, node, scope)
        if isinstance(node.op, ast.Mod) and isinstance(left, Str):
            return calls.percent_format(self, left, right, node, scope)
        if isinstance(node.op, ast.Mult) and isinstance(node.right, ast.Constant) and isinstance(left, Str):
            count = node.right.value
            if isinstance(count, int) and 0 <= count <= 1000:
                return concat(*([left] * count))
        return self.combine([left, right], node, scope, Stability.STATIC)

    def add(self, left: Value, right: Value, node: ast.AST, scope: Scope) -> Value:
        if isinstance(left, Seq) or isinstance(right, Seq):
            items = [*_items(left), *_items(right)]
            return Seq(tuple(items), scope.module.span(node))
        if (
            isinstance(left, Opaque)
            and left.iterable_of_messages
            or (isinstance(right, Opaque) and right.iterable_of_messages)
        ):
            return Seq((left, right), scope.module.span(node))
        return concat(self.to_str(left, node, scope), self.to_str(right, node, scope))

    def _sequence(self, node: ast.List | ast.Tuple | ast.Set, scope: Scope) -> Value:
        self.consumed.add(id(node))
        items: list[Value] = []
        for elt in node.elts:
            value = self.eval(elt, scope)
            if isinstance(elt, ast.Starred):
                items.extend(_items(value))
            else:
                items.append(value)
        unordered = self.order_culprit(node, scope, "set") if isinstance(node, ast.Set) else None
        return Seq(tuple(items), scope.module.span(node), unordered)

    def _dict(self, node: ast.Dict, scope: Scope) -> Map:
        self.consumed.add(id(node))
        entries: list[MapEntry] = []
        dynamic: list[Value] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                dynamic.append(self.eval(value, scope))
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                entries.append(MapEntry(key.value, self.eval(value, scope), scope.module.span(key)))
            else:
                dynamic.append(self.eval(key, scope))
                dynamic.append(self.eval(value, scope))
        extra = self.combine(dynamic, node, scope, Stability.STATIC) if dynamic else None
        return Map(tuple(entries), scope.module.span(node), extra)

    def _comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: Scope) -> Value:
        gen = node.generators[0]
        source = self.iterate(self.eval(gen.iter, scope), gen.iter, scope)
        if isinstance(node, ast.SetComp):
            made = self._comprehension(
                ast.copy_location(ast.ListComp(node.elt, node.generators), node), scope
            )
            items = made.items if isinstance(made, Seq) else (made,)
            return Seq(items, scope.module.span(node), self.order_culprit(node, scope, "set"))
        target = gen.target.id if isinstance(gen.target, ast.Name) else None
        if (
            isinstance(source, Seq)
            and target
            and len(node.generators) == 1
            and not gen.ifs
            and len(source.items) <= 64
        ):
            base = dict(scope.args or {})
            results = []
            for item in source.items:
                results.append(self.eval(node.elt, replace(scope, args={**base, target: item})))
            return Seq(tuple(results), scope.module.span(node))
        inner = self.eval(node.elt, scope)
        return self.combine([source, inner], node, scope, Stability.STATIC)

    # -- names and attributes ------------------------------------------------------------------
    def name(self, name: str, node: ast.expr, scope: Scope, at: tuple[int, int] | None = None) -> Value:
        if scope.args is not None and name in scope.args:
            return scope.args[name]
        module = scope.module
        use = at or (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if scope.func is not None:
            found = self.resolve_bindings(
                module.function_bindings(scope.func).get(name, []), use, node, scope
            )
            if found is not None:
                return found
        top = module.bindings.get(name, [])
        at = use if scope.func is None else (10**9, 0)
        found = self.resolve_bindings(top, at, node, Scope(module, depth=scope.depth))
        if found is not None:
            return found
        if name in module.imports:
            return self.imported(module.imports[name], node, scope)
        if name in module.defs:
            return Ref(module.defs[name], module)
        return self.opaque(Stability.DEPLOYMENT, node, scope)

    def resolve_bindings(
        self, bindings: list[Binding], use: tuple[int, int], node: ast.expr, scope: Scope
    ) -> Value | None:
        before = [b for b in bindings if b.pos < use or b.kind == "param"]
        base_index = None
        for index in range(len(before) - 1, -1, -1):
            if before[index].kind in ("assign", "for", "with", "param", "def", "import"):
                base_index = index
                break
        if base_index is None:
            return None
        base = before[base_index]
        value = self._binding_value(base, node, scope)
        for mutation in before[base_index + 1 :]:
            value = calls.apply_mutation(self, value, mutation, scope)
        return value

    def _binding_value(self, binding: Binding, node: ast.expr, scope: Scope) -> Value:
        module = scope.module
        if binding.kind == "param":
            stability = Stability.SESSION if _SESSION_HINT.search(binding.name) else Stability.REQUEST
            if _CONFIG_HINT.match(binding.name):
                stability = Stability.DEPLOYMENT  # `settings`, `config`: the same for every request
            return Opaque(
                stability,
                binding.name,
                module.span(node),
                f"parameter `{binding.name}`",
                iterable_of_messages=bool(re.search(r"(?i)history|messages|conversation", binding.name)),
            )
        if binding.kind == "def":
            stmt = binding.stmt
            assert isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            return Ref(stmt, module)
        if binding.kind == "import":
            target = calls.import_target(binding, binding.name, module)
            return (
                self.imported(target, node, scope)
                if target
                else self.opaque(Stability.DEPLOYMENT, node, scope)
            )
        assert binding.value is not None
        if isinstance(binding.stmt, ast.Assign | ast.AnnAssign):
            self.consumed.add(id(binding.stmt))
        value = self.eval(binding.value, scope)
        if binding.kind == "for":
            value = self.iterate(value, binding.value, scope)
            return self.combine([value], node, scope, Stability.STATIC)
        if binding.kind == "with":
            return self.combine([value], node, scope, Stability.DEPLOYMENT)
        return value

    def imported(self, qualname: str, node: ast.expr, scope: Scope) -> Value:
        """Value of a name imported from `qualname`, following it into project modules."""
        modname, _, symbol = qualname.rpartition(".")
        if modname:
            target = self.loader.find(modname, scope.module.path)
            if target is not None and target is not scope.module:
                if symbol in target.bindings or symbol in target.defs:
                    inner = Scope(target, depth=scope.depth + 1)
                    if symbol in target.defs:
                        return Ref(target.defs[symbol], target)
                    value = self.name(symbol, node, inner, at=(10**9, 0))  # after the whole module ran
                    return respan(value, scope.module.span(node))
        return self.opaque(Stability.DEPLOYMENT, node, scope, cause=qualname)

    def _attribute(self, node: ast.Attribute, scope: Scope) -> Value:
        chain = dotted(node)
        module = scope.module
        if chain is not None:
            if scope.func is not None:
                local = module.function_bindings(scope.func).get(chain)
                if local:
                    found = self.resolve_bindings(local, (node.lineno, node.col_offset), node, scope)
                    if found is not None:
                        return found
            if chain.startswith("self.") and chain.count(".") == 1 and scope.cls is not None:
                return calls.instance_attribute(self, chain[5:], node, scope)
            head = chain.partition(".")[0]
            if head in module.imports and not _is_local(head, scope):
                return self.imported(f"{module.imports[head]}{chain[len(head) :]}", node, scope)
            if _CONFIG_HINT.match(chain):
                return self.opaque(Stability.DEPLOYMENT, node, scope)
        base = self.eval(node.value, scope)
        return calls.attribute_of(self, base, node, scope)

    def qualname(self, node: ast.expr, scope: Scope) -> str | None:
        """Fully qualified dotted name of a callee, with import aliases resolved."""
        chain = dotted(node)
        if chain is None:
            return None
        head, dot, rest = chain.partition(".")
        module = scope.module
        if scope.func is not None:
            for binding in module.function_bindings(scope.func).get(head, []):
                if binding.kind == "import":
                    resolved = calls.import_target(binding, head, module)
                    return f"{resolved}{dot}{rest}" if resolved else chain
                return None
        if head in module.imports:
            return f"{module.imports[head]}{dot}{rest}"
        return chain


def _is_local(name: str, scope: Scope) -> bool:
    return scope.func is not None and name in scope.module.function_bindings(scope.func)


def _items(value: Value) -> list[Value]:
    if isinstance(value, Seq):
        return list(value.items)
    if isinstance(value, Str) and not value.segments:
        return []
    if isinstance(value, Opaque):
        return [replace(value, iterable_of_messages=True)]
    return [value]


def _constant_spec(spec: ast.expr | None) -> str | None:
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
    return None


def _short(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= 60 else label[:57] + "..."


def respan(value: Value, span: Span) -> Value:
    """Move every position of a value from another module to `span` in this one (origins are kept)."""
    if isinstance(value, Opaque):
        return replace(value, span=span)
    if isinstance(value, Str):
        segs: list[Segment] = []
        for seg in value.segments:
            if isinstance(seg, Text):
                segs.append(Text(seg.text, span, False))
            elif isinstance(seg, Slot):
                segs.append(replace(seg, span=span))
            else:
                segs.append(replace(seg, span=span))
        return Str(tuple(segs))
    if isinstance(value, Seq):
        return Seq(tuple(respan(v, span) for v in value.items), span)
    if isinstance(value, Map):
        entries = tuple(MapEntry(e.key, respan(e.value, span), span) for e in value.entries)
        dyn = value.dynamic
        return Map(entries, span, replace(dyn, span=span) if dyn else None)
    if isinstance(value, Msg):
        return Msg(value.role, respan(value.content, span), span)
    return value


__all__ = ["Evaluator", "Scope", "respan", "opaque_parts"]
