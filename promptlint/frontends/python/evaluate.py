"""Evaluate Python expressions into abstract values without running them.

Owns `Evaluator`: the memoised, budgeted entry point `eval` and the expression forms themselves.
Literals become `Text`; f-strings, `+`, `*` and `%` build strings with holes; lists, tuples, sets,
dicts and comprehensions become sequences and maps (iterating a set is ORDER-volatile); anything we
cannot see into is opaque, as volatile as what it was made from, and volatile calls come from
`VolatileTable`. Names are resolved in `bindings.py`, attributes in `attributes.py`, calls in
`calls.py` and string formatting in `strings.py`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from functools import partial

from promptlint.diagnostics import Applicability, Edit, Fix, Location, Span
from promptlint.frontends.python import attributes, bindings, calls, strings, subtree
from promptlint.frontends.python.bindings import Scope, runs_once_per_process
from promptlint.frontends.python.history import store_of
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, ModuleLoader, dotted, final_name
from promptlint.frontends.python.values import (
    Map,
    MapEntry,
    Opaque,
    Seq,
    Str,
    Value,
    bounded_items,
    concat,
    most_volatile,
    opaque_parts,
    ordered,
    repeat,
    respan,
    stability_of,
    static_text,
    text,
    text_size,
)
from promptlint.frontends.python.volatile import VolatileTable, format_granularity
from promptlint.frontends.python.wrappers import SinkTable, sink_table
from promptlint.ir import Control, Stability, VolatileKind

# Evaluation steps per linted file: a bound for deep call graphs (large libraries); past the budget,
# values are treated as unknown.
EVAL_BUDGET = 20_000
# Nested evaluations (a chain of 200 `x1 = x0 + ...` assignments) stop here instead of exhausting the stack.
MAX_EVAL_DEPTH = 120
# A built string value costs one step per this many segments and characters (on top of its own step).
SEGMENTS_PER_STEP = 64
CHARS_PER_STEP = 4096
_BUILDING = (ast.BinOp, ast.JoinedStr, ast.Call)
SENT_SUBSCRIPT = "#subscript"  # key of `Evaluator.sent` entries that name a subscript node by id


class Evaluator:
    """Evaluates expressions of one linted file (and the project modules it reaches)."""

    def __init__(
        self, home: ModuleInfo, loader: ModuleLoader, volatile: VolatileTable, sinks: SinkTable | None = None
    ) -> None:
        self.home = home
        self.loader = loader
        self.volatile = volatile
        self.sinks = (
            sinks if sinks is not None else sink_table()
        )  # framework sinks (data/sinks.toml + config)
        self.consumed: set[int] = set()
        # A linted file and its copy reached through an import cycle may share one tree, so the
        # module is part of the key (values carry the module's path).
        self._memo: dict[tuple[int, int, int, int], Value] = {}
        self._active: set[tuple[int, int, int, int]] = set()
        self._bound: dict[int, object] = {}
        self.budget = EVAL_BUDGET
        # While sinks are evaluated: the dotted names read on the way, keyed by where they were read
        # (`(name, id(func))`, `(name, id(cls))` for `self.x`, `(name, 0)` for any), so history
        # operations can be checked against what is really sent (`history_evidence.py`).
        self.sent: set[tuple[str, int]] | None = None

    # -- entry point -------------------------------------------------------------------------
    def eval(self, node: ast.expr, scope: Scope) -> Value:
        # Memoised per node and function, and per call when arguments are bound: one `follow` binds
        # one arguments mapping, so its locals (`a = g(x); b = h(a); return k(a, b)`) are evaluated
        # once per call instead of once per use.
        key = (id(node), id(scope.func), id(scope.args), id(scope.module))
        if self.sent is not None:
            if type(node) is ast.Name or type(node) is ast.Attribute:
                self._record_sent(node, scope)
            elif type(node) is ast.Subscript:
                self.sent.add((SENT_SUBSCRIPT, id(node)))  # a slice whose result a sink reads
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self._active or self.budget <= 0 or len(self._active) >= MAX_EVAL_DEPTH:
            return self.opaque(Stability.DEPLOYMENT, node, scope)
        self.budget -= 1
        self._active.add(key)
        try:
            value = self._eval(node, scope)
        finally:
            self._active.discard(key)
        if type(value) is Str and type(node) in _BUILDING and len(value.segments) > 1:
            # What a value costs to build counts against the same budget as the steps, so that work
            # and memory per file stay linear in its size whatever the code does with big strings.
            self.budget -= (
                len(value.segments) // SEGMENTS_PER_STEP
                + text_size(value.segments, summarised=False) // CHARS_PER_STEP
            )
        self._memo[key] = value
        if scope.args is not None and id(scope.args) not in self._bound:
            self._bound[id(scope.args)] = scope.args  # keeps the id in the key from being reused
        return value

    def _record_sent(self, node: ast.expr, scope: Scope) -> None:
        chain = dotted(node)
        if chain is None or self.sent is None:
            return
        self.sent.add((chain, 0))
        self.sent.add((chain, id(scope.func)))
        if chain.startswith("self.") and scope.cls is not None:
            self.sent.add((chain, id(scope.cls)))

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
            return attributes.resolve_attribute(self, node, scope)
        if isinstance(node, ast.Call):
            return calls.eval_call(self, node, scope)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self._sequence(node, scope)
        if isinstance(node, ast.Dict):
            return self._dict(node, scope)
        if isinstance(node, ast.IfExp):
            self.consumed.update((id(node.body), id(node.orelse)))
            parts = [self.eval(n, scope) for n in (node.test, node.body, node.orelse)]
            branches = parts[1:]
            if not any(isinstance(b, Str) for b in branches) and any(_is_list_like(b) for b in branches):
                # `h[-50:] if len(h) > 50 else h`: a list either way, not text; the more variable
                # branch stands for it (the window, when both are as variable)
                return respan(max(branches, key=stability_of), module.span(node))
            label = module.text_of(node)
            slot = most_volatile(parts, _short(label), module.span(node), Stability.STATIC).as_slot()
            return Str((Control("if", module.span(node), _short(label)), slot))
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, scope)
            if isinstance(base, Map) and isinstance(node.slice, ast.Constant):
                found = base.get(str(node.slice.value))
                if found is not None:
                    return found
            sliced = self._static_slice(base, node, scope)
            if sliced is not None:
                return sliced
            index = self.eval(node.slice, scope)
            if isinstance(base, Opaque) and base.picked and isinstance(node.slice, ast.Constant):
                # `random.choice(rows)["persona"]`: a field of one of the elements, which may not differ
                return self.opaque(
                    Stability.UNKNOWN,
                    node,
                    scope,
                    cause="a field of a random pick from an unknown collection",
                )
            if (
                isinstance(base, Opaque)
                and base.stability is Stability.UNKNOWN
                and isinstance(index, Opaque)
                and index.kind is VolatileKind.RANDOM
            ):
                # `nodes[random.randint(...)]` of a collection promptlint cannot see picks one of its
                # elements: whether they differ is not known, so the pick is unknown, not random text
                return self.opaque(
                    Stability.UNKNOWN, node, scope, cause="a random pick from an unknown collection"
                )
            made = self.combine([base, index], node, scope, Stability.STATIC)
            if _entry_of_conversations(node):
                # `history[user_id]`: one conversation of a store of them, a list of messages
                return replace(made, iterable_of_messages=True)
            return made
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self._comprehension(node, scope)
        if isinstance(node, ast.DictComp):
            # Key order is the iteration order of the source: a set makes it ORDER-volatile.
            gen = node.generators[0]
            source = self.iterate(self.eval(gen.iter, scope), gen.iter, scope)
            parts = [source, self.eval(node.key, scope), self.eval(node.value, scope)]
            return self.combine(parts, node, scope, Stability.STATIC)
        if isinstance(node, ast.Starred):
            return self.eval(node.value, scope)
        if isinstance(node, ast.Slice):
            bounds = [self.eval(b, scope) for b in (node.lower, node.upper, node.step) if b is not None]
            return self.combine(bounds, node, scope, Stability.STATIC)
        if isinstance(node, ast.Await):
            return self.eval(node.value, scope)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # `a or set()` evaluates to one of its operands: a set among them keeps its hash order
            raw = [self.eval(c, scope) for c in node.values]
            unordered = next((v for v in raw if isinstance(v, Seq) and v.unordered is not None), None)
            if isinstance(unordered, Seq):
                items = tuple(i for v in raw for i in (v.items if isinstance(v, Seq) else (v,)))
                return Seq(items, scope.module.span(node), unordered.unordered)
        if isinstance(node, ast.BoolOp | ast.Compare | ast.UnaryOp):
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
            values = [ordered(self.eval(c, scope)) for c in children]  # membership ignores order
            made = self.combine(values, node, scope, Stability.STATIC)
            if isinstance(node, ast.Compare) and made.kind is VolatileKind.TIME:
                # `created > now - window`: a test against the clock flips at a threshold, it does not
                # carry the clock's value; what it selects is of unknown origin, not a clock
                return self.opaque(Stability.UNKNOWN, node, scope, cause="a comparison with the clock")
            return made
        return self.opaque(Stability.DEPLOYMENT, node, scope)

    def _static_slice(self, base: Value, node: ast.Subscript, scope: Scope) -> Str | None:
        """`prefix_stripped = name[len("builtin://"):]` of a constant: the constant's slice."""
        sl = node.slice
        whole = static_text(base) if isinstance(base, Str) else None
        if whole is None or not isinstance(sl, ast.Slice) or sl.step is not None:
            return None
        bounds = [None if b is None else self._static_int(b, scope) for b in (sl.lower, sl.upper)]
        if any(b is None and n is not None for b, n in zip(bounds, (sl.lower, sl.upper), strict=True)):
            return None
        return text(whole[bounds[0] : bounds[1]], scope.module.span(node))

    def _static_int(self, node: ast.expr, scope: Scope) -> int | None:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._static_int(node.operand, scope)
            return -inner if inner is not None else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and len(node.args) == 1
            and not node.keywords
        ):
            value = self.eval(node.args[0], scope)
            whole = static_text(value) if isinstance(value, Str) else None
            return len(whole) if whole is not None else None
        return None

    # -- helpers used by bindings, attributes, calls and strings --------------------------------
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
        if isinstance(value, Opaque) and value.kind is VolatileKind.ORDER and value.cause == "set":
            # A set combined by an operator (`set(a) | set(b)`): report and fix where it is iterated.
            return self.order_culprit(node, scope, _short(scope.module.text_of(node)))
        return value

    def order_culprit(self, node: ast.AST, scope: Scope, cause: str, with_fix: bool = True) -> Opaque:
        """An ORDER-volatile value at `node`, with the unsafe fix of wrapping it in `sorted(...)`.

        Only iteration sites get the fix: wrapping where a set is *made* would turn it into a list and
        break set operations (`a | b`).
        """
        span = scope.module.span(node)
        fix = None
        if with_fix:
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

    def seeded(self, qualname: str, node: ast.Call, scope: Scope) -> bool:
        """Whether a seeding call of `qualname`'s generator (`random.seed(7)`, from the volatile
        table) is a statement of the same function's body before `node`, with one argument that is
        not None and not proven to vary (`random.seed(time.time())`, a seed from the request): then
        every call draws the same values. A seed at import fixes only the sequence (each request
        draws the next values), one under an `if` or in a nested function may not run, and
        `seed()`/`seed(None)` reseed from the system, so none of those counts."""
        seeds = self.volatile.seeded_by(qualname)
        if not seeds or scope.func is None:
            return False
        for call in subtree.memo(scope.func, "seed-calls", partial(_seed_calls, scope.func)):
            if (call.lineno, call.col_offset) > (node.lineno, node.col_offset):
                continue
            if self.qualname(call.func, scope) not in seeds:
                continue
            given = call.args[0] if call.args else call.keywords[0].value
            if isinstance(given, ast.Constant) and given.value is None:
                continue
            stability = stability_of(self.eval(given, scope))
            if stability < Stability.UNKNOWN or (
                stability is Stability.UNKNOWN and _defaulted_parameter(given, scope.func)
            ):
                return True  # a constant, a setting, or a `seed: int = 7` parameter
        return False

    def constant_text(self, node: ast.expr, scope: Scope) -> str | None:
        """The text of `node` when it is a literal or a name (or attribute) bound to constant text,
        also in another module (`DATE_FORMAT = "%Y-%m-%d"` ... `now.strftime(DATE_FORMAT)`)."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if not isinstance(node, ast.Name | ast.Attribute | ast.JoinedStr | ast.BinOp):
            return None
        value = self.eval(node, scope)
        return static_text(value) if isinstance(value, Str) else None

    def volatile_value(self, qualname: str, node: ast.Call, scope: Scope) -> Opaque | None:
        source = self.volatile.lookup(qualname)
        if source is None:
            return None
        granularity = source.granularity
        if qualname.endswith("strftime") and node.args:
            shown = self.constant_text(node.args[0], scope)
            if shown is not None:
                granularity = format_granularity(shown) or granularity
        label = _short(scope.module.text_of(node.func)) + "()"
        if source.kind is VolatileKind.ORDER:
            # DirEntry objects do not compare: `sorted(os.scandir(d))` would raise, so no fix there.
            return self.order_culprit(node, scope, label, with_fix=not qualname.endswith("scandir"))
        span = scope.module.span(node)
        origin = Location(scope.module.path, span)
        if source.kind is VolatileKind.RANDOM and self.seeded(qualname, node, scope):
            # `random.seed(7)` first: the same numbers come out on every run.
            return Opaque(Stability.DEPLOYMENT, label, span, f"{label} after a seed", source.kind)
        if not source.stateful and runs_once_per_process(scope):
            # Module and class bodies run once, at import; a memoised function once per arguments:
            # the value is frozen for the process (a restart changes it, not each request).
            return Opaque(Stability.DEPLOYMENT, label, span, f"{label} once per process", source.kind)
        picked = False
        if source.kind is VolatileKind.RANDOM and self.volatile.picks_one(qualname) and node.args:
            pool = self.eval(node.args[0], scope)
            picked = isinstance(pool, Opaque) and pool.stability is Stability.UNKNOWN
        return Opaque(Stability.VOLATILE, label, span, label, source.kind, granularity, origin, picked=picked)

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
        if isinstance(node.op, ast.Add | ast.Sub) and _shifted_time(left, node.right):
            return left  # `now + timedelta(days=2)`: still a time, with the same granularity
        if isinstance(node.op, ast.Add) and not _is_number(node.left) and not _is_number(node.right):
            return self.add(left, right, node, scope)
        if isinstance(node.op, ast.Mod) and isinstance(left, Str):
            return strings.percent_format(self, left, right, node, scope)
        if isinstance(node.op, ast.Mult) and isinstance(node.right, ast.Constant) and isinstance(left, Str):
            count = node.right.value
            if isinstance(count, int) and 0 <= count <= 1000:
                return repeat(left, count)
        return self.combine([left, right], node, scope, Stability.STATIC)

    def add(self, left: Value, right: Value, node: ast.AST, scope: Scope) -> Value:
        if isinstance(left, Seq) or isinstance(right, Seq):
            items = [*_items(left), *_items(right)]
            return Seq(bounded_items(items, scope.module.span(node)), scope.module.span(node))
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
                if isinstance(value, Seq) and value.unordered is not None and not isinstance(node, ast.Set):
                    items.append(value.unordered)  # `[*base, *from_a_set]`: that stretch is in set order
                items.extend(_items(value))
            else:
                items.append(value)
        unordered = (
            self.order_culprit(node, scope, "set", with_fix=False) if isinstance(node, ast.Set) else None
        )
        return Seq(tuple(items), scope.module.span(node), unordered)

    def _dict(self, node: ast.Dict, scope: Scope) -> Map:
        self.consumed.add(id(node))
        entries: list[MapEntry] = []
        dynamic: list[Value] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                spread = self.eval(value, scope)
                if isinstance(spread, Map):  # `{**payload, "stream": True}`: its known keys are here
                    entries.extend(spread.entries)
                    if spread.dynamic is not None:
                        dynamic.append(spread.dynamic)
                else:
                    dynamic.append(spread)
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
            return Seq(items, scope.module.span(node), self.order_culprit(node, scope, "set", with_fix=False))
        target = gen.target.id if isinstance(gen.target, ast.Name) else None
        unpacked = None
        if len(node.generators) == 1 and not gen.ifs and isinstance(gen.target, ast.Tuple | ast.List):
            whole = gen.iter
            while (
                isinstance(whole, ast.Subscript)
                and isinstance(whole.slice, ast.Slice)
                and stability_of(self.eval(whole.slice, scope)) is not Stability.VOLATILE
            ):
                whole = whole.value  # `scored[:top_k]`: a window of the tuples has their shape
            unpacked = _unpacked(
                gen.target,
                source if whole is gen.iter else self.iterate(self.eval(whole, scope), whole, scope),
            )
        if unpacked is not None:
            # `[entry for _, _, entry in scored]`: each name is its own position of each tuple, so a
            # sort score kept beside an entry (`scored.append((score, idx, entry))`) stays out of it
            base = dict(scope.args or {})
            names = frozenset(n for bound in unpacked for n in bound)
            results = [
                self.eval(
                    node.elt, replace(scope, args={**base, **bound}, loop_names=scope.loop_names | names)
                )
                for bound in unpacked
            ]
            return Seq(tuple(results), scope.module.span(node))
        if isinstance(source, Seq) and target and len(node.generators) == 1 and len(source.items) <= 64:
            # `"\n\n".join(b for b in blocks if b.strip())`: each item, as far as promptlint can
            # tell; a filter drops only what is provably empty (a blank constant), the rest may pass
            base = dict(scope.args or {})
            results = []
            for item in source.items:
                bound = replace(scope, args={**base, target: item}, loop_names=scope.loop_names | {target})
                results.append(self.eval(node.elt, bound))
            if not gen.ifs:
                return Seq(tuple(results), scope.module.span(node))
            if all(isinstance(v, Str) for v in results):  # text blocks only: messages may be filtered by role
                kept = [v for v in results if not _blank(v)]
                return Seq(tuple(kept), scope.module.span(node))
        inner = self.eval(node.elt, scope)
        made = self.combine([source, inner], node, scope, Stability.STATIC)
        if (
            isinstance(source, Opaque)
            and source.iterable_of_messages
            and target is not None
            and isinstance(node.elt, ast.Name)
            and node.elt.id == target
            and not isinstance(node, ast.SetComp)
        ):
            # `[m for m in history if m["role"] != "system"]`: a filtered conversation is one still
            return replace(made, iterable_of_messages=True)
        return made

    # -- names (see `bindings.py`) -------------------------------------------------------------
    def name(self, name: str, node: ast.expr, scope: Scope, at: tuple[int, int] | None = None) -> Value:
        """The value of `name` at `at` (default: at `node`)."""
        return bindings.resolve_name(self, name, node, scope, at)

    def qualname(self, node: ast.expr, scope: Scope) -> str | None:
        """Fully qualified dotted name of a callee, with import aliases resolved."""
        return bindings.qualname(node, scope)


def _unpacked(target: ast.expr, source: Value) -> list[dict[str, Value]] | None:
    """For a flat tuple target (`a, _, b`) over a known sequence of same-length tuples: the names
    each item binds; None when any item's shape is not known."""
    if not isinstance(target, ast.Tuple | ast.List) or not isinstance(source, Seq) or not source.items:
        return None
    if len(source.items) > 64 or not all(isinstance(t, ast.Name) for t in target.elts):
        return None
    out: list[dict[str, Value]] = []
    for item in source.items:
        if not isinstance(item, Seq) or item.unordered is not None or len(item.items) != len(target.elts):
            return None
        out.append({t.id: v for t, v in zip(target.elts, item.items, strict=True) if isinstance(t, ast.Name)})
    return out


def _is_number(node: ast.expr) -> bool:
    """A numeric literal (`step + 1` is arithmetic, not text joined to "1")."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def _is_list_like(value: Value) -> bool:
    return isinstance(value, Seq) or (isinstance(value, Opaque) and value.iterable_of_messages)


def _blank(value: Value) -> bool:
    """A constant of only whitespace: what a truthiness or `.strip()` filter drops."""
    text = static_text(value) if isinstance(value, Str) else None
    return text is not None and not text.strip()


def _shifted_time(left: Value, right: ast.expr) -> bool:
    """`clock ± timedelta(...)` / `± relativedelta(...)`: a time moved by a fixed offset."""
    return (
        isinstance(left, Opaque)
        and left.kind is VolatileKind.TIME
        and isinstance(right, ast.Call)
        and (final_name(right.func) or "").lower() in ("timedelta", "relativedelta")
    )


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


__all__ = ["Evaluator", "Scope", "opaque_parts"]


_CONVERSATIONS = re.compile(r"(?i)(histor|conversation|dialog|chat_log)")


def _entry_of_conversations(node: ast.Subscript) -> bool:
    """An entry of a store whose name says it holds conversations (`history[user_id]`,
    `self.conversations[chat_id]`)."""
    store = store_of(node)
    return store is not None and _CONVERSATIONS.search(store.rsplit(".", 1)[-1]) is not None


def _seed_calls(func: ast.AST) -> list[ast.Call]:
    """`seed(x)` calls that are statements of `func`'s own body (not under an `if`, a loop or a
    nested function), with exactly one argument, positional or `a=`."""
    body = getattr(func, "body", [])
    return [
        stmt.value
        for stmt in body
        if isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and final_name(stmt.value.func) == "seed"
        and (
            (
                len(stmt.value.args) == 1
                and not stmt.value.keywords
                and not isinstance(stmt.value.args[0], ast.Starred)
            )
            or (not stmt.value.args and len(stmt.value.keywords) == 1 and stmt.value.keywords[0].arg == "a")
        )
    ]


def _defaulted_parameter(node: ast.expr, func: FunctionNode) -> bool:
    """`seed` of `def f(seed: int = DEFAULT_SEED)`: a parameter with a default (its callers may pass
    another, but a seed parameter is meant to be fixed; a seed from the request, `random.seed(
    question)`, is not one)."""
    if not isinstance(node, ast.Name):
        return False
    return any(a.arg == node.id and d is not None for a, d in bindings.parameter_defaults(func))
