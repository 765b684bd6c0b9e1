"""A kept history saved back with a head the method put in front of it: the head repeats every turn.

Owns `reinserted_heads`. In one method, a local list `L` gets an element (`L.append(system)`, or it is
made as `[system]`) before the contents of a history the object keeps (`L.extend(self.history)`,
`L.extend(self.history.get())`, `L += self.memory.load()`), is sent (a sink read it), and is then
written back into that same history (`self.history = L`, `self.history.set(L)`, `.save(L)`). The next
turn puts another head in front of the saved one, so message 1 changes every turn and the whole
conversation after it is recomputed. A head added only while the list is empty (`if not messages:`,
`if len(history) == 0:`) or a write-back that drops it (`self.history.set(L[1:])`) is silent.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from promptlint.diagnostics import Location
from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.ir import HistoryOp, HistoryOpKind

_READERS = frozenset({"get", "load", "read", "messages", "get_messages", "all", "copy"})
_WRITERS = frozenset({"set", "save", "store", "update", "replace", "set_messages", "write"})
_COPIES = frozenset({"list", "copy", "deepcopy"})


def reinserted_heads(module: ModuleInfo, sent: set[tuple[str, int]]) -> list[HistoryOp]:
    """The head re-prepended by each method of the module's classes (see the module docstring)."""
    text = module.source.text
    if ".extend(" not in text and "+=" not in text:
        return []
    out: list[HistoryOp] = []
    for cls in module.tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = [fn for fn in cls.body if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)]
        for fn in methods:
            out.extend(_in_method(fn, module, sent))
        out.extend(_doubled_heads(methods, module, sent, {op.span for op in out}))
    return out


def _doubled_heads(
    methods: list[FunctionNode], module: ModuleInfo, sent: set[tuple[str, int]], reported: set[object]
) -> Iterator[HistoryOp]:
    """A head put in front of a kept history that another method of the class saves with a head of
    its own (`generate()` saves `[system, ...]`; `generate_structured()` sends `[system, *history]`):
    the request carries the head twice, and its prefix leaves the conversation's at message 1."""
    facts = {id(fn): _facts(fn) for fn in methods}
    saved: dict[str, tuple[FunctionNode, ast.stmt]] = {}
    for fn in methods:
        for history, write in facts[id(fn)][0].items():
            saved.setdefault(history, (fn, write))
    for fn in methods:
        for history, head, local in facts[id(fn)][1]:
            other = saved.get(history)
            if (
                other is None
                or other[0] is fn
                or not _is_sent(fn, local, sent)
                or module.span(head) in reported
            ):
                continue
            where = Location(
                module.path,
                module.span(other[1]),
                f"`{history}` is saved with a head of its own by `{other[0].name}()` here",
            )
            yield HistoryOp(
                HistoryOpKind.HEAD_RESAVED, module.span(head), history, module.text_of(head), (where,)
            )


def _is_sent(fn: FunctionNode, local: str, sent: set[tuple[str, int]]) -> bool:
    """The list is sent, or a dict literal holding it is (`payload = {"messages": messages}`)."""
    if (local, id(fn)) in sent:
        return True
    for node in subtree.nodes(fn):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and (node.targets[0].id, id(fn)) in sent
            and isinstance(node.value, ast.Dict)
            and any(isinstance(v, ast.Name) and v.id == local for v in node.value.values)
        ):
            return True
    return False


def _facts(fn: FunctionNode) -> tuple[dict[str, ast.stmt], list[tuple[str, ast.stmt, str]]]:
    """(kept histories this method saves from a local list it put a head in, whether or not only
    while empty -> the write; heads it puts, not only while empty, in front of a kept history it
    reads and does not save back -> (history, head, list))."""
    heads: dict[str, ast.stmt] = {}
    free: dict[str, ast.stmt] = {}
    reads: dict[str, tuple[str, int]] = {}
    writes: list[tuple[str, str, ast.stmt]] = []
    for stmt, tests in _statements(fn.body, ()):
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
        ):
            call = stmt.value
            func = stmt.value.func
            owner = dotted(func.value)
            method = func.attr
            if owner is None:
                continue
            if method in ("append", "insert") and "." not in owner and owner not in heads:
                heads[owner] = stmt
                if not _guarded(tests, owner) and not any(_kept_test(t) for t in tests):
                    free[owner] = stmt
            elif method == "extend" and "." not in owner and call.args:
                kept = _kept(call.args[0])
                if kept is not None and owner not in reads:
                    reads[owner] = (kept, stmt.lineno)
            elif method in _WRITERS and call.args and owner.startswith("self."):
                written = _list_name(call.args[0])
                if written:
                    writes.append((written, owner, stmt))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            back = _written_back(stmt)
            if back is not None:
                writes.append((back[1], back[0], stmt))
    saves = {
        history: stmt
        for local, history, stmt in writes
        if local in heads and reads.get(local, ("", 0))[0] == history
    }
    written_locals = {local for local, _, _ in writes}
    prepends = [
        (reads[local][0], head, local)
        for local, head in free.items()
        if local in reads and head.lineno <= reads[local][1] and local not in written_locals
    ]
    return saves, prepends


def _kept_test(test: ast.expr) -> bool:
    """An `if` that reads a kept history (`if not self.history.get():`)."""
    return any(isinstance(n, ast.Attribute) and _kept(n) is not None for n in subtree.nodes(test))


def _in_method(fn: FunctionNode, module: ModuleInfo, sent: set[tuple[str, int]]) -> Iterator[HistoryOp]:
    # local list -> the first statement that puts a head in it, and the `if` tests around it
    heads: dict[str, tuple[ast.stmt, tuple[ast.expr, ...]]] = {}
    reads: dict[str, tuple[str, int]] = {}  # local list -> (kept history, line it is read in)
    for stmt, tests in _statements(fn.body, ()):
        line = stmt.lineno
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
            if isinstance(target, ast.Name) and isinstance(value, ast.List) and value.elts:
                name = target.id
                kept = next(
                    (k for e in value.elts if isinstance(e, ast.Starred) and (k := _kept(e.value))), None
                )
                if kept is None and name not in heads and not _guarded(tests, name):
                    heads[name] = (stmt, tests)
                elif kept is not None and not isinstance(value.elts[0], ast.Starred):
                    heads[name], reads[name] = (stmt, ()), (kept, line)  # `[system, *self.history]`
            elif isinstance(target, ast.Name) and target.id in heads and line > heads[target.id][0].lineno:
                # `messages = messages[1:]`: the list is rebuilt after the head went in; its head is
                # no longer known to be the one added
                heads.pop(target.id)
                continue
            back = _written_back(stmt)
            found = _emit(back[1], back[0], stmt, heads, reads, fn, module, sent) if back else None
            if found is not None:
                yield found
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if owner is None:
                continue
            if method in ("append", "insert") and "." not in owner and owner not in heads:
                if not _guarded(tests, owner):
                    heads[owner] = (stmt, tests)
            elif method in ("pop", "remove") and owner in heads and (method == "remove" or call.args):
                heads.pop(owner)  # `messages.pop(0)` before saving: the head is taken off again
            elif method == "extend" and "." not in owner and call.args:
                kept = _kept(call.args[0])
                if kept is not None and owner not in reads:
                    reads[owner] = (kept, line)
            elif method in _WRITERS and call.args and owner.startswith("self."):
                written = _list_name(call.args[0])
                found = _emit(written, owner, stmt, heads, reads, fn, module, sent) if written else None
                if found is not None:
                    yield found
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:  # `del messages[0]`: the head is taken off again
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    heads.pop(target.value.id, None)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            kept = _kept(stmt.value)
            if kept is not None and stmt.target.id not in reads:
                reads[stmt.target.id] = (kept, line)


def _emit(
    local: str,
    history: str,
    write: ast.stmt,
    heads: dict[str, tuple[ast.stmt, tuple[ast.expr, ...]]],
    reads: dict[str, tuple[str, int]],
    fn: FunctionNode,
    module: ModuleInfo,
    sent: set[tuple[str, int]],
) -> HistoryOp | None:
    """The head of `local`, when `local` read `history` after it, was sent, and is written back by
    `write`, and the head is not added only while `history` is empty (`if not self.memory.get():`)."""
    if local not in heads or local not in reads or reads[local][0] != history:
        return None
    head, tests = heads[local]
    if head.lineno > reads[local][1] or (local, id(fn)) not in sent or _tests_read(tests, history):
        return None
    return HistoryOp(
        HistoryOpKind.HEAD_RESAVED,
        module.span(head),
        history,
        module.text_of(head),
        (Location(module.path, module.span(write), f"`{local}` is saved back into `{history}` here"),),
    )


def _kept(node: ast.expr) -> str | None:
    """`self.history` for `self.history`, `self.history.get()`, `list(self.history)`."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in _COPIES and node.args:
            return _kept(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr in _READERS:
            node = func.value
    chain = dotted(node)
    return chain if chain is not None and chain.startswith("self.") and chain.count(".") == 1 else None


def _list_name(node: ast.expr) -> str | None:
    """`messages` for `messages`, `list(messages)`, `messages.copy()`; None for a slice or anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _COPIES and len(node.args) == 1:
            return _list_name(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args:
            return _list_name(func.value)
    return None


def _written_back(stmt: ast.Assign) -> tuple[str, str] | None:
    """(`self.history`, `messages`) for `self.history = messages` (or a copy of it)."""
    target = dotted(stmt.targets[0]) if stmt.targets else None
    written = _list_name(stmt.value)
    if target is None or written is None or not target.startswith("self.") or target.count(".") != 1:
        return None
    return target, written


def _tests_read(tests: tuple[ast.expr, ...], history: str) -> bool:
    """Whether an `if` around the head reads the kept history (`if not self.memory.get():`): the
    head goes in only while the history is empty."""
    return any(
        dotted(node) == history
        for test in tests
        for node in subtree.nodes(test)
        if isinstance(node, ast.Attribute)
    )


def _guarded(tests: tuple[ast.expr, ...], name: str) -> bool:
    """Whether an enclosing `if` tests the list or its size (`if not messages:`, `if len(h) == 0:`)."""
    for test in tests:
        for node in subtree.nodes(test):
            if isinstance(node, ast.Name) and (node.id == name or node.id == "len"):
                return True
    return False


def _statements(
    body: list[ast.stmt], tests: tuple[ast.expr, ...]
) -> Iterator[tuple[ast.stmt, tuple[ast.expr, ...]]]:
    """The statements of a method in source order, with the `if` tests around each (not into nested
    definitions)."""
    for stmt in body:
        yield stmt, tests
        if isinstance(stmt, ast.If):
            yield from _statements(stmt.body, (*tests, stmt.test))
            yield from _statements(stmt.orelse, (*tests, stmt.test))
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith):
            yield from _statements(stmt.body, tests)
            yield from _statements(getattr(stmt, "orelse", []), tests)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _statements(stmt.body, tests)
            for handler in stmt.handlers:
                yield from _statements(handler.body, tests)
            yield from _statements(stmt.orelse + stmt.finalbody, tests)
