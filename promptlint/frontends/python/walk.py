"""The walk over one module that collects prompt-site candidates.

Only nodes (statements and the expressions inside them) whose lines mention a prompt word (`needles.py`)
are visited; every prompt site, message list, header use and history operation the walk collects has one on its own
lines. The walk collects `Candidates`: every call (possible provider site), lists of role/content dicts
or LangChain messages, functions whose names say prompt/system/instructions (prompts of their own only
for `public-prompt-builders`; a prompt-named variable is a prompt only where a sink reads it), messages
appended to a persisted history (frozen once sent), header uses and history operations, each with the
function and class it sits in.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptlint.frontends.python import history
from promptlint.frontends.python.headers import header_read, headers_in_assign, headers_in_call
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted, final_name
from promptlint.frontends.python.needles import NeedleLines
from promptlint.ir import HeaderUse, HistoryOp, HistoryOpKind

# Prompt-named functions that are not prompt builders: hashes, cache keys, ids, debug/log strings, and
# numbers, flags and vectors about a prompt (`prompt_tokens`, `prompt_cost`, `is_system`).
# Number words count only at the end of a name (`prompt_tokens`, but `build_score_prompt` is a prompt).
_NOT_PROMPT_NAME = re.compile(
    r"(?i)(hash|digest|_key\b|key$|_id\b|debug|log|path|file|dir|url"
    r"|(?:^|[_.])(?:tokens?|costs?|prices?|counts?|len|length|size|embeddings?|scores?|ms|seconds|latency)$"
    r"|status|health|metrics|stats"
    r"|(?:^|\.)(?:is|has|should|num)_)"
)


# A function's name must say it makes a prompt: `system` alone is too often about the machine
# (`get_system_status`, `check_system`); `system_prompt()`, `system_message()`, `build_system()` do.
_PROMPT_FUNCTION = re.compile(r"(?i)(prompt|instruction|system_?(message|msg|text|content)|system$)")


@dataclass
class Candidates:
    """What the walk found, with the (function, class) each sits in."""

    calls: list[tuple[ast.Call, FunctionNode | None, ast.ClassDef | None]] = field(default_factory=list)
    # Lists of role/content dicts, or `[system_message] + conversation` with such a list on the left.
    lists: list[tuple[ast.List | ast.BinOp, FunctionNode | None, ast.ClassDef | None]] = field(
        default_factory=list
    )
    extended: set[int] = field(default_factory=set)  # lists recorded as the left side of their `+`
    functions: list[tuple[FunctionNode, ast.ClassDef | None]] = field(default_factory=list)
    frozen: set[int] = field(default_factory=set)
    headers: list[HeaderUse] = field(default_factory=list)
    lines: NeedleLines = field(default_factory=lambda: NeedleLines([0]))
    history: list[HistoryOp] = field(default_factory=list)
    # Where each history operation sits (aligned with `history`): its function and class.
    history_scopes: list[tuple[FunctionNode | None, ast.ClassDef | None]] = field(default_factory=list)
    guarded: int = 0  # depth of enclosing `if` blocks that test a history for emptiness
    compaction: set[int] = field(default_factory=set)  # slices with something prepended inside an `if`
    in_if: int = 0
    repeating: int = 0  # depth of enclosing loops and `if` blocks that test a size (`len(h) > MAX`)
    runners: Mapping[str, int] = field(default_factory=dict)
    in_except: int = 0  # depth of enclosing `except` handlers

    def one_off(self, node: ast.AST) -> bool:
        """A cut made once, not every turn: a compaction (`[summary] + h[-k:]` under an `if`) or a
        retry in an `except` handler."""
        return id(node) in self.compaction or self.in_except > 0

    def add_history(self, ops: list[HistoryOp], func: FunctionNode | None, cls: ast.ClassDef | None) -> None:
        """Record history operations, leaving out what cannot shift the prefix every turn: any
        operation inside a compaction function (`summarize_history`, `_compress`), and dropping one
        early message outside a loop or a size test (removing the system message from a copy)."""
        if func is not None and history.COMPACTING.search(func.name):
            return
        if not self.repeating:
            ops = [op for op in ops if not _single_drop(op)]
        self.history.extend(ops)
        self.history_scopes.extend([(func, cls)] * len(ops))

    @property
    def llm(self) -> bool:
        """Whether the module talks to an LLM API (see `headers.is_llm_module`)."""
        return self.lines.llm


def _single_drop(op: HistoryOp) -> bool:
    """`pop(0)`, `popleft()`, `del history[0]`: one message, not a window (`del history[:k]`)."""
    return op.kind is HistoryOpKind.POP_FRONT or (
        op.kind is HistoryOpKind.DELETE_EARLY and ":" not in op.detail
    )


def walk(
    module: ModuleInfo, lines: NeedleLines | None = None, runners: Mapping[str, int] | None = None
) -> Candidates:
    """Collect candidates, descending only into nodes whose lines mention a prompt word.

    `lines` is `NeedleLines.of(module.source)` if the caller already has it; `runners` are the calls
    that run a callable given as an argument (`to_thread`: 0), from `data/sinks.toml` [runners].
    """
    lines = lines or NeedleLines.of(module.source)
    found = Candidates(lines=lines, runners=runners or {})
    if not lines.mentions:
        return found
    prefix = found.lines.prefix
    for stmt in module.tree.body:
        if _mentions(stmt, prefix):
            _visit(stmt, None, None, found, module)
    return found


def _mentions(node: ast.AST, prefix: list[int]) -> bool:
    """Whether any line of `node` (from its first decorator to its end) contains a prompt word."""
    first = node.lineno  # type: ignore[attr-defined]
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        first = min(first, decorators[0].lineno)
    last = min(node.end_lineno or first, len(prefix) - 1)  # type: ignore[attr-defined]
    return bool(prefix[last] != prefix[max(first - 1, 0)])


def _concrete_node_types() -> frozenset[type[ast.AST]]:
    out: set[type[ast.AST]] = set()
    pending: list[type[ast.AST]] = [ast.AST]
    while pending:
        kind = pending.pop()
        out.add(kind)
        pending.extend(kind.__subclasses__())
    return frozenset(out)


_ALL_NODES = _concrete_node_types()
# Nodes with nothing below them that the walk cares about.
_LEAVES = frozenset(
    kind
    for kind in _ALL_NODES
    if issubclass(
        kind,
        ast.Name
        | ast.Constant
        | ast.expr_context
        | ast.operator
        | ast.cmpop
        | ast.unaryop
        | ast.boolop
        | ast.Pass
        | ast.Break
        | ast.Continue
        | ast.Import
        | ast.ImportFrom
        | ast.Global
        | ast.Nonlocal
        | ast.alias
        | ast.arg,  # a parameter: only its annotation is below it
    )
)
# Nodes worth descending into, and those among them that carry line numbers (checked for a prompt word).
_DESCEND = _ALL_NODES - _LEAVES
_LINED = frozenset(
    k for k in _DESCEND if issubclass(k, ast.stmt | ast.expr | ast.keyword | ast.excepthandler)
)
_DECORATED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
# The fields to descend into, per node type: type annotations never hold a candidate, and neither do
# a function's parameters: their defaults are evaluated once, when the function is defined, so a
# message list or a clock call there is not built per request.
_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_FIELDS = {
    kind: tuple(
        f
        for f in kind._fields
        if f not in ("annotation", "returns", "type_comment") and not (kind in _FUNCTIONS and f == "args")
    )
    for kind in _ALL_NODES
}


def _visit(
    node: ast.AST, func: FunctionNode | None, cls: ast.ClassDef | None, found: Candidates, module: ModuleInfo
) -> None:
    kind = type(node)
    if kind is ast.Call:
        call: ast.Call = node  # type: ignore[assignment]
        found.calls.append((call, func, cls))
        ran = run_call(call, found.runners)
        if ran is not None:
            found.calls.append((ran, func, cls))
        found.headers.extend(headers_in_call(call, module, found.llm))
        _mark_frozen(call, func, module, found)
        op = history.call_op(call, module, func, found.guarded > 0)
        if op is not None:
            found.add_history([op], func, cls)
        for kw in call.keywords:  # `history=session[-50:]`: the keyword names the window
            if kw.arg and isinstance(kw.value, ast.Subscript) and history.unnamed_list(kw.value):
                window = history.slice_op(kw.value, module, found.one_off(kw.value), kw.arg)
                if window is not None:
                    found.add_history([window], func, cls)
    elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
        fn: FunctionNode = node  # type: ignore[assignment]
        if _PROMPT_FUNCTION.search(fn.name) and not _NOT_PROMPT_NAME.search(fn.name):
            found.functions.append((fn, cls))
        func = fn
    elif kind is ast.ClassDef:
        func, cls = None, node  # type: ignore[assignment]
    elif kind is ast.If:
        test: ast.expr = node.test  # type: ignore[attr-defined]
        guard = history.guards_emptiness(test)
        sized = history.tests_size(test)
        found.in_if += 1
        found.guarded += guard
        found.repeating += sized
        _children(node, func, cls, found, module)
        found.in_if -= 1
        found.guarded -= guard
        found.repeating -= sized
        return
    elif kind is ast.ExceptHandler:
        # a retry after an error (`except ContextLengthExceeded: history = history[-10:]`) cuts once,
        # when the request failed, like a compaction: not every turn
        found.in_except += 1
        _children(node, func, cls, found, module)
        found.in_except -= 1
        return
    elif kind is ast.While or kind is ast.For or kind is ast.AsyncFor:
        found.repeating += 1
        _children(node, func, cls, found, module)
        found.repeating -= 1
        return
    elif kind is ast.BinOp:
        binop: ast.BinOp = node  # type: ignore[assignment]
        if found.in_if and type(binop.op) is ast.Add and type(binop.right) is ast.Subscript:
            found.compaction.add(id(binop.right))
        left = binop.left
        if (
            type(binop.op) is ast.Add
            and isinstance(left, ast.List)
            and any(_looks_like_message(e) for e in left.elts)
        ):
            found.lists.append((binop, func, cls))  # the messages with what follows them
            found.extended.add(id(left))
    elif kind is ast.Delete:
        found.add_history(history.delete_ops(node, module), func, cls)  # type: ignore[arg-type]
    elif kind is ast.List:
        if id(node) not in found.extended and any(_looks_like_message(e) for e in node.elts):  # type: ignore[attr-defined]
            found.lists.append((node, func, cls))  # type: ignore[arg-type]
    elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
        _assignment(node, func, cls, found, module)  # type: ignore[arg-type]
        if kind is ast.AugAssign:
            _children(node, func, cls, found, module)
            return
    elif kind is ast.Subscript:
        sub: ast.Subscript = node  # type: ignore[assignment]
        read = header_read(sub, module) if found.llm else None
        if read is not None:
            found.headers.append(read)
        window = history.slice_op(sub, module, found.one_off(sub))
        if window is not None:
            found.add_history([window], func, cls)
    _children(node, func, cls, found, module)


def _assignment(
    node: ast.Assign | ast.AnnAssign | ast.AugAssign,
    func: FunctionNode | None,
    cls: ast.ClassDef | None,
    found: Candidates,
    module: ModuleInfo,
) -> None:
    if isinstance(node, ast.Assign | ast.AugAssign):
        found.add_history(history.assign_ops(node, module, func), func, cls)
    if isinstance(node, ast.AugAssign):
        return
    if found.llm:
        found.headers.extend(headers_in_assign(node, module))
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    name = (dotted(targets[0]) or "") if len(targets) == 1 else ""
    value = node.value
    if name and isinstance(value, ast.Subscript) and history.unnamed_list(value):  # `history = turns[-20:]`
        window = history.slice_op(value, module, found.one_off(value), name)
        if window is not None:
            found.add_history([window], func, cls)


def _children(
    node: ast.AST, func: FunctionNode | None, cls: ast.ClassDef | None, found: Candidates, module: ModuleInfo
) -> None:
    """Visit the children that can hold a candidate: no leaves, nothing without a prompt word on its lines."""
    prefix = found.lines.prefix
    for name in _FIELDS[type(node)]:
        value: Any = getattr(node, name, None)
        for child in value if type(value) is list else (value,):
            kind = type(child)
            if kind not in _DESCEND:
                continue
            if kind in _LINED:
                if kind in _DECORATED:
                    if not _mentions(child, prefix):
                        continue
                elif prefix[child.end_lineno or child.lineno] == prefix[child.lineno - 1] and not (
                    found.llm and _posts(child, module)
                ):
                    continue
            _visit(child, func, cls, found, module)


def _posts(node: ast.AST, module: ModuleInfo) -> bool:
    """In a module that names an LLM API: a statement or expression whose first line makes an HTTP
    POST (`session.post(url, json=payload)`), which may send a model request with no prompt word on
    its lines (the URL and the payload are built above it)."""
    line = getattr(node, "lineno", 0)
    return line > 0 and ".post(" in module.source.lines.line_text(line - 1)


_REQUEST_KEYWORDS = frozenset({"messages", "system", "prompt", "contents", "input", "instructions"})


_REQUEST_METHODS = ("completions.create", "messages.create", "responses.create", "chat.completions.parse")


def _names_request(ref: ast.Attribute) -> bool:
    """`openai_client.chat.completions.create` given as a value (`executor.execute(that, **args)`):
    a reference to an SDK request method, whatever keywords (or `**arguments`) follow it."""
    chain = dotted(ref) or ""
    return chain.endswith(_REQUEST_METHODS)


def run_call(call: ast.Call, runners: Mapping[str, int]) -> ast.Call | None:
    """The call a runner makes: `to_thread(client.chat.completions.create, model=m, messages=p)` is
    `client.chat.completions.create(model=m, messages=p)` (at the runner's position). Also a call
    whose first argument is a method reference and that passes request keywords
    (`self._with_retry(self.client.messages.create, messages=...)`), or whose first argument is an
    SDK request method (`executor.execute(client.chat.completions.create, **arguments)`). None for
    anything else."""
    index = runners.get(final_name(call.func))
    if index is None:
        if not (call.args and isinstance(call.args[0], ast.Attribute)):
            return None
        if not any(kw.arg in _REQUEST_KEYWORDS for kw in call.keywords) and not _names_request(call.args[0]):
            return None
        index = 0
    if len(call.args) <= index or not isinstance(call.args[index], ast.Attribute | ast.Name):
        return None
    ran = ast.Call(func=call.args[index], args=call.args[index + 1 :], keywords=call.keywords)
    return ast.copy_location(ran, call)


def _looks_like_message(node: ast.expr) -> bool:
    if isinstance(node, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value == "role" for k in node.keys)
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        return name.endswith("Message")
    return False


def _mark_frozen(call: ast.Call, func: FunctionNode | None, module: ModuleInfo, found: Candidates) -> None:
    """Messages appended to a persisted history (`self.history.append(...)`) are frozen once sent."""
    target = call.func
    if not (
        isinstance(target, ast.Attribute) and target.attr in ("append", "extend", "insert") and call.args
    ):
        return
    owner = dotted(target.value) or ""
    local = func is not None and owner in module.function_bindings(func)
    if owner.startswith("self.") or not local:
        for arg in call.args:
            found.frozen.add(id(arg))
