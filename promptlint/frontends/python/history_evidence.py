"""Which history operations really shift or rewrite a sent conversation (PC401/PC402 evidence).

Owns the filter between the walk's history operations and the facts rules read. An operation counts
only when the list it works on is read by a sink of the same module (a provider call, or a project
wrapper given `messages=`), in the same function for a local or parameter, anywhere in the class for
`self.x`, anywhere in the module for a global. A rewrite or early insert also needs the list to
persist across requests: a parameter the caller keeps, `self.x`, a global, not a fresh copy made in
the function (adding the same text to a new copy on every call leaves the prefix stable). A list
that only a parameter or a call result names (`messages = convert(items)`) may be rebuilt on every
call, so there the inserted or written value itself must be proven to vary (per session, request or
call): putting the same system message in front of a rebuilt list keeps the prefix byte-identical.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from promptlint.diagnostics import Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.bindings import Scope
from promptlint.frontends.python.evaluate import SENT_SUBSCRIPT, Evaluator
from promptlint.frontends.python.history import outlives_call, store_of
from promptlint.frontends.python.history_chunks import chunked_trim
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.frontends.python.values import Str, stability_of
from promptlint.ir import Granularity, HistoryOp, HistoryOpKind, Prompt, Role, Slot, Stability

_REWRITES = frozenset({HistoryOpKind.EARLY_INSERT, HistoryOpKind.REWRITE})
_COPIES = frozenset({"list", "copy", "copy.copy", "copy.deepcopy", "deepcopy", "dict", "tuple", "sorted"})


def sent_history_ops(
    ops: list[HistoryOp],
    scopes: list[tuple[FunctionNode | None, ast.ClassDef | None]],
    sent: set[tuple[str, int]],
    module: ModuleInfo,
    ev: Evaluator | None = None,
    sent_lists: set[Span] | None = None,
    history_lists: set[Span] | None = None,
    sent_at: dict[Span, Span] | None = None,
    prompts: tuple[Prompt, ...] | list[Prompt] = (),
) -> list[HistoryOp]:
    """The operations with evidence; RESERIALISE facts are prompt facts and pass through.

    `sent_lists` are the spans of the values sinks read as lists (slots of built prompts, lists given
    to wrappers as `messages=`): a window must be one of them, or be converted message by message into
    a list, to be a conversation that is sent; a window flattened into text (a transcript for a
    one-off summary, an action log in a prompt) is not."""
    out = []
    for op, (func, cls) in zip(ops, scopes, strict=True):
        if op.kind is HistoryOpKind.RESERIALISE:
            out.append(op)
            continue
        base = _base_name(op.target)
        if not _is_sent(base, func, cls, sent, module):
            continue
        if op.kind is HistoryOpKind.FRONT_SLICE and not _window_is_sent(op, func, sent, module):
            continue  # an inspection slice, a returned tail of new messages, a copy saved elsewhere
        if op.kind is HistoryOpKind.FRONT_SLICE and _cuts_apart(op, func, cls, module, ev):
            continue
        if op.kind is HistoryOpKind.FRONT_SLICE and chunked_trim(op.span, func, module):
            continue  # cut once in a long while, far below its trigger: one miss per cut
        if op.kind is HistoryOpKind.FRONT_SLICE and _sent_after_a_break(
            op, func, module, sent_at or {}, prompts
        ):
            continue  # the prefix already changes before the window: the cut costs nothing more
        if (
            op.kind is HistoryOpKind.FRONT_SLICE
            and sent_lists is not None
            and not _sent_as_messages(op, func, cls, module, sent_lists, history_lists or set())
        ):
            continue
        if (
            op.kind in (HistoryOpKind.POP_FRONT, HistoryOpKind.DELETE_EARLY)
            and sent_lists is not None
            and not _history_read_as_list(base, func, cls, module, history_lists or set())
            and not _returned(base, func, module)
        ):
            continue  # a buffer flushed elsewhere (`del self.records[:n]` after an upload), not a sent list
        if op.kind in _REWRITES and _fresh_copy(base, func, module):
            continue
        if op.kind in _REWRITES and _rebuilt_before_each_call(base, func, cls):
            continue
        if op.kind in _REWRITES and not _on_request_path(base, func, cls, sent):
            continue
        if op.kind in _REWRITES and not outlives_call(base, func, module):
            if op.varies is not None:
                if not op.varies:
                    continue
            elif ev is None or func is None or not _written_value_varies(op, func, cls, module, ev):
                continue
        out.append(op)
    # The chain is added last: `_one_per_window` finds each operation's scope by its identity.
    where = {id(op): func for op, (func, _cls) in zip(ops, scopes, strict=True)}
    return [_with_chain(op, where[id(op)], module, sent_at or {}) for op in _one_per_window(out, ops, scopes)]


def _with_chain(
    op: HistoryOp, func: FunctionNode | None, module: ModuleInfo, sent_at: dict[Span, Span]
) -> HistoryOp:
    """The operation with the request that sends the list it changes, when one is known here."""
    if op.kind is not HistoryOpKind.FRONT_SLICE:
        return op
    root: ast.AST = func if func is not None else module.tree
    spans = sorted(_carried_spans(op.span, root, module), key=lambda s: s.start)
    site = next((sent_at[s] for s in spans if s in sent_at), None)
    if site is None:
        return op
    return replace(op, chain=(Location(module.path, site, "the cut list is sent in this request"),))


_CUTS = frozenset({HistoryOpKind.FRONT_SLICE, HistoryOpKind.POP_FRONT, HistoryOpKind.DELETE_EARLY})


def _sent_after_a_break(
    op: HistoryOp,
    func: FunctionNode | None,
    module: ModuleInfo,
    sent_at: dict[Span, Span],
    prompts: tuple[Prompt, ...] | list[Prompt],
) -> bool:
    """Whether every request that sends the cut list puts a value proven to change on every request
    (the user's question, a per-request value, a clock finer than an hour) before it. Then no request
    shares a prefix that reaches the window, and the cut loses nothing (one root cause, one finding:
    the earlier value is what breaks the prefix)."""
    if not sent_at or not prompts:
        return False
    root: ast.AST = func if func is not None else module.tree
    spans = [s for s in _carried_spans(op.span, root, module) if s in sent_at]
    if not spans:
        return False
    for span in spans:
        sending = [p for p in prompts if p.site == sent_at[span]]
        if not sending or not all(_breaks_before(p, span) for p in sending):
            return False
    return True


def _breaks_before(prompt: Prompt, window: Span) -> bool:
    for part in prompt.parts:
        if (
            part.span.start <= window.start < max(part.span.end, window.start + 1)
            and part.role is Role.HISTORY
        ):
            return False
        for seg in part.segments:
            if isinstance(seg, Slot) and seg.span.start <= window.start < seg.span.end:
                return False
            if isinstance(seg, Slot) and part.role in _HEAD_ROLES and _changes_every_request(seg):
                return True
    return False


# Where a value in front of the history is the request's own head (the system prompt, the tools);
# a first message carried over from the history itself (`[history[0], *history[-k:]]`) is not one,
# whatever the history's newest message says about the parameter.
_HEAD_ROLES = frozenset({Role.SYSTEM, Role.DEVELOPER, Role.TOOLS, Role.SCHEMA})


def _changes_every_request(seg: Slot) -> bool:
    if seg.by_name:
        return False
    if seg.stability is Stability.REQUEST:
        return True
    return seg.stability is Stability.VOLATILE and (
        seg.granularity is None or seg.granularity < Granularity.HOUR
    )


def _one_per_window(
    kept: list[HistoryOp], ops: list[HistoryOp], scopes: list[tuple[FunctionNode | None, ast.ClassDef | None]]
) -> list[HistoryOp]:
    """One root cause, one finding: the first cut of a history in a function (a window, then
    `del messages[1]` tidying its edge), and the first bounded deque of an attribute in a class (made
    in `__init__`, remade with a new size in `update_config`)."""
    where = {id(op): scope for op, scope in zip(ops, scopes, strict=True)}
    seen: set[tuple[str, str, int]] = set()
    out = []
    for op in kept:
        func, cls = where.get(id(op), (None, None))
        if op.kind in _CUTS:
            key = ("cut", op.target, id(func))
        elif op.kind is HistoryOpKind.BOUNDED_DEQUE and op.target.startswith("self."):
            key = ("deque", op.target, id(cls))
        else:
            out.append(op)
            continue
        if key not in seen:
            seen.add(key)
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


def _on_request_path(
    name: str, func: FunctionNode | None, cls: ast.ClassDef | None, sent: set[tuple[str, int]]
) -> bool:
    """Whether an edit of the kept list `self.x` happens on the way to a request: in the method that
    sends it, or in a method called from that one or from a loop of the class. A setter called from
    elsewhere (`update_system_prompt(content)` at start-up or on a rare switch) is no evidence of a
    per-turn rewrite: how often it runs is not known."""
    if func is None or cls is None or not name.startswith("self."):
        return True  # functions and module code: the other checks decide
    if (name, id(func)) in sent:
        return True
    return any(
        method is not func and ((name, id(method)) in sent or _in_loop(call, method))
        for method, call in _self_calls(cls, func.name)
    )


def _self_calls(cls: ast.ClassDef, method_name: str) -> list[tuple[FunctionNode, ast.Call]]:
    """Every `self.<method_name>(...)` call in the methods of `cls`, with the method it is in."""
    out: list[tuple[FunctionNode, ast.Call]] = []
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in subtree.nodes(method):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == method_name
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self"
            ):
                out.append((method, node))
    return out


def _in_loop(node: ast.AST, method: FunctionNode) -> bool:
    return any(
        node in subtree.nodes(loop)
        for loop in subtree.nodes(method)
        if isinstance(loop, ast.For | ast.AsyncFor | ast.While)
    )


def _rebuilt_before_each_call(name: str, func: FunctionNode | None, cls: ast.ClassDef | None) -> bool:
    """Whether every call of the method that rewrites `self.x` comes after a statement of the calling
    method that makes `self.x` a new list (`self._messages = self._format_messages(...)`; then
    `self._inject_memory()` edits the system message of that fresh list before anything is sent).
    Each request then starts from its own list, and no kept conversation is rewritten."""
    if func is None or cls is None or not name.startswith("self.") or name.count(".") != 1:
        return False
    calls = _self_calls(cls, func.name)
    if not calls:
        return False
    for method, call in calls:
        if _in_loop(call, method):
            return False  # called every turn of a loop: the edit may land on the kept list
        fresh = any(
            isinstance(node, ast.Assign)
            and node.lineno < call.lineno
            and any(dotted(t) == name for t in node.targets)
            and not any(dotted(n) == name for n in subtree.nodes(node.value) if isinstance(n, ast.Attribute))
            for node in subtree.nodes(method)
        )
        if not fresh:
            return False
    return True


def _window_is_sent(
    op: HistoryOp, func: FunctionNode | None, sent: set[tuple[str, int]], module: ModuleInfo
) -> bool:
    """Whether the cut list is what a sink reads: the slice itself was evaluated for a sink, or it is
    written back over the history it cuts (`self.history = self.history[-20:]`, `h[:] = h[-k:]`)."""
    root: ast.AST = func if func is not None else module.tree
    for node in subtree.nodes(root):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Subscript) and module.span(value) == op.span:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    inner = target.value if isinstance(target, ast.Subscript) else target
                    if dotted(inner) == op.target:
                        return True
        if isinstance(node, ast.Subscript) and module.span(node) == op.span:
            if (SENT_SUBSCRIPT, id(node)) in sent:
                return True
    return False


def _sent_as_messages(
    op: HistoryOp,
    func: FunctionNode | None,
    cls: ast.ClassDef | None,
    module: ModuleInfo,
    sent_lists: set[Span],
    history_lists: set[Span],
) -> bool:
    """Whether the cut list reaches a sink as a list of messages: the slice itself is what a sink
    reads (`messages=[system, *history[-20:]]`), the history it is written back over is
    (`self.history = self.history[-20:]` ... `messages=self.history`), or a loop turns each of its
    items into a message (`for m in history[-10:]: messages.append({"role": ..., ...})`)."""
    if op.span in sent_lists:
        return True
    root: ast.AST = func if func is not None else module.tree
    carried = _carried_spans(op.span, root, module)
    if carried & history_lists:
        return True
    for node in subtree.nodes(root):
        if isinstance(node, ast.For | ast.AsyncFor) and module.span(node.iter) == op.span:
            item = dotted(node.target)
            if any(_makes_message(n, item) for stmt in node.body for n in subtree.nodes(stmt)):
                return True
        if isinstance(node, ast.ListComp) and any(module.span(g.iter) == op.span for g in node.generators):
            if any(_makes_message(n) for n in subtree.nodes(node.elt)):
                return True
        if isinstance(node, ast.Assign) and module.span(node.value) == op.span:
            written = [dotted(t) or store_of(t) for t in node.targets]
            if op.target in written:
                return _history_read_as_list(op.target, func, cls, module, sent_lists)
    return False


def _carried_spans(start: Span, root: ast.AST, module: ModuleInfo) -> set[Span]:
    """Spans of the expressions that still hold the cut list as a list: the window itself, a
    conditional that may give it (`h[-n:] if len(h) > n else h`), a filter of its messages
    (`[m for m in recent if m["role"] != "system"]`) and the reads of names bound to those."""
    carried = {start}
    nodes = list(subtree.nodes(root))
    for _ in range(4):
        before = len(carried)
        for node in nodes:
            if isinstance(node, ast.IfExp) and {module.span(node.body), module.span(node.orelse)} & carried:
                carried.add(module.span(node))
            elif (
                isinstance(node, ast.ListComp)
                and len(node.generators) == 1
                and module.span(node.generators[0].iter) in carried
                and isinstance(node.elt, ast.Name)
                and isinstance(node.generators[0].target, ast.Name)
                and node.elt.id == node.generators[0].target.id
            ):
                carried.add(module.span(node))
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and module.span(node.value) in carried
            ):
                carried.update(_reads_until_rebound(node, node.targets[0].id, nodes, module))
        if len(carried) == before:
            break
    return carried


def _reads_until_rebound(
    assign: ast.Assign, name: str, nodes: list[ast.AST], module: ModuleInfo
) -> list[Span]:
    """Spans of the reads of `name` after `assign` and before the next assignment to it."""
    start = (assign.end_lineno or assign.lineno, assign.end_col_offset or 0)
    rebinds = sorted(
        (n.lineno, n.col_offset)
        for n in nodes
        if isinstance(n, ast.Name)
        and n.id == name
        and isinstance(n.ctx, ast.Store)
        and (n.lineno, n.col_offset) > start
    )
    end = rebinds[0] if rebinds else (10**9, 0)
    return [
        module.span(n)
        for n in nodes
        if isinstance(n, ast.Name)
        and n.id == name
        and isinstance(n.ctx, ast.Load)
        and start < (n.lineno, n.col_offset) < end
    ]


def _returned(name: str, func: FunctionNode | None, module: ModuleInfo) -> bool:
    """Whether `func` returns the list (`return system + history` in a trim helper): its caller
    sends it."""
    if func is None:
        return False
    return any(
        isinstance(node, ast.Name | ast.Attribute) and dotted(node) == name
        for ret in module.return_exprs(func)
        for node in subtree.nodes(ret)
    )


def _history_read_as_list(
    name: str, func: FunctionNode | None, cls: ast.ClassDef | None, module: ModuleInfo, sent_lists: set[Span]
) -> bool:
    """Whether some read of `name` (in the class for `self.x`, else the function) is a sent list: the
    list itself, a copy of it (`self.history.copy()`, `list(self.history)`, `self.history[:]`) that
    the request is built from, or one conversation of it when it is a store (`history[user_id]`)."""
    root: ast.AST | None = cls if name.startswith("self.") and cls is not None else func
    for node in subtree.nodes(root if root is not None else module.tree):
        if isinstance(node, ast.Attribute | ast.Name) and dotted(node) == name:
            if isinstance(getattr(node, "ctx", None), ast.Load) and module.span(node) in sent_lists:
                return True
        elif (_copy_of(node) == name or store_of(node) == name) and module.span(node) in sent_lists:
            return True
    return False


def _copy_of(node: ast.AST) -> str | None:
    """The dotted name `node` copies whole: `x.copy()`, `list(x)`, `copy.deepcopy(x)`, `x[:]`."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args:
            return dotted(func.value)
        if dotted(func) in _COPIES and len(node.args) == 1:
            return dotted(node.args[0])
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Slice)
        and node.slice.lower is None
        and node.slice.upper is None
    ):
        return dotted(node.value)
    return None


def _makes_message(node: ast.AST, item: str | None = None) -> bool:
    """A message built in a loop body: a dict with a "role" key, a `...Message(...)` object, the
    loop's item itself appended to a list (`recent.append(entry)`), or a list extended with the
    item's messages (`chat.extend(turn.ask)`, `chat.extend(turn["messages"])`)."""
    if (
        item is not None
        and isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("append", "extend")
        and len(node.args) == 1
    ):
        first = node.args[0]
        if node.func.attr == "append":
            if dotted(first) == item:
                return True
        else:
            name = dotted(first.value if isinstance(first, ast.Subscript) else first) or ""
            if name == item or name.startswith(item + "."):
                return True
    if isinstance(node, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value == "role" for k in node.keys)
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        return name.rsplit(".", 1)[-1].endswith("Message")
    return False


def _is_text(target: ast.Subscript, root: ast.AST, func: FunctionNode | None) -> bool:
    """The sliced value is text: formatted straight into an f-string (`f"...{log[-900:]}"`), or a
    name the function declares as `str` (a parameter or an annotated local)."""
    for node in subtree.nodes(root):
        if isinstance(node, ast.FormattedValue) and node.value is target:
            return True
    if not isinstance(target.value, ast.Name) or func is None:
        return False
    name = target.value.id
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.arg == name and isinstance(arg.annotation, ast.Name) and arg.annotation.id == "str":
            return True
    return any(
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == name
        and isinstance(node.annotation, ast.Name)
        and node.annotation.id == "str"
        for node in subtree.nodes(func)
    )


def _cuts_apart(
    op: HistoryOp,
    func: FunctionNode | None,
    cls: ast.ClassDef | None,
    module: ModuleInfo,
    ev: Evaluator | None,
) -> bool:
    """A slice that is no window over messages: the tail of a text (`terminal_log[-9000:]`, known to
    be a string), or one half of a split whose other half is kept too (`xs[:k], xs[k:]`)."""
    root: ast.AST = func if func is not None else module.tree
    target: ast.Subscript | None = None
    heads: list[ast.Subscript] = []
    for node in subtree.nodes(root):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            if module.span(node) == op.span:
                target = node
            elif node.slice.lower is None and node.slice.upper is not None:
                heads.append(node)
    if target is None or not isinstance(target.slice, ast.Slice) or target.slice.lower is None:
        return False
    if _is_text(target, root, func):
        return True
    lower = ast.dump(target.slice.lower)
    base = ast.dump(target.value)
    for head in heads:
        upper = head.slice.upper  # type: ignore[attr-defined]
        if ast.dump(head.value) == base and upper is not None and ast.dump(upper) == lower:
            return True
    if ev is not None:
        return isinstance(ev.eval(target.value, Scope(module, func, cls)), Str)
    return False


def _written_value_varies(
    op: HistoryOp, func: FunctionNode, cls: ast.ClassDef | None, module: ModuleInfo, ev: Evaluator
) -> bool:
    """Whether what `op` inserts or writes is proven to vary between calls."""
    for node in subtree.nodes(func):
        value: ast.expr | None = None
        if isinstance(node, ast.Call) and op.kind is HistoryOpKind.EARLY_INSERT and len(node.args) >= 2:
            if module.span(node) == op.span:
                value = node.args[1]
        elif isinstance(node, ast.Assign | ast.AugAssign) and op.kind is HistoryOpKind.REWRITE:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(module.span(t) == op.span for t in targets):
                value = node.value
        if value is not None:
            return stability_of(ev.eval(value, Scope(module, func, cls))) >= Stability.SESSION
    return False


def _makes_new_list(value: ast.expr) -> bool:
    if isinstance(value, ast.List | ast.ListComp | ast.Tuple | ast.BinOp):
        return True
    if isinstance(value, ast.Call):
        name = dotted(value.func) or ""
        return name in _COPIES or name.endswith(".copy") or name.endswith(".deepcopy")
    return False
