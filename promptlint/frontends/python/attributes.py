"""Attribute access for the evaluator: `a.b.c` chains, `self.x` and attributes of evaluated values.

A dotted chain resolves through local bindings of the whole chain (`self.parts.append(...)`), then
`self.x` (a property is followed, constant assignments in the class are used, a volatile value assigned
anywhere in the class is kept, anything else is of unknown origin), then attributes of imported modules, then config objects (per-deployment). Otherwise the
attribute is taken from the evaluated base: a key of a dict, a time component that coarsens a clock's
granularity, or an opaque value at least as volatile as its base.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from promptlint.diagnostics import Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.bindings import (
    CONFIG_HINT,
    Scope,
    fold_effects,
    imported,
    resolve_bindings,
)
from promptlint.frontends.python.calls import find_method, follow
from promptlint.frontends.python.modules import ModuleInfo, dotted, final_name
from promptlint.frontends.python.request_input import input_value
from promptlint.frontends.python.values import (
    Map,
    MapEntry,
    Opaque,
    Ref,
    Value,
    frozen_clocks,
    most_volatile,
    respan,
    stability_of,
    with_step,
)
from promptlint.frontends.python.volatile import TIME_ATTRIBUTE_GRANULARITY
from promptlint.frontends.python.wrappers import annotated_class, context_class
from promptlint.ir import Granularity, Stability, VolatileKind

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator


def resolve_attribute(ev: Evaluator, node: ast.Attribute, scope: Scope) -> Value:
    """The value of an attribute expression."""
    chain = dotted(node)
    module = scope.module
    if chain is not None:
        if scope.func is not None:
            local = module.function_bindings(scope.func).get(chain)
            if local:
                found = resolve_bindings(ev, local, (node.lineno, node.col_offset), node, scope)
                if found is not None:
                    return found
        if chain.startswith("self.") and chain.count(".") == 1 and scope.cls is not None:
            value = instance_attribute(ev, chain[5:], node, scope)
            if local:  # `enrich(self.ctx)`, `self.ctx["k"] = v` earlier in this function
                value = fold_effects(ev, value, local, (node.lineno, node.col_offset), scope)
            return value
        head = chain.partition(".")[0]
        if chain.count(".") == 2 and scope.func is not None:
            # `ctx.deps.today` of `ctx: RunContext[ChatDeps]`: a field of the framework context's object
            made = _field_read(ev, context_class(ev, head, chain.split(".")[1], scope), node, chain, scope)
            if made is not None:
                return made
        if chain.count(".") == 1 and scope.func is not None:
            owner = annotated_class(ev, head, scope)
            made = _field_read(ev, owner, node, chain, scope)
            if made is not None:
                return made
            if (
                owner is not None
                and isinstance(owner.node, ast.ClassDef)
                and _assigned_in_methods(owner.module, owner.node, node.attr)
            ):
                # `def build(ai: ToolCallingLLM): ... ai.investigation_id`: an attribute of the
                # project class the parameter is declared as, read as that class reads `self.x`
                inner = Scope(owner.module, None, owner.node, depth=scope.depth + 1)
                value = instance_attribute(ev, node.attr, node, inner, at=module.span(node))
                if not (isinstance(value, Opaque) and value.stability is Stability.UNKNOWN):
                    step = Location(module.path, module.span(node), f"read as `{chain}`")
                    return with_step(value, step)
                # what the class knows of it is nothing: read as an attribute of the parameter,
                # whose evidence (the user's message, a handler's request) may still speak for it
        if head in module.imports and not _is_local(head, scope):
            qual = f"{module.imports[head]}{chain[len(head) :]}"
            read = input_value(qual, qual)
            if read is not None:
                return ev.opaque(read[0], node, scope, cause=read[1])
            return imported(ev, qual, node, scope)
        if CONFIG_HINT.match(chain):
            return ev.opaque(Stability.DEPLOYMENT, node, scope)
    base = ev.eval(node.value, scope)
    return attribute_of(ev, base, node, scope)


def _merged_fields(objects: list[Map]) -> Map:
    """One object assigned in several places (`__init__`, `clear()`): each field as its most variable
    assignment, so a field none of them sets stays unknown."""
    fields: dict[str, MapEntry] = {}
    for obj in objects:
        for entry in obj.entries:
            known = fields.get(entry.key)
            if known is None or stability_of(entry.value) > stability_of(known.value):
                fields[entry.key] = entry
    return Map(tuple(fields.values()), objects[-1].span)


def _at_least_unknown(obj: Map, attr: str) -> Map:
    entries = tuple(
        entry
        if stability_of(entry.value) >= Stability.UNKNOWN
        else replace(
            entry,
            value=Opaque(
                Stability.UNKNOWN, entry.key, entry.key_span, f"field `{entry.key}` of `self.{attr}`"
            ),
        )
        for entry in obj.entries
    )
    return Map(entries, obj.span)


def _field_read(
    ev: Evaluator, owner: Ref | None, node: ast.Attribute, chain: str, scope: Scope
) -> Value | None:
    """`owner`'s `default_factory` field read as `chain` here, placed at the read."""
    if owner is None:
        return None
    made = factory_field(ev, owner, node.attr, scope)
    if made is None:
        return None
    module = scope.module
    if owner.module is not module:
        made = respan(made, module.span(node))
    return with_step(made, Location(module.path, module.span(node), f"read as `{chain}`"))


def _call_of(func: ast.expr) -> ast.Call:
    """`func()` as a node at `func`'s place (kept on `func` by `subtree.memo`, so made once per tree
    node: the evaluator memoises by `id()` of nodes, which a freed synthetic node could hand on)."""
    return ast.copy_location(ast.Call(func=func, args=[], keywords=[]), func)


# Field constructors whose `default_factory=` runs once per object made (dataclasses, pydantic, attrs).
_FIELD_MAKERS = frozenset({"field", "Field", "attrib", "attr.ib"})


def factory_field(ev: Evaluator, owner: Ref, attr: str, scope: Scope) -> Value | None:
    """`stamp: str = field(default_factory=lambda: datetime.now().isoformat())` of a project class:
    what the factory makes for each object, when the field has no plain default. None when the
    class declares no such field (the caller's value is then unknown, as for any declared field)."""
    cls = owner.node
    if not isinstance(cls, ast.ClassDef):
        return None
    for stmt in cls.body:
        if not (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == attr
            and isinstance(stmt.value, ast.Call)
            and final_name(stmt.value.func) in _FIELD_MAKERS
        ):
            continue
        factory = next((kw.value for kw in stmt.value.keywords if kw.arg == "default_factory"), None)
        inner = Scope(owner.module, None, cls, depth=scope.depth + 1, per_object=True)
        if isinstance(factory, ast.Lambda) and not factory.args.args:
            value = ev.eval(factory.body, inner)
        elif isinstance(factory, ast.Name | ast.Attribute):
            # `default_factory=datetime.now`: evaluated as a call of it, made once per tree node so
            # that the evaluator's memo (by `id()` of nodes) never meets a freed node's id again
            call = subtree.memo(factory, "factory-call", partial(_call_of, factory))
            value = ev.eval(call, inner)
        else:
            return None
        where = Location(
            owner.module.path, owner.module.span(stmt), f"made by the `default_factory` of `{attr}`"
        )
        return with_step(value, where)
    return None


def _assigned_in_methods(module: ModuleInfo, cls: ast.ClassDef, attr: str) -> bool:
    """Whether a method of `cls` assigns `self.attr`: a declared field (`messages: list[dict]` of a
    pydantic request model) is what the caller built the object with, not the class's to say."""
    key = f"self.{attr}"
    return any(
        key in module.function_bindings(stmt)
        for stmt in cls.body
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def _is_local(name: str, scope: Scope) -> bool:
    return scope.func is not None and name in scope.module.function_bindings(scope.func)


def instance_attribute(
    ev: Evaluator, attr: str, node: ast.expr, scope: Scope, at: Span | None = None
) -> Value:
    """`self.attr`: a property, a class constant, constant assignments, else per-session.

    `at`: the span of a read in another module (`ai.investigation_id` of a parameter annotated with
    the class), where `node` is not this module's; a property is then not followed."""
    cls = scope.cls
    assert cls is not None
    method = find_method(cls, attr)
    span = at if at is not None else scope.module.span(node)
    if method is not None and at is not None:
        return Opaque(Stability.UNKNOWN, attr, span, f"property `{attr}`")
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
                    value = ev.eval(binding.value, Scope(scope.module, stmt, cls, depth=scope.depth))
                    if stmt.name in _CONSTRUCTORS:
                        value = _frozen_clock(value, attr)
                    where = Location(
                        scope.module.path, scope.module.span(binding.stmt), f"stored in `self.{attr}`"
                    )
                    values.append(with_step(value, where))
                elif binding.kind == "setitem" and binding.value is not None:
                    # `self.slots["now"] = clock()`: the field's value counts when it varies
                    value = ev.eval(binding.value, Scope(scope.module, stmt, cls, depth=scope.depth))
                    if stmt.name in _CONSTRUCTORS:
                        value = _frozen_clock(value, attr)
                    if stability_of(value) is Stability.VOLATILE:
                        values.append(value)
                else:
                    values.append(Opaque(Stability.UNKNOWN, attr, span))
    if values and all(stability_of(v) is Stability.STATIC for v in values):
        return values[-1]
    if values and all(isinstance(v, Map) and v.dynamic is None for v in values):
        return _merged_fields(values)  # type: ignore[arg-type]
    records = [v for v in values if isinstance(v, Map) and v.dynamic is None]
    others = [v for v in values if not (isinstance(v, Map) and v.dynamic is None)]
    if records and others and all(stability_of(v) is not Stability.VOLATILE for v in others):
        # `self.run = Run(run_id=uuid4(), ...)` in one method, `self.run = other.run` in another:
        # still an object of named fields, so `self.run.output` does not carry the id; a field is at
        # least of unknown origin, as the other assignments may hold anything in it
        return _at_least_unknown(_merged_fields(records), attr)
    history = bool(re.search(r"(?i)history|messages|conversation|memory", attr))
    if history:
        # `self.messages = [summary_with_timestamp] + kept`: a clock stored in the conversation is
        # the time of that write, the same in every later request that resends it
        values = [frozen_clocks(v, f"stored in the conversation `self.{attr}` when written") for v in values]
    volatile = [v for v in values if stability_of(v) is Stability.VOLATILE]
    if volatile:
        # `self.id = uuid4()` in `__init__`: every instance gets its own value, and with it its own
        # prefix; the culprit stays the call that makes it.
        return replace(
            most_volatile(volatile, f"self.{attr}", span, Stability.STATIC),
            iterable_of_messages=history,
        )
    return Opaque(
        Stability.UNKNOWN,
        f"self.{attr}",
        span,
        f"instance attribute `self.{attr}`",
        iterable_of_messages=history,
    )


_CONSTRUCTORS = frozenset({"__init__", "__post_init__"})


def _frozen_clock(value: Value, attr: str) -> Value:
    """A clock read when the object is made and kept on it is the object's start time: the same for
    every request the object serves (a session's start), not a new value per call; so is a text
    made there with the clock in it (`self.system = f"Today is {datetime.now()}. ..."`)."""
    return frozen_clocks(value, f"kept in `self.{attr}` from `__init__`")


def attribute_of(ev: Evaluator, base: Value, node: ast.Attribute, scope: Scope) -> Value:
    """Attribute access on an evaluated value."""
    if (
        isinstance(base, Opaque)
        and base.kind is VolatileKind.TIME
        and node.attr in TIME_ATTRIBUTE_GRANULARITY
    ):
        gran = max(base.granularity or Granularity.SUBSECOND, TIME_ATTRIBUTE_GRANULARITY[node.attr])
        return replace(base, granularity=gran)
    if isinstance(base, Opaque) and base.picked:
        # `random.choice(characters).persona`: a field of one of the elements, which may not differ
        return ev.opaque(
            Stability.UNKNOWN, node, scope, cause="a field of a random pick from an unknown collection"
        )
    if isinstance(base, Map):
        found = base.get(node.attr)
        if found is not None:
            return found
        if base.dynamic is None:
            # A field the object was not given here (a default, or set later): its origin is unknown.
            return ev.opaque(Stability.UNKNOWN, node, scope)
    return ev.combine([base], node, scope, Stability.STATIC)
