"""Which history operations really shift or rewrite a sent conversation (PC401/PC402 evidence).

Owns the filter between the walk's history operations and the facts rules read. An operation counts
only when the list it works on is read by a sink of the same module (a provider call, or a project
wrapper given `messages=`), in the same function for a local or parameter, anywhere in the class for
`self.x`, anywhere in the module for a global. A rewrite or early insert also needs the list to
persist across requests: a parameter the caller keeps, `self.x`, a global, not a fresh copy made in
the function (adding the same text to a new copy on every call leaves the prefix stable).
"""

from __future__ import annotations

import ast

from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.ir import HistoryOp, HistoryOpKind

_REWRITES = frozenset({HistoryOpKind.EARLY_INSERT, HistoryOpKind.REWRITE})
_COPIES = frozenset({"list", "copy", "copy.copy", "copy.deepcopy", "deepcopy", "dict", "tuple", "sorted"})


def sent_history_ops(
    ops: list[HistoryOp],
    scopes: list[tuple[FunctionNode | None, ast.ClassDef | None]],
    sent: set[tuple[str, int]],
    module: ModuleInfo,
) -> list[HistoryOp]:
    """The operations with evidence; RESERIALISE facts are prompt facts and pass through."""
    out = []
    for op, (func, cls) in zip(ops, scopes, strict=True):
        if op.kind is HistoryOpKind.RESERIALISE:
            out.append(op)
            continue
        base = _base_name(op.target)
        if not _is_sent(base, func, cls, sent, module):
            continue
        if op.kind in _REWRITES and _fresh_copy(base, func, module):
            continue
        out.append(op)
    return out


def _base_name(target: str) -> str:
    """`self.history` of `self.history[0]["content"]`-style targets (targets are dotted already)."""
    return target


def _is_sent(
    name: str,
    func: FunctionNode | None,
    cls: ast.ClassDef | None,
    sent: set[tuple[str, int]],
    module: ModuleInfo,
) -> bool:
    if name.startswith("self."):
        return cls is not None and (name, id(cls)) in sent
    local = func is not None and name.partition(".")[0] in module.function_bindings(func)
    if local:
        return (name, id(func)) in sent
    return (name, 0) in sent


def _fresh_copy(name: str, func: FunctionNode | None, module: ModuleInfo) -> bool:
    """Whether a local `name` is a new list made in its function (a literal, comprehension or copy)."""
    if func is None or "." in name:
        return False
    bindings = module.function_bindings(func).get(name, [])
    if any(b.kind == "param" for b in bindings):
        return False
    assigns = [b for b in bindings if b.kind == "assign" and b.value is not None]
    return bool(assigns) and all(_makes_new_list(b.value) for b in assigns if b.value is not None)


def _makes_new_list(value: ast.expr) -> bool:
    if isinstance(value, ast.List | ast.ListComp | ast.Tuple | ast.BinOp):
        return True
    if isinstance(value, ast.Call):
        name = dotted(value.func) or ""
        return name in _COPIES or name.endswith(".copy") or name.endswith(".deepcopy")
    return False
