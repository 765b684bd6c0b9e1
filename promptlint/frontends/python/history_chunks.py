"""Trims that fire rarely: a history cut far below the size test that triggers it.

`if len(history) > 40: history = history[-10:]` cuts the history once every 15 turns, not every
turn: between two cuts the prefix grows append-only and every request hits the cache, so each cut
costs one miss, like a compaction. So does a small fixed tail kept when a token budget is exceeded
(`if count_tokens(history) > 100_000: history = history[-8:]`): after the cut the conversation is far
below the budget again. A window kept at its bound (`if len(h) > 10: h = h[-10:]`, `while
count_tokens(h) > LIMIT: h.pop(0)`) still shifts every turn and is not this.
"""

from __future__ import annotations

import ast
import re

from promptlint.diagnostics import Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, final_name

# The final names of calls that measure a conversation in tokens or characters.
_MEASURES = re.compile(r"(?i)token|count|estimate|length|size|chars")
_BUDGET = 1000  # a threshold at least this large is a token or character budget, not a message count
_SMALL_TAIL = 100  # kept messages, at most, for a cut under such a budget to leave room to grow


def chunked_trim(span: Span, func: FunctionNode | None, module: ModuleInfo) -> bool:
    """Whether the front slice at `span` is assigned back to what it slices inside an `if` whose size
    test lets the list grow well past what the cut keeps (at least twice as many messages, or a token
    budget over a small fixed tail)."""
    root: ast.AST = func if func is not None else module.tree
    for node in subtree.nodes(root):
        if not isinstance(node, ast.If):
            continue
        for stmt in node.body:
            cut = _cut_back(stmt, span, module)
            if cut is not None:
                return _rare(node.test, cut, module)
    return False


def _cut_back(stmt: ast.stmt, span: Span, module: ModuleInfo) -> int | None:
    """k of `x = x[-k:]` when `stmt` is that assignment and its slice is at `span`."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    value = stmt.value
    if not (isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice)):
        return None
    if module.span(value) != span or ast.unparse(value.value) != ast.unparse(stmt.targets[0]):
        return None
    lower = value.slice.lower
    if (
        value.slice.upper is not None
        or not isinstance(lower, ast.UnaryOp)
        or not isinstance(lower.op, ast.USub)
    ):
        return None
    return _int(lower.operand, module)


def _rare(test: ast.expr, kept: int, module: ModuleInfo) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Gt | ast.GtE)
    ):
        return False
    measure, bound = test.left, _int(test.comparators[0], module)
    if bound is None or not isinstance(measure, ast.Call):
        return False
    name = final_name(measure.func) or ""
    if name == "len":
        return bound >= 2 * kept
    return _MEASURES.search(name) is not None and bound >= _BUDGET and kept <= _SMALL_TAIL


def _int(node: ast.expr, module: ModuleInfo) -> int | None:
    """An int literal, or a module constant assigned one (`MAX_HISTORY = 40`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        values = [
            s.value
            for s in module.tree.body
            if isinstance(s, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in s.targets)
        ]
        if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, int):
            return int(values[0].value)
    return None
