"""The nodes under a function, class or module, listed once per parsed tree and reused.

The analyses ask for every node of the same function again and again (each binding lookup, each
flow, each loop search, each helper's edits); `ast.walk` rebuilds a generator and the child lists of
every node on each call, and was a quarter of a run. `nodes(fn)` lists the subtree of a function,
class, lambda or module once, in `ast.walk`'s order, and keeps the list on the node itself: the
parsed tree belongs to one module (and the parse cache), so the list lives and dies with it and no
state outlives the run. Smaller nodes (an expression, a statement) are walked lazily, without the
copy. `memo(node, key, compute)` keeps another derived value of a tree node the same way, as
`for_loops(node)` does for the loops under it.

Parsed trees are never mutated after parsing (the analyses build new nodes when they need them), so
a kept list cannot go stale.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from typing import TypeVar

_NODES = "_promptlint_nodes"
_MEMO = "_promptlint_memo"
_KEPT = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

T = TypeVar("T")


def nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` (itself first), breadth first like `ast.walk`."""
    kept: list[ast.AST] | None = node.__dict__.get(_NODES)
    if kept is None and isinstance(node, _KEPT):
        walked = _walk(node)
        next(walked)
        kept = list(walked)  # without the node itself: a list holding its owner would be a cycle
        setattr(node, _NODES, kept)
    if kept is None:
        return _walk(node)
    return itertools.chain((node,), kept)


def memo(node: ast.AST, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once per tree node and key (a value derived from the node's subtree only)."""
    table: dict[str, object] | None = node.__dict__.get(_MEMO)
    if table is None:
        table = {}
        setattr(node, _MEMO, table)
    if key in table:
        return table[key]  # type: ignore[return-value]
    value = compute()
    table[key] = value
    return value


def for_loops(node: ast.AST) -> list[ast.For | ast.AsyncFor]:
    """The `for` loops (with a body) under `node`, in `nodes` order (kept on the node)."""
    return memo(
        node,
        "for-loops",
        lambda: [n for n in nodes(node) if isinstance(n, ast.For | ast.AsyncFor) and n.body],
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    todo = [node]
    index = 0
    while index < len(todo):
        current = todo[index]
        index += 1
        yield current
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
