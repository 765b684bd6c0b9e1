"""Scopes and names: the value a name has at a point of use.

Owns `Scope` and name resolution. A name resolves through its function's bindings, then its module's,
in flow order (assignments, loop and `with` targets, parameters, defs, imports), with the later
statements that mutate it (`+=`, `append`, `extend`, `insert`, `update`, shuffle) folded in. Imports
are followed into project modules, and callee names are qualified with their import aliases resolved.
Parameters are of unknown origin (per-deployment when their names say config); evidence of
per-request input is added where the value is sent (`sites.py`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Location
from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import (
    Binding,
    FunctionNode,
    ModuleInfo,
    counting_targets,
    dotted,
    resolve_relative,
)
from promptlint.frontends.python.request_input import handler_label
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
    frozen_clocks,
    respan,
    sorted_items,
    stability_of,
    static_text,
    with_key,
    with_step,
)
from promptlint.ir import NUMBER_PARAMETER, Control, Stability, VolatileKind

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator

# Names that say a value belongs to the deployment (configuration).
CONFIG_HINT = re.compile(r"(?i)^(settings|config|cfg|conf|env|os\.environ)\b")


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: module, enclosing function/class, parameters bound by a call."""

    module: ModuleInfo
    func: FunctionNode | None = None
    cls: ast.ClassDef | None = None
    args: Mapping[str, Value] | None = None
    depth: int = 0
    # Names `args` binds as comprehension targets (not a call's parameters): never folded with the
    # function's own bindings of the same name.
    loop_names: frozenset[str] = frozenset()
    # Evaluated each time an object is made, though outside a function (a dataclass field's
    # `default_factory=lambda: ...`): a clock read there is not one per process.
    per_object: bool = False


def resolve_name(
    ev: Evaluator, name: str, node: ast.expr, scope: Scope, at: tuple[int, int] | None = None
) -> Value:
    """The value of `name` at `at` (default: at `node`): bound argument, local, module, import or def."""
    module = scope.module
    if scope.args is not None and name in scope.args:
        if scope.func is not None and name not in scope.loop_names:
            # A bound parameter with later statements (`context.update({...})`, `if x is None: x = {}`):
            # the caller's value with them folded in.
            own = module.function_bindings(scope.func).get(name, [])
            if any(b.kind == "param" for b in own) and len(own) > 1:
                use = at or (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
                found = resolve_bindings(ev, own, use, node, scope)
                if found is not None:
                    return found
        return scope.args[name]
    use = at or (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    if scope.func is not None:
        found = resolve_bindings(ev, module.function_bindings(scope.func).get(name, []), use, node, scope)
        if found is not None:
            return found
    top = module.bindings.get(name, [])
    at = use if scope.func is None else (10**9, 0)
    found = resolve_bindings(ev, top, at, node, Scope(module, depth=scope.depth))
    if found is not None:
        return found
    if name in module.imports:
        return imported(ev, module.imports[name], node, scope)
    if name in module.defs:
        return Ref(module.defs[name], module)
    return ev.opaque(Stability.DEPLOYMENT, node, scope)


def resolve_bindings(
    ev: Evaluator, bindings: list[Binding], use: tuple[int, int], node: ast.expr, scope: Scope
) -> Value | None:
    """The last binding before `use`, with the mutations after it folded in; None if there is none."""
    before = [b for b in bindings if b.pos < use or b.kind == "param"]
    base_index = None
    for index in range(len(before) - 1, -1, -1):
        if before[index].kind in _BASE_KINDS:
            base_index = index
            break
    if base_index is None:
        return None
    base = before[base_index]
    value = _with_mutations(ev, _binding_value(ev, base, node, scope), before[base_index + 1 :], scope)
    if base.kind == "assign" and base.branch in ("if", "try"):
        # The last assignment is conditional (an `if` branch, an `except` handler's fallback): the
        # other paths reach the use too, and the most variable of them stands for the name.
        after = before[base_index + 1 :]
        statement = _if_of(scope, base.condition)
        arm = _arm(statement, base)
        # Statements after it in its own arm of the `if` run on its path only.
        shared = [m for m in after if m.condition is not base.condition or _arm(statement, m) != arm]
        value = _join_branches(ev, before[:base_index], value, shared, node, scope)
    return value


def _if_of(scope: Scope, test: ast.expr | None) -> ast.If | None:
    """The `if` statement whose test is `test` (None when it is a loop's or a `try`'s)."""
    if test is None:
        return None
    owner: ast.AST = scope.func if scope.func is not None else scope.module.tree
    by_test = subtree.memo(
        owner, "if-by-test", lambda: {id(n.test): n for n in subtree.nodes(owner) if isinstance(n, ast.If)}
    )
    return by_test.get(id(test))


def _arm(statement: ast.If | None, binding: Binding) -> int:
    """Which arm of `statement` holds `binding` (0: body, 1: else); -1 without an `if`."""
    if statement is None:
        return -1
    orelse = statement.orelse
    return 1 if orelse and binding.pos >= (orelse[0].lineno, orelse[0].col_offset) else 0


def _with_mutations(ev: Evaluator, value: Value, later: list[Binding], scope: Scope) -> Value:
    for mutation in later:
        if mutation.kind not in _BASE_KINDS:
            value = apply_mutation(ev, value, mutation, scope)
    return value


def fold_effects(
    ev: Evaluator, value: Value, bindings: list[Binding], use: tuple[int, int], scope: Scope
) -> Value:
    """`value` (from outside the function: `self.ctx` of the class) with this function's keyed stores
    and helper effects before `use` folded in."""
    for binding in bindings:
        if binding.pos < use and binding.kind in ("setitem", "effects"):
            value = apply_mutation(ev, value, binding, scope)
    return value


MAX_BRANCHES = 4  # earlier assignments considered as the other paths to a conditional one


def _join_branches(
    ev: Evaluator,
    earlier: list[Binding],
    value: Value,
    after: list[Binding],
    node: ast.expr,
    scope: Scope,
) -> Value:
    """A name last assigned inside an `if` or an `except` handler may hold an earlier assignment on
    other paths (the other branch of an if/else, the `try` body, or the value before the `if`): the
    most variable of them stands for it. `value` already has the statements after the assignment
    folded in; each other path gets the ones on its own way there (`messages += history` before the
    branch, `messages.append(...)` in the other branch) and those after."""
    rank = _alternative_rank(value)
    seen = 0
    for index in range(len(earlier) - 1, -1, -1):
        binding = earlier[index]
        bound = _bound_argument(binding, scope)
        if bound is not None:
            # `if x is None: x = {}`: else the caller's value
            alternative = _with_mutations(ev, bound, after, scope)
            if stability_of(alternative) > rank[0]:
                value = alternative
            break
        if binding.kind != "assign":
            continue
        alternative = _binding_value(ev, binding, node, scope)
        alternative = _with_mutations(ev, alternative, [*earlier[index + 1 :], *after], scope)
        if _alternative_rank(alternative) > rank:
            value, rank = alternative, _alternative_rank(alternative)
        seen += 1
        if binding.branch not in ("if", "try") or seen >= MAX_BRANCHES:
            break  # an unconditional assignment: nothing before it reaches the use
    return value


_BASE_KINDS = frozenset({"assign", "for", "with", "param", "def", "import"})


def _alternative_rank(value: Value) -> tuple[Stability, int]:
    """How one path's value compares with another's: the more variable wins; between message lists
    of equal stability, the longer one (`else: messages = [user_turn]` is the degenerate path of a
    request that otherwise carries the system prompt and the history)."""
    size = len(value.items) if isinstance(value, Seq) and value.unordered is None else 0
    return stability_of(value), size


def _bound_argument(binding: Binding, scope: Scope) -> Value | None:
    """A parameter's value as bound by the call being followed (not a comprehension's target)."""
    if binding.kind != "param" or scope.args is None or binding.name in scope.loop_names:
        return None
    return scope.args.get(binding.name)


_NUMBER_TYPES = frozenset({"int", "float", "bool"})


def _declared_number(func: FunctionNode | None, arg: ast.AST) -> bool:
    """Whether parameter `arg` of `func` is declared a number: annotated `int`/`float`/`bool`
    (`Optional[int]`, `int | None`), or given a number as its default (`page_limit=8`)."""
    if func is None or not isinstance(arg, ast.arg):
        return False
    if arg.annotation is not None:
        names = {n.id for n in ast.walk(arg.annotation) if isinstance(n, ast.Name)}
        names |= {
            n.value
            for n in ast.walk(arg.annotation)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        if names & _NUMBER_TYPES and names <= _NUMBER_TYPES | {"Optional", "None", "Union"}:
            return True
    default = next((d for a, d in parameter_defaults(func) if a is arg), None)
    return isinstance(default, ast.Constant) and type(default.value) in (int, float, bool)


def parameter_defaults(func: FunctionNode) -> list[tuple[ast.arg, ast.expr | None]]:
    """Each positional and keyword-only parameter of `func` with its default (None: it has none)."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    return [*zip(positional, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults, strict=True)]


def _binding_value(ev: Evaluator, binding: Binding, node: ast.expr, scope: Scope) -> Value:
    module = scope.module
    bound = _bound_argument(binding, scope)
    if bound is not None:
        return bound
    if binding.kind == "param":
        # A parameter's origin is the caller's business: unknown, never per-request by its name.
        # Evidence upgrades it later (sent as the user's message, a web handler's request body).
        stability = Stability.UNKNOWN
        cause = f"parameter `{binding.name}`"
        if _declared_number(scope.func, binding.stmt):
            cause += NUMBER_PARAMETER
        handler = handler_label(scope.func, module.imports) if scope.func is not None else None
        if handler is not None and binding.name not in ("self", "cls"):
            stability, cause = Stability.REQUEST, f"request parameter `{binding.name}` of the {handler}"
        elif CONFIG_HINT.match(binding.name):
            stability = Stability.DEPLOYMENT  # `settings`, `config`: the same for every request
        return Opaque(
            stability,
            binding.name,
            module.span(node),
            cause,
            iterable_of_messages=bool(re.search(r"(?i)history|messages|conversation", binding.name))
            or _annotated_message_list(binding.stmt),
        )
    if binding.kind == "def":
        stmt = binding.stmt
        assert isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if scope.func is not None and not isinstance(stmt, ast.ClassDef):
            return Ref(stmt, module, scope.cls)  # a closure in a method sees the method's `self`
        return Ref(stmt, module)
    if binding.kind == "import":
        target = import_target(binding, binding.name, module)
        return imported(ev, target, node, scope) if target else ev.opaque(Stability.DEPLOYMENT, node, scope)
    assert binding.value is not None
    if isinstance(binding.stmt, ast.Assign | ast.AnnAssign):
        ev.consumed.add(id(binding.stmt))
    value = ev.eval(binding.value, scope)
    if binding.kind == "assign" and binding.index is None:
        value = _passed_through(ev, binding, value, scope)
    if binding.index is not None and isinstance(value, Seq) and len(value.items) > binding.index:
        if value.unordered is None:
            value = value.items[binding.index]  # `items, note = f()`: each name its own item
    if isinstance(binding.stmt, ast.AnnAssign) and _annotated_set(binding.stmt.annotation):
        if not (isinstance(value, Seq) and value.unordered is not None):
            # `loaded: set[str] = state.get("loaded") or set()`: declared a set, iterated in hash order
            culprit = ev.order_culprit(binding.stmt.target, scope, "set", with_fix=False)
            value = Seq(
                value.items if isinstance(value, Seq) else (value,), module.span(binding.stmt), culprit
            )
    if binding.kind == "assign":
        step = Location(module.path, module.span(binding.stmt), f"assigned to `{binding.name}`")
        value = with_step(value, step)
    if binding.kind == "for":
        value = ev.iterate(value, binding.value, scope)
        made = ev.combine([value], node, scope, Stability.STATIC)
        counter = loop_counter(binding)
        if counter is not None and made.stability <= Stability.UNKNOWN:
            # Known now, judged later: a request the loop makes gets a new value each time round
            # (`per_iteration.py`); text built in the loop and sent after it does not.
            where = Location(module.path, module.span(counter))
            return replace(made, cause=f"loop counter `{binding.name}`", origin=where)
        return made
    if binding.kind == "with":
        return ev.combine([value], node, scope, Stability.DEPLOYMENT)
    return value


_SET_ANNOTATION = re.compile(r"^(set|frozenset|Set|FrozenSet|AbstractSet|MutableSet)(\[|$)")


def _annotated_set(annotation: ast.expr) -> bool:
    """`set[str]`, `typing.Set[int]`, `frozenset`: a value declared to be a set."""
    text = ast.unparse(annotation).replace("typing.", "").replace("collections.abc.", "").strip()
    return bool(_SET_ANNOTATION.match(text))


_MESSAGE_LIST = re.compile(r"(?i)^(list|sequence|iterable)\[[\w.]*message\w*\]$")


def _annotated_message_list(arg: ast.AST) -> bool:
    """`msgs: list[ChatMessage]`, `history: List[BaseMessage]`: a parameter declared as a list of
    messages (a `list[dict]` may be anything: few-shot examples, records)."""
    annotation = getattr(arg, "annotation", None)
    if annotation is None:
        return False
    text = ast.unparse(annotation).replace("typing.", "").replace(" ", "")
    return bool(_MESSAGE_LIST.match(text))


def apply_mutation(ev: Evaluator, value: Value, mutation: Binding, scope: Scope) -> Value:
    """Fold a later statement (`+=`, `append`, `extend`, `insert`, `update`, `d["k"] = v`, shuffle)
    into a value."""
    node = mutation.stmt
    span = scope.module.span(node)
    if mutation.kind == "shuffle":
        if isinstance(node, ast.Call) and ev.seeded(ev.qualname(node.func, scope) or "", node, scope):
            return value  # shuffled after `random.seed(7)`: the same order on every run
        origin_label = "random.shuffle()"
        return Opaque(
            Stability.VOLATILE,
            origin_label,
            span,
            origin_label,
            VolatileKind.RANDOM,
            origin=Location(scope.module.path, span),
            iterable_of_messages=True,
        )
    if mutation.kind == "effects":
        return _call_effects(ev, value, mutation, scope)
    if mutation.kind == "sort":
        return sorted_items(value)  # `results.sort(key=...)` undoes the order they were collected in
    assert mutation.value is not None
    if mutation.kind in ("append", "extend") and mutation.branch in ("for", "if"):
        each = _unrolled(ev, mutation, scope)
        if each is not None:
            ev.consumed.add(id(mutation.value))
            kept: list[Value] = list(value.items) if isinstance(value, Seq) else [value]
            for one in each:
                kept.extend(one.items if mutation.kind == "extend" and isinstance(one, Seq) else [one])
            return Seq(tuple(kept), value.span if isinstance(value, Seq) else span)
    added = ev.eval(mutation.value, scope)
    if isinstance(mutation.stmt, ast.Call) and mutation.kind in ("append", "extend", "insert"):
        ev.consumed.add(id(mutation.value))
    if mutation.kind == "aug":
        if mutation.branch and isinstance(value, Str):
            control = Control(mutation.branch, span, stability=_condition_stability(ev, mutation, scope))
            return concat(value, Str((control,)), ev.to_str(added, node, scope))
        return ev.add(value, added, node, scope)
    if mutation.kind == "update" and isinstance(value, Map) and isinstance(added, Map):
        return Map(value.entries + added.entries, value.span, value.dynamic)
    if mutation.kind == "setitem":
        target = mutation.stmt
        if not isinstance(target, ast.Subscript):
            return value
        assert isinstance(target.slice, ast.Constant)
        return with_key(value, MapEntry(str(target.slice.value), added, span), span)
    items: list[Value] = list(value.items) if isinstance(value, Seq) else [value]
    if mutation.kind == "append":
        items.append(_replayed_turn(ev, added, mutation, scope, value))
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
    order = value.unordered if isinstance(value, Seq) else None
    if order is None and mutation.kind in ("append", "extend") and mutation.branch in ("for", "if"):
        order = _loop_order(ev, mutation, scope)
    return Seq(tuple(items), value.span if isinstance(value, Seq) else span, order)


def _replayed_turn(
    ev: Evaluator, added: Value, mutation: Binding, scope: Scope, value_before: Value | None = None
) -> Value:
    """`for turn in history: messages.append({"role": "user", "content": turn["user"]})`: a message
    appended in a loop over a conversation is that conversation, replayed into the request. So is
    an item of unknown shape made from the loop's item (`messages.append(to_message(turn))`) when
    the list already holds a message (the system message the conversation follows)."""
    message = _is_message(added)
    if not message and (isinstance(added, Str | Seq) or not _holds_message(value_before)):
        return added  # (checked first: finding the loop walks the function)
    loop = mutation.condition if mutation.branch == "for" else None
    if loop is None and mutation.branch and scope.func is not None:
        # under an `if` (the role test) or a `try`/`else` inside the loop
        loop = _enclosing_loop(mutation.stmt, scope.func)
    if loop is None or (not message and not _from_loop_item(mutation, scope)):
        return added
    source = ev.eval(loop, scope)
    if isinstance(source, Opaque) and source.iterable_of_messages:
        return replace(source, span=scope.module.span(loop))
    if isinstance(source, Opaque) and _names_conversation(loop):
        # `for date, name, text in messages: out.append({"role": ..., "content": ...})`: one message
        # per item of a list the code calls the conversation is that conversation, replayed
        return replace(source, span=scope.module.span(loop), iterable_of_messages=True)
    return added


def _passed_through(ev: Evaluator, binding: Binding, value: Value, scope: Scope) -> Value:
    """`messages = await validate(messages)`: a message list handed to a function that gives back a
    list in which promptlint sees no system message any more (re-paired by index, filtered,
    normalised) is taken to keep them: the list as it was stays the evidence, with the call as a step.
    """
    call = binding.value.value if isinstance(binding.value, ast.Await) else binding.value
    if not isinstance(call, ast.Call) or not isinstance(value, Seq | Opaque) or _holds_system(value):
        return value
    first = call.args[0] if call.args else None
    if not (isinstance(first, ast.Name) and first.id == binding.name):
        return value
    if not isinstance(call.func, ast.Attribute | ast.Name):
        return value
    callee = ev.eval(call.func, scope)
    if isinstance(callee, Ref) and "system" in callee.module.text_of(callee.node):
        return value  # a function that treats system messages apart may well drop or replace them
    before = resolve_name(ev, binding.name, first, scope, binding.pos)
    if not _holds_system(before):
        return value
    name = scope.module.text_of(call.func)
    step = Location(scope.module.path, scope.module.span(call), f"passed through `{name}()`")
    return with_step(before, step)


def loop_counter(binding: Binding) -> ast.expr | None:
    """The target of a counting loop that `binding` is the count of (`modules.counting_targets`)."""
    return next((t for t in counting_targets(binding.stmt) if t.id == binding.name), None)


def _holds_system(value: Value | None) -> bool:
    return isinstance(value, Seq) and any(_role(i) == "system" for i in value.items)


def _role(value: Value) -> str | None:
    if isinstance(value, Msg):
        return value.role
    role = value.get("role") if isinstance(value, Map) else None
    return static_text(role) if isinstance(role, Str) else None


def _holds_message(value: Value | None) -> bool:
    return isinstance(value, Seq) and any(_is_message(item) for item in value.items)


def _from_loop_item(mutation: Binding, scope: Scope) -> bool:
    """Whether the appended expression is the loop's item, or a name the loop body binds from an
    expression that reads it (`msg = convert(item)`; `append(msg)`)."""
    if scope.func is None or mutation.value is None:
        return False
    loop = _enclosing_for(mutation.stmt, scope.func)
    if loop is None:
        return False
    targets = {n.id for n in subtree.nodes(loop.target) if isinstance(n, ast.Name)}
    if _reads(mutation.value, targets):
        return True
    if not isinstance(mutation.value, ast.Name):
        return False
    for node in subtree.nodes(loop):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == mutation.value.id for t in node.targets
        ):
            if _reads(node.value, targets):
                return True
    return False


def _reads(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in subtree.nodes(node))


def _enclosing_loop(stmt: ast.AST, func: FunctionNode) -> ast.expr | None:
    """The iterable of the innermost `for` loop of `func` around `stmt` (by position)."""
    found = _enclosing_for(stmt, func)
    return found.iter if found is not None else None


# Longest literal sequence a loop that appends is unrolled over (one value per item).
MAX_UNROLLED = 16


def _unrolled(ev: Evaluator, mutation: Binding, scope: Scope) -> list[Value] | None:
    """`for label, body in (("ROLE", role), ("RULES", rules)): parts.append(f"{label}\n{body}")`:
    over a literal sequence of known items, the appended value once per item, with the loop's names
    bound to that item, so the text keeps its order and which part of it varies. None when the loop
    is not one to unroll: an iterable of unknown or unordered items or more than `MAX_UNROLLED`, a
    `break` (a `continue` only leaves an item's text out), a target that is not names, a loop body
    that binds the loop's names or the list again (`label = ...`, `parts = []`). An append
    under an `if` in the loop (`if body: parts.append(...)`) is unrolled too, every item's value
    kept, as an append under an `if` is elsewhere."""
    if scope.func is None or mutation.value is None or mutation.condition is None:
        return None
    loop = _enclosing_for(mutation.stmt, scope.func)
    if not isinstance(loop, ast.For):
        return None
    if mutation.branch == "for" and loop.iter is not mutation.condition:
        return None
    if mutation.branch == "if" and not any(
        isinstance(n, ast.If) and n.test is mutation.condition for n in subtree.nodes(loop)
    ):
        return None  # the `if` is around the loop, not in it
    if any(isinstance(n, ast.Break) for n in subtree.nodes(loop)):
        return None
    targets = {n.id for n in subtree.nodes(loop.target) if isinstance(n, ast.Name)}
    rebound = {
        n.id
        for stmt in loop.body
        for n in subtree.nodes(stmt)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    if rebound & (targets | {mutation.name.partition(".")[0]}):
        return None  # the loop's names, or the list itself, are bound again inside the loop
    source = ev.eval(loop.iter, scope)
    if (
        not isinstance(source, Seq)
        or source.unordered is not None
        or not 0 < len(source.items) <= MAX_UNROLLED
    ):
        return None
    out: list[Value] = []
    for item in source.items:
        names = _target_values(loop.target, item)
        if names is None:
            return None
        inner = Scope(
            scope.module,
            scope.func,
            scope.cls,
            {**(scope.args or {}), **names},
            scope.depth,
            scope.loop_names | frozenset(names),
        )
        out.append(ev.eval(mutation.value, inner))
    return out


def _target_values(target: ast.expr, item: Value) -> dict[str, Value] | None:
    if isinstance(target, ast.Name):
        return {target.id: item}
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(item, Seq)
        and len(item.items) == len(target.elts)
    ):
        out: dict[str, Value] = {}
        for elt, value in zip(target.elts, item.items, strict=True):
            sub = _target_values(elt, value)
            if sub is None:
                return None
            out.update(sub)
        return out
    return None


def _enclosing_for(stmt: ast.AST, func: FunctionNode) -> ast.For | ast.AsyncFor | None:
    """The innermost `for` loop of `func` around `stmt` (by position)."""
    line = getattr(stmt, "lineno", 0)
    best: ast.For | ast.AsyncFor | None = None
    for node in subtree.for_loops(func):
        if node.body[0].lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def _names_conversation(node: ast.expr) -> bool:
    from promptlint.frontends.python.history import HISTORY_NAME

    while isinstance(node, ast.Subscript):  # `history[-5:]`: a window of the conversation is of it
        node = node.value
    name = dotted(node)
    return name is not None and HISTORY_NAME.search(name.rsplit(".", 1)[-1]) is not None


def _is_message(value: Value) -> bool:
    return isinstance(value, Msg) or (isinstance(value, Map) and value.get("role") is not None)


def _loop_order(ev: Evaluator, mutation: Binding, scope: Scope) -> Opaque | None:
    """`for name in loaded: tools.append(index[name].tool)`: a list filled in a loop over a set
    is in the set's order, whatever the appended value looks like (also under an `if` in the loop:
    `if entry is not None: tools.append(entry.tool)`)."""
    if mutation.branch == "for":
        loop = mutation.condition
    else:
        loop = _enclosing_loop(mutation.stmt, scope.func) if scope.func is not None else None
    if loop is None:
        return None
    order = ev.iterate(ev.eval(loop, scope), loop, scope)
    if (
        isinstance(order, Opaque)
        and order.kind is VolatileKind.ORDER
        and order.stability is Stability.VOLATILE
    ):
        return order
    return None


def _call_effects(ev: Evaluator, value: Value, mutation: Binding, scope: Scope) -> Value:
    """`enrich(ctx)`: the value of the parameter `ctx` is bound to, at the end of the project function
    (its keyed stores, updates and appends folded onto `value`); unchanged when the callee is not a
    project function or never changes that parameter."""
    from promptlint.frontends.python.calls import MAX_CALL_DEPTH
    from promptlint.frontends.python.wrappers import callee_ref

    call, arg = mutation.stmt, mutation.value
    if not isinstance(call, ast.Call) or arg is None or scope.depth >= MAX_CALL_DEPTH:
        return value
    ref = callee_ref(ev, call, scope)
    fn = ref.node if ref is not None else None
    if ref is None or not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return value
    param = _parameter_for(fn, call, arg, ref.is_method)
    if param is None:
        return value
    table = ref.module.function_bindings(fn)
    own = table.get(param, [])
    if any(b.kind == "assign" for b in own):
        return value  # the callee rebinds the name: its own copy, not the caller's object
    inner = Scope(ref.module, fn, ref.owner, args={param: value}, depth=scope.depth + 1)
    changed: Value | None = value
    if any(b.kind in _CHANGES for b in own):
        changed = resolve_bindings(ev, own, (10**9, 0), arg, inner)
    if changed is None:
        return value
    for key, alias in _sub_dict_aliases(table, param):
        # `slots = ctx.setdefault("vars", {}); slots["now"] = ...`: stores into `ctx["vars"]`
        sub = resolve_bindings(ev, table[alias], (10**9, 0), arg, inner)
        if sub is None:
            continue
        changed = with_key(changed, MapEntry(key, sub, scope.module.span(call)), scope.module.span(call))
    if changed is value:
        return value
    if _lazy_once(mutation, scope):
        changed = frozen_clocks(changed, f"filled in once per object by `{fn.name}()`")
    return with_step(
        changed, Location(scope.module.path, scope.module.span(call), f"filled in by `{fn.name}()`")
    )


def _lazy_once(mutation: Binding, scope: Scope) -> bool:
    """The call sits (at any depth) under `if self.x is None:` / `if not self.x:`, a lazy
    initialisation: it runs once per object, so a clock it reads is the object's start time."""
    if mutation.branch != "if" or scope.func is None:
        return False
    target = mutation.stmt
    stack: list[tuple[ast.AST, bool]] = [(scope.func, False)]
    while stack:
        node, lazy = stack.pop()
        if node is target:
            return lazy
        for child in ast.iter_child_nodes(node):
            inside = lazy or (isinstance(node, ast.If) and child in node.body and _tests_unset(node.test))
            stack.append((child, inside))
    return False


def _tests_unset(test: ast.expr) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return (dotted(test.operand) or "").startswith("self.")
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
        and (dotted(test.left) or "").startswith("self.")
    )


def _sub_dict_aliases(table: dict[str, list[Binding]], param: str) -> list[tuple[str, str]]:
    """(key, name) for `name = param.setdefault("key", ...)` whose `name` later gets keyed stores."""
    out = []
    for name, bindings in table.items():
        assigns = [b for b in bindings if b.kind == "assign"]
        if len(assigns) != 1 or not any(b.kind == "setitem" for b in bindings):
            continue
        value = assigns[0].value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "setdefault"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == param
            and value.args
            and isinstance(value.args[0], ast.Constant)
            and isinstance(value.args[0].value, str)
        ):
            out.append((value.args[0].value, name))
    return out


_CHANGES = frozenset({"setitem", "update", "append", "extend", "insert", "aug", "effects"})


def _parameter_for(fn: FunctionNode, call: ast.Call, arg: ast.expr, method: bool) -> str | None:
    """The parameter of `fn` that `arg` (an argument of `call`) is bound to."""
    for kw in call.keywords:
        if kw.value is arg:
            return kw.arg
    from promptlint.frontends.python.calls import positional_parameters

    params = positional_parameters(fn, method)
    for index, given in enumerate(call.args):
        if isinstance(given, ast.Starred):
            return None
        if given is arg:
            return params[index] if index < len(params) else None
    return None


def _condition_stability(ev: Evaluator, mutation: Binding, scope: Scope) -> Stability | None:
    """How often the `if` test or loop iterable around a mutation changes (None: not known here)."""
    condition = mutation.condition
    if condition is None:
        return None
    value = ev.eval(condition, scope)
    if mutation.branch == "for":
        value = ev.iterate(value, condition, scope)
    return stability_of(value)


def imported(ev: Evaluator, qualname: str, node: ast.expr, scope: Scope) -> Value:
    """Value of a name imported from `qualname`, following it into project modules."""
    modname, _, symbol = qualname.rpartition(".")
    if modname:
        target = ev.loader.find(modname, scope.module.path)
        if target is not None and target is not scope.module:
            if symbol in target.bindings or symbol in target.defs:
                inner = Scope(target, depth=scope.depth + 1)
                if symbol in target.defs:
                    return Ref(target.defs[symbol], target)
                value = resolve_name(ev, symbol, node, inner, at=(10**9, 0))  # after the whole module ran
                return respan(value, scope.module.span(node))
    return ev.opaque(Stability.DEPLOYMENT, node, scope, cause=qualname)


def imported_class(ev: Evaluator, name: str, scope: Scope) -> bool:
    """Whether `name` is bound here only by an import, of a class from a project module.

    A call of such a name is an unknown call, so `eval_call` need not parse the module to find that
    out (`ModuleLoader.defines_class` reads its text instead).
    """
    if scope.args is not None and name in scope.args:
        return False
    module = scope.module
    bindings = module.function_bindings(scope.func).get(name, []) if scope.func is not None else []
    if not bindings:
        bindings = module.bindings.get(name, [])
    if any(b.kind != "import" for b in bindings):
        return False
    if bindings:
        target = import_target(bindings[-1], name, module)
    else:
        target = module.imports.get(name)
    modname, _, symbol = (target or "").rpartition(".")
    return bool(modname) and ev.loader.defines_class(modname, symbol, module.path)


def import_target(binding: Binding, name: str, module: ModuleInfo) -> str | None:
    """The dotted name that an import statement binds to `name`, relative imports resolved."""
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


def qualname(node: ast.expr, scope: Scope) -> str | None:
    """Fully qualified dotted name of a callee, with import aliases resolved."""
    chain = dotted(node)
    if chain is None:
        return None
    head, dot, rest = chain.partition(".")
    module = scope.module
    if scope.func is not None:
        for binding in module.function_bindings(scope.func).get(head, []):
            if binding.kind == "import":
                resolved = import_target(binding, head, module)
                return f"{resolved}{dot}{rest}" if resolved else chain
            return None
    if head in module.imports:
        return f"{module.imports[head]}{dot}{rest}"
    return chain


_MEMOISING = frozenset({"cache", "lru_cache", "cached_property", "functools.cache", "functools.lru_cache"})


def runs_once_per_process(scope: Scope) -> bool:
    """Whether code evaluated in `scope` runs once per process: a module or class body, or the body
    of a function memoised by `functools.cache`/`lru_cache` (called without varying arguments)."""
    func = scope.func
    if scope.per_object:
        return False
    if func is None:
        return True
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = dotted(target) if isinstance(target, ast.Name | ast.Attribute) else None
        if name in _MEMOISING and not [a for a in func.args.args if a.arg not in ("self", "cls")]:
            return True
    return False
