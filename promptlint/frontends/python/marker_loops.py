"""Cache markers written once per item of a collection of unknown size (PC502 without a request).

A `cache_control` marker set inside a loop over messages, content parts or tools gives one marker per
item, and past the provider's limit (4 for Anthropic) the request is rejected. This pass finds, per
function of one module:

- **marker writes**: `x["cache_control"] = M`, a dict literal `{"cache_control": M}`, a call with
  `cache_control=M` (`TextBlockParam(..., cache_control=M)`, `block.update(cache_control=M)`), or a
  call of a function of the same module that makes one (`_set_cache_control(messages[i])`). `M` must be
  a marker value: a dict literal with a `type` key, a call of a marker constructor (`[markers]` in
  `data/sinks.toml`), a conditional with such a branch, or a name or same-module function that gives
  one. A value of unknown origin (a parameter) is not a marker.
- **loops that repeat them**: the write is inside a `for` loop or comprehension (its size is what the
  code fixes: a literal's length, a constant slice `x[-2:]`, `range(k)`, a name assigned only such
  values; else unknown), the marked object changes with the iteration (the loop
  variable, an object made in the loop, a fresh block), no `break`/`return` ends the loop, and no `if`
  between the loop and the write lets only a known few iterations through: a test of the loop variable with `==`/`is`,
  `i >= len(x) - k`, `i < k`, a counter or flag the loop changes, `role == "system"`, a test for the
  caller's own cache points (`if "cachePoint" in block`: translated one for one), or a call that is not
  a type or attribute test (an unknown predicate may select one item, so it is not evidence). The
  loop's items must be data (a parameter, an attribute, a list grown in a loop): what an unknown
  function returns (`_select_targets(messages, 3)`) may be bounded already.

Each repeated write is a fact with the number of items the code allows the loop (None: it does not
say); the rule compares it with the provider's limit and reports one per function.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from promptlint.diagnostics import Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.calls import positional_parameters
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo
from promptlint.frontends.python.sites import SITE_METHODS
from promptlint.frontends.python.wrappers import dict_entries
from promptlint.ir import RepeatedBreakpoint

KEY = "cache_control"
_LOOPS = (ast.For, ast.AsyncFor)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_WRAPPERS = frozenset(
    {"enumerate", "reversed", "list", "tuple", "sorted", "iter", "deepcopy", "copy", "items", "values"}
)
_TYPE_TESTS = frozenset({"isinstance", "hasattr", "getattr", "callable", "len", "bool"})
_HELPER_DEPTH = 3


@dataclass(frozen=True, slots=True)
class _Write:
    node: ast.AST  # the statement or expression that writes the marker
    target: ast.expr | None  # the object marked (None: a fresh block)
    helper: FunctionNode | None = None  # the same-module function that makes the marker
    inner: ast.AST | None = None  # the write inside that helper


@dataclass
class _Loop:
    node: ast.For | ast.AsyncFor | ast.comprehension
    header: ast.AST  # what the finding's chain points at (the `for` statement or the comprehension)
    names: frozenset[str]  # the loop variables
    changed: frozenset[str]  # names assigned in the loop body (per-item objects, counters, flags)
    carried: frozenset[str]  # names whose value the body carries to the next item (counters, flags)
    tests: dict[str, ast.expr]  # names the body sets to a test (`is_last = i == len(x) - 1`)
    exits: bool  # a `break` or `return` in the body ends the loop early


@dataclass
class _Scan:
    module: ModuleInfo
    marker_calls: re.Pattern[str]
    translated: re.Pattern[str]
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    _marker_fn: dict[int, bool] = field(default_factory=dict)
    _helper: dict[int, tuple[str, ast.AST] | None] = field(default_factory=dict)
    _unmarks: frozenset[str] | None = None

    # -- marker values ---------------------------------------------------------------------------

    def is_marker(self, value: ast.expr, scope: FunctionNode | None, depth: int = 0) -> bool:
        if depth > _HELPER_DEPTH or _reads_marker(value):
            return False  # a copy of a marker the input already carries is not a new one
        if isinstance(value, ast.Dict):
            return any(isinstance(k, ast.Constant) and k.value == "type" for k in value.keys)
        if isinstance(value, ast.IfExp):
            return self.is_marker(value.body, scope, depth) or self.is_marker(value.orelse, scope, depth)
        if isinstance(value, ast.Call):
            name = _final_name(value.func)
            if name == "dict":
                return any(kw.arg == "type" for kw in value.keywords)
            if name and self.marker_calls.search(name):
                return True
            fn = self._local_function(value.func)
            return fn is not None and self._returns_marker(fn, depth + 1)
        if isinstance(value, ast.Name):
            return any(
                self.is_marker(v, scope, depth + 1) for v in _assigned_values(value.id, scope, self.module)
            )
        return False

    def _returns_marker(self, fn: FunctionNode, depth: int) -> bool:
        key = id(fn)
        if key not in self._marker_fn:
            self._marker_fn[key] = False  # recursion guard
            self._marker_fn[key] = any(self.is_marker(r, fn, depth) for r in self.module.return_exprs(fn))
        return self._marker_fn[key]

    def _local_function(self, func: ast.expr) -> FunctionNode | None:
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner in ("self", "cls") or isinstance(self.module.defs.get(owner), ast.ClassDef):
                return self.functions.get(func.attr)
        return None

    # -- marker writes ---------------------------------------------------------------------------

    def write_of(self, node: ast.AST, scope: FunctionNode | None, depth: int = 0) -> _Write | None:
        """The marker write `node` is, if it is one (not looking inside it)."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if _is_key_subscript(target) and self.is_marker(node.value, scope):
                    assert isinstance(target, ast.Subscript)
                    return _Write(node, target.value)
            return None
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == KEY and self.is_marker(v, scope):
                    return _Write(node, None)
            return None
        if not isinstance(node, ast.Call):
            return None
        for kw in node.keywords:
            if kw.arg == KEY and self.is_marker(kw.value, scope):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("update", "setdefault"):
                    return _Write(node, func.value)
                return _Write(node, None)
        fn = self._local_function(node.func)
        if fn is None or depth >= _HELPER_DEPTH:
            return None
        made = self._helper_write(fn, depth + 1)
        if made is None or _switched_off(node, fn, made[1]):
            return None
        return _Write(node, _varying_argument(node), fn, made[1])

    def _helper_write(self, fn: FunctionNode, depth: int) -> tuple[str, ast.AST] | None:
        """A marker write in `fn` outside its own loops (those are reported in `fn` itself)."""
        key = id(fn)
        if key in self._helper:
            return self._helper[key]
        self._helper[key] = None  # recursion guard
        found: tuple[str, ast.AST] | None = None
        if not self._translates(fn):
            returned = _returned_nodes(fn, self.module)
            for node in _outside_loops(fn):
                write = self.write_of(node, fn, depth)
                if write is not None and _leaves(write, fn, self.module, returned):
                    found = (fn.name, write.inner or write.node)
                    break
        self._helper[key] = found
        return found

    def _translates(self, fn: FunctionNode) -> bool:
        """Whether `fn` tests for a marker its input already has (it copies markers, not adds them)."""
        return any(
            isinstance(node, ast.If | ast.IfExp) and self.translated.search(self.module.text_of(node.test))
            for node in _walk_body(fn.body)
        )

    # -- loops -----------------------------------------------------------------------------------

    def size(self, iterable: ast.expr, scope: FunctionNode | None, depth: int = 0) -> int | None:
        """How many items the code lets `iterable` have at most: None when it is data the code does not
        bound (a parameter, an attribute, a list grown in a loop), 0 when an unknown function decides."""
        if depth > 4:
            return None
        if isinstance(iterable, ast.List | ast.Tuple | ast.Set):
            return None if any(isinstance(e, ast.Starred) for e in iterable.elts) else len(iterable.elts)
        if isinstance(iterable, ast.Call):
            name = _final_name(iterable.func)
            args = iterable.args
            if name == "range" and args:
                stop = _const_int(args[-1] if len(args) == 1 else args[1])
                start = _const_int(args[0]) if len(args) > 1 else 0
                return max(0, stop - start) if stop is not None and start is not None else None
            if name in ("items", "values", "keys") and isinstance(iterable.func, ast.Attribute):
                return self.size(iterable.func.value, scope, depth + 1)
            if name in _WRAPPERS and args:
                return self.size(args[0], scope, depth + 1)
            if name == "zip" and args:
                return _least(self.size(a, scope, depth + 1) for a in args)
            return 0  # what an unknown function returns (`_select_targets(messages, 3)`) is not evidence
        if isinstance(iterable, ast.Subscript) and isinstance(iterable.slice, ast.Slice):
            sized = _slice_size(iterable.slice)
            if sized is None and _bounded_by_name(iterable.slice):
                return 0  # `targets[-n_breakpoints:]`: the code caps the count; how far is not known
            return sized
        if isinstance(iterable, ast.IfExp):
            a, b = self.size(iterable.body, scope, depth + 1), self.size(iterable.orelse, scope, depth + 1)
            return None if a is None or b is None else max(a, b)
        if isinstance(iterable, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self.size(iterable.generators[0].iter, scope, depth + 1)
        if isinstance(iterable, ast.Name) and scope is not None:
            values = _assigned_values(iterable.id, scope, self.module)
            if not values or _grown(iterable.id, scope):
                return None
            sizes = [self.size(v, scope, depth + 1) for v in values]
            return None if any(n is None for n in sizes) else max(n for n in sizes if n is not None)
        return None

    def selected(self, test: ast.expr, loop: _Loop) -> int | None:
        """How many iterations of `loop` an `if` test inside it lets through at most (None: all of
        them may pass; 0: a counter, a flag or an unknown predicate decides, so it is not evidence)."""
        if isinstance(test, ast.BoolOp):
            picks = [self.selected(v, loop) for v in test.values]
            if isinstance(test.op, ast.And):
                return _least(picks)
            return None if any(p is None for p in picks) else max(p for p in picks if p is not None)
        if isinstance(test, ast.Name) and test.id in loop.tests:
            return self.selected(loop.tests[test.id], loop)
        if _names(test) & loop.carried:
            return 0  # a counter or a flag the loop updates
        if self.translated.search(self.module.text_of(test)):
            return 0  # the caller's own cache points, translated one for one
        if isinstance(test, ast.Compare):
            return self._compare_selects(test, loop)
        if isinstance(test, ast.Call):
            name = _final_name(test.func)
            if name in _TYPE_TESTS or (
                isinstance(test.func, ast.Attribute) and test.func.attr in ("get", "startswith", "endswith")
            ):
                return None
            return 0
        return None

    def _compare_selects(self, test: ast.Compare, loop: _Loop) -> int | None:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if any(isinstance(c, ast.Constant) and c.value == "system" for c in (left, right)):
            return 1 if isinstance(op, ast.Eq | ast.Is) else None  # the system message: one per request
        on_loop = isinstance(left, ast.Name) and left.id in loop.names
        if not on_loop and isinstance(right, ast.Name) and right.id in loop.names:
            left, right, on_loop = right, left, True
            op = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}.get(
                type(op), op
            )
        if not on_loop:
            return None
        if isinstance(op, ast.Eq | ast.Is):
            return 1
        if isinstance(op, ast.In):
            return self.size(right, None)
        if isinstance(op, ast.Gt | ast.GtE):  # `i >= len(x) - k`: the last k items
            if isinstance(right, ast.BinOp) and isinstance(right.op, ast.Sub) and _mentions_len(right.left):
                k = _const_int(right.right)
                if k is not None:
                    return max(0, k if isinstance(op, ast.GtE) else k - 1)
            return None
        if isinstance(op, ast.Lt | ast.LtE):
            k = _const_int(right)
            return None if k is None else max(0, k + (1 if isinstance(op, ast.LtE) else 0))
        return None

    def scan(self, scope: FunctionNode | None, body: list[ast.stmt]) -> Iterator[RepeatedBreakpoint]:
        """Every marker write of `body` that a loop of the same function repeats, with the innermost
        such loop."""
        for node, loops, guards in _visit(body, [], []):
            write = self.write_of(node, scope)
            if write is None:
                continue
            found: tuple[_Loop, int | None, int] | None = None
            for depth in range(len(loops), 0, -1):
                loop = loops[depth - 1]
                inside = [test for test, at in guards if at >= depth]
                items = self._repeats(write, loop, inside, scope)
                if items is not False:
                    found = (loop, items, depth)
                    break
            kept = self._kept(
                write, loops[: found[2] - 1] if found else loops, found[1] if found else 1, scope
            )
            if kept is not None:
                yield kept
            elif found is not None:
                yield self._finding(write, found[0], found[1], scope)

    def _kept(
        self, write: _Write, loops: list[_Loop], per_round: int | None, scope: FunctionNode | None
    ) -> RepeatedBreakpoint | None:
        """A bounded number of markers per round of an enclosing loop that sends a list kept across
        its rounds, grown each round with what it marked (an agent loop marking its newest tool
        result): the markers of earlier rounds stay in the list, one request after another."""
        if per_round is None or write.target is not None:
            # unbounded already (the per-item finding says it), or an existing object marked again
            # each round (`system["cache_control"] = ...`): one marker, rewritten
            return None
        inner = loops[-1].node if loops else None
        rounds: list[ast.For | ast.AsyncFor | ast.While] = [
            loop.node for loop in loops if isinstance(loop.node, ast.For | ast.AsyncFor)
        ]
        m = self.module
        rounds += [
            w
            for w in _enclosing_whiles(write.node, scope, m)
            if inner is None or m.span(w).contains(m.span(inner))
        ]
        rounds.sort(key=lambda n: (n.lineno, n.col_offset))
        for node in reversed(rounds):
            kept = _kept_list(write.node, node, self._unmarking())
            if kept is None:
                continue
            count = self.size(node.iter, scope) if isinstance(node, ast.For | ast.AsyncFor) else None
            total = None if count is None else count * per_round
            header = node.iter if isinstance(node, ast.For | ast.AsyncFor) else node.test
            return RepeatedBreakpoint(
                span=m.span(write.node),
                loop=m.span(node),
                iterable=_short(m.text_of(header)),
                items=total,
                scope=m.span(scope) if scope is not None else Span(0, 0),
                kept_in=kept,
            )
        return None

    def _unmarking(self) -> frozenset[str]:
        """Same-module functions that take markers off (`content.pop("cache_control", None)`), found
        once per module."""
        if self._unmarks is None:
            self._unmarks = frozenset(
                name for name, fn in self.functions.items() if _takes_markers_off(_walk_body(fn.body))
            )
        return self._unmarks

    def _repeats(
        self, write: _Write, loop: _Loop, tests: list[ast.expr], scope: FunctionNode | None
    ) -> int | None | bool:
        """How many times `loop` writes the marker at most (None: the code does not bound it), or
        False when the loop does not repeat it (it stops early, marks one object, or a test picks)."""
        if loop.exits:
            return False
        if _sent_each_round(write.node, loop):
            return False  # a fresh marker in the request the loop makes each time round: one each
        varying = loop.names | loop.changed
        if write.target is not None and not (_names(write.target) & varying):
            return False  # the same object each time: one marker, rewritten
        if write.helper is not None and write.target is None and not (_names(write.node) & varying):
            return False
        items = self.size(loop.node.iter, scope)
        for test in [*tests, *_argument_tests(write.node)]:
            picked = self.selected(test, loop)
            if picked is not None:
                items = picked if items is None else min(items, picked)
        if items == 0:
            return False
        return items

    def _finding(
        self, write: _Write, loop: _Loop, items: int | None, scope: FunctionNode | None
    ) -> RepeatedBreakpoint:
        m = self.module
        helper = write.helper.name if write.helper is not None else ""
        inner = m.span(write.inner) if write.inner is not None else None
        return RepeatedBreakpoint(
            span=m.span(write.node),
            loop=m.span(loop.header),
            iterable=_short(m.text_of(loop.node.iter)),
            items=items,
            scope=m.span(scope) if scope is not None else Span(0, 0),
            helper=helper,
            helper_span=inner,
        )


def repeated_breakpoints(
    module: ModuleInfo, marker_calls: re.Pattern[str], translated: re.Pattern[str]
) -> list[RepeatedBreakpoint]:
    """Every `cache_control` marker a loop of its function writes once per item, in source order.

    `marker_calls` matches the final names of marker constructors; `translated` matches the text of a
    test that picks the caller's own cache points (`if "cachePoint" in block`), which are not added.
    """
    if KEY not in module.source.text:
        return []
    functions = list(_all_functions(module.tree))
    texts = {id(fn): module.text_of(fn) for fn in functions}
    # Only a function that names the key, or calls one that does, can repeat a marker.
    marking = {f"{fn.name}(" for fn in functions if KEY in texts[id(fn)]}
    scan = _Scan(module, marker_calls, translated, _functions(functions))
    out = list(scan.scan(None, [s for s in module.tree.body if not isinstance(s, _DEFS)]))
    for fn in functions:
        text = texts[id(fn)]
        if KEY in text or any(call in text for call in marking):
            out.extend(scan.scan(fn, fn.body))
    return sorted(out, key=lambda f: f.span.start)


# -- syntax helpers ----------------------------------------------------------------------------

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _visit(
    body: list[ast.stmt], loops: list[_Loop], guards: list[tuple[ast.expr, int]]
) -> Iterator[tuple[ast.AST, list[_Loop], list[tuple[ast.expr, int]]]]:
    """Every node of `body` (not inside nested definitions) with its enclosing loops and `if` tests
    (each test with the number of loops around it; only tests whose body holds the node)."""
    for stmt in body:
        yield from _visit_node(stmt, loops, guards)


def _visit_node(
    node: ast.AST, loops: list[_Loop], guards: list[tuple[ast.expr, int]]
) -> Iterator[tuple[ast.AST, list[_Loop], list[tuple[ast.expr, int]]]]:
    if isinstance(node, _DEFS):
        return
    yield node, loops, guards
    owner = len(loops)
    if isinstance(node, _LOOPS):
        yield from _visit_node(node.iter, loops, guards)
        changed, carried, tests = _changed(node.body)
        loop = _Loop(node, node, frozenset(_names(node.target)), changed, carried, tests, _exits(node.body))
        inner = [*loops, loop]
        yield from _visit(node.body, inner, guards)
        yield from _visit(node.orelse, loops, guards)
        return
    if isinstance(node, ast.If | ast.While):
        yield from _visit_node(node.test, loops, guards)
        test_guard = [*guards, (node.test, owner)] if isinstance(node, ast.If) else guards
        yield from _visit(node.body, loops, test_guard)
        yield from _visit(node.orelse, loops, guards)
        return
    if isinstance(node, ast.IfExp):
        yield from _visit_node(node.test, loops, guards)
        yield from _visit_node(node.body, loops, [*guards, (node.test, owner)])
        yield from _visit_node(node.orelse, loops, guards)
        return
    if isinstance(node, _COMPREHENSIONS):
        inner_loops = list(loops)
        inner_guards = list(guards)
        for gen in node.generators:
            yield from _visit_node(gen.iter, inner_loops, inner_guards)
            loop = _Loop(gen, node, frozenset(_names(gen.target)), frozenset(), frozenset(), {}, False)
            inner_loops = [*inner_loops, loop]
            inner_guards = [*inner_guards, *((test, len(inner_loops)) for test in gen.ifs)]
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for element in elements:
            yield from _visit_node(element, inner_loops, inner_guards)
        return
    for child in ast.iter_child_nodes(node):
        yield from _visit_node(child, loops, guards)


# Final names of provider request calls: a marker written in the arguments of one, inside the loop,
# goes with that one request (the prompt sites that send, not token counting or template building).
_REQUESTS = SITE_METHODS - {"count_tokens", "from_messages"}


def _sent_each_round(write: ast.AST, loop: _Loop) -> bool:
    """Whether the marker is written in the arguments of a request made in the loop's body (one
    request per item, each with its own marker), not gathered into a list sent later."""
    if not isinstance(loop.node, ast.For | ast.AsyncFor):
        return False
    at = (getattr(write, "lineno", 0), getattr(write, "col_offset", 0))
    for node in _walk_body(loop.node.body):
        if isinstance(node, ast.Call) and _final_name(node.func) in _REQUESTS:
            start = (node.lineno, node.col_offset)
            end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
            if start <= at < end:
                return True
    return False


_UNMARKS = re.compile(
    r"(?i)(strip|remove|clear|reset|drop|clean|unset)\w*cache|cache\w*(strip|remove|clear|reset|drop)"
)


def _enclosing_whiles(write: ast.AST, scope: FunctionNode | None, module: ModuleInfo) -> list[ast.While]:
    """The `while` loops of the function (or module body) around `write`."""
    owner: ast.AST = scope if scope is not None else module.tree
    at = module.span(write)
    return [
        n
        for n in _walk_body(list(getattr(owner, "body", [])))
        if isinstance(n, ast.While) and module.span(n).contains(at)
    ]


def _takes_markers_off(nodes: Iterable[ast.AST]) -> bool:
    """A `.pop("cache_control", ...)` or a `del x["cache_control"]` among `nodes`."""
    for node in nodes:
        if isinstance(node, ast.Call) and _final_name(node.func) == "pop":
            if any(isinstance(a, ast.Constant) and a.value == KEY for a in node.args):
                return True
        if isinstance(node, ast.Delete):
            if any(isinstance(c, ast.Constant) and c.value == KEY for t in node.targets for c in ast.walk(t)):
                return True
    return False


def _kept_list(
    write: ast.AST, loop: ast.For | ast.AsyncFor | ast.While, unmarking: frozenset[str] = frozenset()
) -> str | None:
    """The name of the list a loop's request sends (`messages=history`, or `**kwargs` built as
    `dict(..., messages=history)` in the loop) when that list is kept across rounds (not assigned in
    the body) and the body grows it after the marker is written (`history.append(...)`) and never
    takes a marker off (`.pop("cache_control")`, `del ...`, a `strip_cache_control(...)` helper)."""
    body = loop.body
    at = (getattr(write, "lineno", 0), getattr(write, "col_offset", 0))
    sent: set[str] = set()
    grown: set[str] = set()
    spread: set[str] = set()  # `**kwargs` of a request
    payloads: dict[str, set[str]] = {}  # `kwargs = dict(messages=history)`: kwargs -> {history}
    nodes = list(_walk_body(body))
    if _takes_markers_off(nodes):
        return None  # markers are taken off again
    for node in nodes:
        if isinstance(node, ast.Call):
            name = _final_name(node.func)
            if name in _REQUESTS:
                for kw in node.keywords:
                    if kw.arg == "messages" and isinstance(kw.value, ast.Name):
                        sent.add(kw.value.id)
                    elif kw.arg is None and isinstance(kw.value, ast.Name):
                        spread.add(kw.value.id)
            elif name in ("append", "extend") and isinstance(node.func, ast.Attribute):
                if isinstance(node.func.value, ast.Name) and (node.lineno, node.col_offset) > at:
                    grown.add(node.func.value.id)
            elif name and (_UNMARKS.search(name) or name in unmarking):
                return None  # `strip_cache_control(messages)`: a helper takes them off
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if (node.lineno, node.col_offset) > at:
                grown.add(node.target.id)
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            payloads[node.targets[0].id] = _messages_of_payload(node.value)
    for name in spread:
        sent |= payloads.get(name, set())
    changed = _changed(body)[0]
    kept = sorted((sent & grown) - changed)
    return kept[0] if kept else None


def _messages_of_payload(value: ast.expr) -> set[str]:
    """`dict(model=m, messages=history)` or `{"messages": history}`: {"history"}."""
    sent = dict_entries(value).get("messages")
    return {sent.id} if isinstance(sent, ast.Name) else set()


def _argument_tests(write: ast.AST) -> Iterator[ast.expr]:
    """Arguments of the calls in a write that may decide whether it marks (`use_cache and is_last`)."""
    for node in subtree.nodes(write):
        if isinstance(node, ast.Call):
            for arg in (*node.args, *(kw.value for kw in node.keywords)):
                if isinstance(arg, ast.BoolOp | ast.Compare | ast.Name | ast.UnaryOp):
                    yield arg


def _reads_marker(value: ast.expr) -> bool:
    """`block["cache_control"]`, `msg.get("cache_control")`: a marker read from the input."""
    for node in subtree.nodes(value):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == KEY
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == KEY
        ):
            return True
    return False


def _returned_nodes(fn: FunctionNode, module: ModuleInfo) -> set[int]:
    """`id()`s of what `fn` returns: each return value, the items of a returned list or tuple, and
    the values assigned to a returned name."""
    out: set[int] = set()
    for value in module.return_exprs(fn):
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        for item in items:
            out.add(id(item))
            if isinstance(item, ast.IfExp):
                out.update((id(item.body), id(item.orelse)))
            if isinstance(item, ast.Name):
                out.update(id(v) for v in _assigned_values(item.id, fn, module))
    return out


def _leaves(write: _Write, fn: FunctionNode, module: ModuleInfo, returned: set[int]) -> bool:
    """Whether a helper's marker reaches its caller: it marks a parameter (`entry["cache_control"] =
    ...`), the block the helper returns (`part = {...}; part["cache_control"] = ...; return part`), or
    it is (in) the block returned. A marker on a request the helper sends itself is one per request,
    whatever loop calls it."""
    if write.target is not None:
        base = write.target
        while isinstance(base, ast.Subscript | ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            return False
        return _is_parameter(base.id, fn) or any(
            isinstance(r, ast.Name) and r.id == base.id for r in module.return_exprs(fn)
        )
    return id(write.node) in returned or write.helper is not None


def _switched_off(call: ast.Call, fn: FunctionNode, write: ast.AST) -> bool:
    """Whether `call` passes a false constant for a parameter of `fn` whose truth the marker write
    needs (`_text(block, cached=False)` of `def _text(text, *, cached): ... if cached: part[...] =`)."""
    given: dict[str, ast.expr] = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    params = positional_parameters(fn, isinstance(call.func, ast.Attribute))
    for param, arg in zip(params, call.args, strict=False):
        given.setdefault(param, arg)
    for node, _loops, guards in _visit(fn.body, [], []):
        if node is not write:
            continue
        for test, _at in guards:
            parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
            for part in parts:  # `if cached:` or `if cached and text:`
                value = given.get(part.id) if isinstance(part, ast.Name) else None
                if isinstance(value, ast.Constant) and not value.value:
                    return True
        return False
    return False


def _outside_loops(fn: FunctionNode) -> Iterator[ast.AST]:
    for node, loops, _guards in _visit(fn.body, [], []):
        if not loops:
            yield node


def _changed(body: list[ast.stmt]) -> tuple[frozenset[str], frozenset[str], dict[str, ast.expr]]:
    """Names assigned in a loop body; those among them carried between items: augmented (`n += 1`),
    updated from themselves (`n = n + 1`) or set to a constant (`done = True`); and those set to a
    test (`is_last = i == len(x) - 1`), with the test."""
    changed: set[str] = set()
    carried: set[str] = set()
    tests: dict[str, ast.expr] = {}
    for node in _walk_body(body):
        if isinstance(node, ast.Assign):
            names = {n for t in node.targets for n in _store_names(t)}
            changed |= names
            if isinstance(node.value, ast.Constant) or names & _names(node.value):
                carried |= names
            if isinstance(node.value, ast.Compare | ast.BoolOp) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    tests[target.id] = node.value
        elif isinstance(node, ast.AugAssign):
            names = _store_names(node.target)
            changed |= names
            carried |= names
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            changed |= _store_names(node.target)
        elif isinstance(node, ast.NamedExpr):
            changed.add(node.target.id)
    return frozenset(changed), frozenset(carried), tests


def _walk_body(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of `body`, not entering nested definitions."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _DEFS):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _store_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return {n for e in target.elts for n in _store_names(e)}
    return set()


def _exits(body: list[ast.stmt]) -> bool:
    """A `break` of this loop or a `return` anywhere in its body (not in nested definitions)."""

    def ends(node: ast.AST, nested: bool) -> bool:
        if isinstance(node, _DEFS):
            return False
        if isinstance(node, ast.Return) or (isinstance(node, ast.Break) and not nested):
            return True
        inner = nested or isinstance(node, (*_LOOPS, ast.While))
        return any(
            ends(child, inner)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)
        )

    return any(ends(stmt, False) for stmt in body)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in subtree.nodes(node) if isinstance(n, ast.Name)}


def _varying_argument(call: ast.Call) -> ast.expr | None:
    """The call's first argument (what a marking helper marks), or None when it has none."""
    if call.args:
        return call.args[0]
    return call.keywords[0].value if call.keywords else None


def _is_key_subscript(target: ast.expr) -> bool:
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.slice, ast.Constant)
        and target.slice.value == KEY
    )


def _assigned_values(name: str, scope: FunctionNode | None, module: ModuleInfo) -> list[ast.expr]:
    """The values assigned to `name` in `scope` (or at module level), in source order."""
    body: list[ast.stmt] = scope.body if scope is not None else module.tree.body
    out: list[ast.expr] = []
    for node in _walk_body(body):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            out.append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is not None:
                out.append(node.value)
    if not out and scope is not None:
        return _assigned_values(name, None, module) if not _is_parameter(name, scope) else []
    return out


def _is_parameter(name: str, fn: FunctionNode) -> bool:
    a = fn.args
    return any(p.arg == name for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p)


def _grown(name: str, scope: FunctionNode) -> bool:
    """Whether a list named `name` grows in `scope` (`.append`/`.extend`/`.insert`/`+=`)."""
    for node in subtree.nodes(scope):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "insert")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            return True
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return True
    return False


def _least(sizes: Iterable[int | None]) -> int | None:
    known = [n for n in sizes if n is not None]
    return min(known) if known else None


def _mentions_len(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and _final_name(n.func) == "len" for n in subtree.nodes(node))


def _bounded_by_name(s: ast.Slice) -> bool:
    """`x[-n:]`, `x[:limit]`: a window whose one bound is a named count (no step, no `len()`)."""
    bounds = [b for b in (s.lower, s.upper) if b is not None]
    if s.step is not None or len(bounds) != 1:
        return False
    bound = bounds[0]
    if isinstance(bound, ast.UnaryOp) and isinstance(bound.op, ast.USub):
        bound = bound.operand
    return isinstance(bound, ast.Name | ast.Attribute)


def _slice_size(s: ast.Slice) -> int | None:
    if s.step is not None:
        return None
    lower = _const_int(s.lower) if s.lower is not None else 0
    upper = _const_int(s.upper) if s.upper is not None else None
    if lower is None:
        return None
    if upper is None:
        return -lower if lower < 0 and s.upper is None else None
    if lower >= 0 and upper >= 0:
        return max(0, upper - lower)
    if lower < 0 and upper <= 0:
        return max(0, upper - lower)
    return None


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const_int(node.operand)
        return -inner if inner is not None else None
    return None


def _final_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _functions(functions: list[FunctionNode]) -> dict[str, FunctionNode]:
    """Functions and methods of the module by name (the first definition of a name wins)."""
    out: dict[str, FunctionNode] = {}
    for fn in functions:
        out.setdefault(fn.name, fn)
    return out


def _all_functions(tree: ast.Module) -> Iterator[FunctionNode]:
    for node in subtree.nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."
