"""History edits that a project helper makes on a list its caller gives it.

`prepend_reminder(messages, round_idx)` whose body does `messages.insert(0, reminder)` (or
`messages[0] = ...`) edits the caller's list: the caller that then sends `messages` puts a new head
before its conversation on every call. The helper alone sends nothing, so its own operation has no
evidence; this module turns it into an operation of the caller on the argument it passed, at the
call, with the helper's edit as the first step of the chain. Whether the inserted value varies is
decided in the helper, where it is built (a clock, a round counter from a loop of the caller is
not: unknown stays unknown); a rewrite in place (`messages[0] = ...`) is an edit only when the value
written is proven to vary, as one of unknown origin may write back the same bytes every call.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Location
from promptlint.frontends.python import subtree
from promptlint.frontends.python.bindings import Scope
from promptlint.frontends.python.calls import positional_parameters
from promptlint.frontends.python.history import assign_ops, call_op, delete_ops, store_of
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted, final_name
from promptlint.frontends.python.values import stability_of
from promptlint.frontends.python.wrappers import callee_ref
from promptlint.ir import HistoryOp, HistoryOpKind, Stability

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator
    from promptlint.frontends.python.walk import Candidates

_HEAD_EDITS = frozenset({HistoryOpKind.EARLY_INSERT, HistoryOpKind.REWRITE})


def helper_edits(
    module: ModuleInfo, ev: Evaluator, found: Candidates
) -> list[tuple[HistoryOp, FunctionNode, ast.ClassDef | None]]:
    """Operations of callers on the lists they pass to helpers that edit their head."""
    out: list[tuple[HistoryOp, FunctionNode, ast.ClassDef | None]] = []
    for call, func, cls in found.calls:
        if func is None or not any(_names_a_list(a) for a in (*call.args, *(k.value for k in call.keywords))):
            continue  # only a named list can be edited for the caller: skip resolving the callee
        ref = callee_ref(ev, call, Scope(module, func, cls))
        if ref is None or ref.node is func or isinstance(ref.node, ast.ClassDef):
            continue
        for param, edit in _param_head_edits(ref.module, ref.node, ev, ref.owner):
            if edit.kind is HistoryOpKind.REWRITE and not edit.varies:
                # `messages[0] = {"role": "system", "content": get_system_prompt(model)}`: a value not
                # proven to vary may write back the same bytes every call; an insert always shifts
                continue
            arg = _argument_for(ref.node, ref.is_method, call, param)
            target = dotted(arg) if arg is not None else None
            if not target or target == "self":
                continue
            verb = "inserts with" if edit.kind is HistoryOpKind.EARLY_INSERT else "rewrites"
            step = Location(ref.module.path, edit.span, f"`{final_name(call.func)}()` {verb} `{edit.detail}`")
            op = HistoryOp(
                edit.kind,
                module.span(call),
                target,
                f"{final_name(call.func)}({target})",
                chain=(step,),
                varies=edit.varies,
            )
            out.append((op, func, cls))
    return out


def _names_a_list(arg: ast.expr) -> bool:
    """An argument a helper's edit can reach the caller through: a name or attribute, not `self`."""
    return isinstance(arg, ast.Name | ast.Attribute) and dotted(arg) not in (None, "self")


def _param_head_edits(
    module: ModuleInfo, fn: FunctionNode, ev: Evaluator, owner: ast.ClassDef | None
) -> list[tuple[str, HistoryOp]]:
    """(parameter, edit) for each head edit the function makes on one of its own parameters, with
    whether the written value is proven to vary (memoised per function node)."""
    key = ("param-head-edits", id(fn))
    memo = module.syntax_memo
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    found: list[tuple[str, HistoryOp]] = []
    memo[key] = found  # a recursive helper sees no edits of its own while they are computed
    for node in subtree.nodes(fn):
        ops: list[tuple[HistoryOp, ast.expr | None]] = []
        if isinstance(node, ast.Call):
            op = call_op(node, module, fn, False)
            if op is not None and op.kind in _HEAD_EDITS and len(node.args) >= 2:
                ops.append((op, node.args[1]))
        elif isinstance(node, ast.Assign):
            ops.extend((op, node.value) for op in assign_ops(node, module, fn) if op.kind in _HEAD_EDITS)
        for op, value in ops:
            base = op.target.partition("[")[0].partition(".")[0]
            if base not in params or value is None:
                continue
            varies = stability_of(ev.eval(value, Scope(module, fn, owner))) >= Stability.SESSION
            found.append((base, replace(op, varies=varies)))
    return found


def _argument_for(fn: FunctionNode, is_method: bool, call: ast.Call, param: str) -> ast.expr | None:
    """The caller's expression bound to `param` in `call` (positional or keyword)."""
    for kw in call.keywords:
        if kw.arg == param:
            return kw.value
    params = positional_parameters(fn, is_method)
    if param in params:
        index = params.index(param)
        if index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return call.args[index]
    return None


def helper_trims(
    module: ModuleInfo, ev: Evaluator, found: Candidates
) -> list[tuple[HistoryOp, FunctionNode, ast.ClassDef | None]]:
    """Cuts that a helper makes on a conversation its caller writes back over itself:
    `history[user_id] = trim_history(history[user_id], max_messages=5)`, whose body slices the
    oldest messages off (`history[-max_messages:]`, `history.pop(0)`) and returns the rest. The
    caller's store then loses its oldest turns as a window would (the helper's cut is the first step
    of the chain)."""
    out: list[tuple[HistoryOp, FunctionNode, ast.ClassDef | None]] = []
    written = _written_back_calls(module, found)
    for call, func, cls in found.calls:
        target = written.get(id(call))
        if func is None or target is None:
            continue
        ref = callee_ref(ev, call, Scope(module, func, cls))
        if ref is None or ref.node is func or isinstance(ref.node, ast.ClassDef):
            continue
        for param, cut in _param_front_cuts(ref.module, ref.node):
            arg = _argument_for(ref.node, ref.is_method, call, param)
            if arg is None or _conversation_of(arg) != target:
                continue
            step = Location(ref.module.path, cut.span, f"`{final_name(call.func)}()` cuts `{cut.detail}`")
            detail = f"{final_name(call.func)}({module.text_of(arg)})"
            out.append(
                (
                    HistoryOp(HistoryOpKind.POP_FRONT, module.span(call), target, detail, chain=(step,)),
                    func,
                    cls,
                )
            )
            break
    return out


def _conversation_of(node: ast.AST) -> str | None:
    """`self.history` of `self.history`, `history` of `history[user_id]` (one entry of a store)."""
    return store_of(node) or (dotted(node) if isinstance(node, ast.Name | ast.Attribute) else None)


def _written_back_calls(module: ModuleInfo, found: Candidates) -> dict[int, str]:
    """`id(call)` -> the conversation it is written over, for `x = f(x, ...)` (or `await f(...)`)."""
    funcs = {id(func): func for _call, func, _cls in found.calls if func is not None}
    out: dict[int, str] = {}
    for func in funcs.values():
        for node in subtree.nodes(func):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            name = _conversation_of(node.targets[0])
            if isinstance(value, ast.Call) and name is not None:
                out[id(value)] = name
    return out


def _param_front_cuts(module: ModuleInfo, fn: FunctionNode) -> list[tuple[str, HistoryOp]]:
    """(parameter, cut) for a function that cuts the oldest items off one of its parameters
    (`p = p[-n:]`, `p[k:]` returned, `p.pop(0)`, `del p[:k]`) and returns that parameter."""
    key = ("param-front-cuts", id(fn))
    memo = module.syntax_memo
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    returned = {
        dotted(node.value)
        for node in subtree.nodes(fn)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name)
    }
    found: list[tuple[str, HistoryOp]] = []
    for node in subtree.nodes(fn) if params & returned else ():
        cut: HistoryOp | None = None
        if isinstance(node, ast.Subscript):
            cut = _window(node, module)
        elif isinstance(node, ast.Call):
            op = call_op(node, module, fn, False)
            cut = op if op is not None and op.kind is HistoryOpKind.POP_FRONT else None
        elif isinstance(node, ast.Delete):
            cut = next(iter(delete_ops(node, module)), None)
        if cut is not None and cut.target in params and cut.target in returned:
            found.append((cut.target, cut))
    memo[key] = found
    return found


def _window(node: ast.Subscript, module: ModuleInfo) -> HistoryOp | None:
    """`p[-n:]` (a negative or variable start): a window over the newest items of `p`."""
    sl = node.slice
    if not isinstance(node.value, ast.Name) or not isinstance(sl, ast.Slice) or sl.upper is not None:
        return None
    if sl.lower is None or isinstance(sl.lower, ast.Constant):
        return None
    return HistoryOp(HistoryOpKind.FRONT_SLICE, module.span(node), node.value.id, module.text_of(node))
