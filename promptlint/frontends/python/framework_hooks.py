"""Prompt parts that a framework takes from project code it calls back, not from a call's arguments.

Two shapes, both data in `data/sinks.toml`:
- `[[hook]]`: a function decorated so that the framework calls it for every request and puts what it
  returns into the prompt (`@agent.system_prompt` of pydantic-ai on an `agent = Agent(...)`,
  LangChain's `@dynamic_prompt`). A decorator of the form `<Class>.<attribute>` is looked up through
  the module-level instance it is taken from.
- `[[middleware]]`: a method of a middleware class (`wrap_model_call` of a LangChain
  `AgentMiddleware`) that edits the request it receives: `request.override(system_prompt=...)` or
  `request.tools = [...]`.

This module finds them and says which node carries which part; `sites.py` evaluates and reports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from promptlint.frontends.python import subtree
from promptlint.frontends.python.bindings import Scope, qualname
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.frontends.python.wrappers import HookSink, MiddlewareSink, SinkArgs, SinkTable, ordered_args


@dataclass(frozen=True, slots=True)
class HookFunction:
    """A function the framework calls back; what it returns is the `hook.role` part."""

    function: FunctionNode
    cls: ast.ClassDef | None
    decorator: ast.expr
    hook: HookSink


@dataclass(frozen=True, slots=True)
class RequestEdit:
    """A middleware statement that sets parts of the request (`site` is the call or assignment)."""

    site: ast.AST
    method: FunctionNode
    cls: ast.ClassDef
    sink: SinkArgs


def hook_functions(module: ModuleInfo, table: SinkTable) -> Iterator[HookFunction]:
    """Module-level functions (and methods of module-level classes) decorated as a `[[hook]]`."""
    if not table.hooks:
        return
    scope = Scope(module, None, None)
    for stmt in module.tree.body:
        candidates: list[tuple[FunctionNode, ast.ClassDef | None]] = []
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            candidates.append((stmt, None))
        elif isinstance(stmt, ast.ClassDef):
            candidates.extend(
                (item, stmt) for item in stmt.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
        for fn, cls in candidates:
            for deco in fn.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                name = _decorator_name(target, scope)
                hook = next((h for h in table.hooks if name in h.decorators), None) if name else None
                if hook is not None:
                    yield HookFunction(fn, cls, target, hook)
                    break


def _decorator_name(target: ast.expr, scope: Scope) -> str | None:
    """`dynamic_prompt` -> its qualified name; `agent.system_prompt` where `agent = Agent(...)` at
    module level -> `<qualified Agent>.system_prompt`."""
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        made = _constructed_class(target.value.id, scope)
        if made is not None:
            return f"{made}.{target.attr}"
    return qualname(target, scope) if isinstance(target, ast.Name | ast.Attribute) else None


def _constructed_class(name: str, scope: Scope) -> str | None:
    """The qualified class of a module-level `name = SomeClass(...)` (its only assignment)."""
    assigned = [b for b in scope.module.bindings.get(name, []) if b.kind == "assign"]
    if len(assigned) != 1 or not isinstance(assigned[0].value, ast.Call):
        return None
    return qualname(assigned[0].value.func, scope)


def request_edits(module: ModuleInfo, table: SinkTable) -> Iterator[RequestEdit]:
    """The request edits in the `[[middleware]]` methods of this module's classes."""
    if not table.middleware:
        return
    scope = Scope(module, None, None)
    for stmt in module.tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        bases = {qualname(b, scope) for b in stmt.bases if isinstance(b, ast.Name | ast.Attribute)}
        entry = next((m for m in table.middleware if not m.bases.isdisjoint(bases)), None)
        if entry is None:
            continue
        for item in stmt.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name in entry.methods:
                yield from _edits(item, stmt, entry)


def _edits(method: FunctionNode, cls: ast.ClassDef, entry: MiddlewareSink) -> Iterator[RequestEdit]:
    params = [a.arg for a in (*method.args.posonlyargs, *method.args.args)]
    if len(params) < 2:
        return
    request = params[1]  # (self, request, handler)
    for node in subtree.nodes(method):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == entry.override
            and dotted(node.func.value) == request
        ):
            found = [
                (role, kw.value) for kw in node.keywords if kw.arg and (role := entry.keywords.get(kw.arg))
            ]
            if found:
                yield RequestEdit(node, method, cls, _sink(entry, found))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and dotted(target.value) == request:
                role = entry.keywords.get(target.attr)
                if role:
                    yield RequestEdit(node, method, cls, _sink(entry, [(role, node.value)]))


def _sink(entry: MiddlewareSink, found: list[tuple[str, ast.expr]]) -> SinkArgs:
    return SinkArgs("framework", entry.name, ordered_args(found), entry.conversation)
