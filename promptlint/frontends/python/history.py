"""History facts: operations on a conversation list that shift or rewrite its prefix every turn.

Recognised on names that say history/messages/conversation/memory/transcript: a sliding window
(`history[-N:]`, `history[k:]` with a variable k), `pop(0)`/`popleft()`, `del history[0]`, a
`deque(maxlen=...)`, an early `insert(0|1, ...)`, and reassigning an early message (`messages[0]["content"]
= ...`). Deliberate one-off operations stay silent: compaction that prepends a summary inside an `if`,
and inserts done once per conversation (in `__init__`/`reset`, or guarded by an emptiness check).
"""

from __future__ import annotations

import ast
import re

from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.ir import HistoryOp, HistoryOpKind

HISTORY_NAME = re.compile(
    r"(?i)(history|messages|message_list|msgs|conversation|chat_log|memory|transcript|turns|dialog)"
)
# Functions that compact a history (replace old turns by a summary): what they cut is done once, when
# the history is too long, and the prefix is stable again until the next compaction.
COMPACTING = re.compile(r"(?i)(summar|compact|compress|condens)")
_SIZE_WORDS = re.compile(r"(?i)(max|limit|budget|token|window|size|length|count|capacity|keep)")
_ONCE_FUNCTIONS = re.compile(r"(?i)^(__init__|__post_init__|reset|clear|start|new|init|setup|begin)")


def store_of(node: ast.AST) -> str | None:
    """The store `node` reads one entry of: `history` of `history[user_id]` (a name or attribute
    subscripted by a name or attribute, not a constant index)."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Name | ast.Attribute)
        and isinstance(node.value, ast.Name | ast.Attribute)
    ):
        return dotted(node.value)
    return None


def _history_name(node: ast.expr) -> str | None:
    if store_of(node) is not None:
        # `history[user_id]`: one conversation per key of a store of conversations; what is done to
        # it is done to the store's entry, which outlives the request like the store
        assert isinstance(node, ast.Subscript)
        return _history_name(node.value)
    name = dotted(node)
    if name is None and isinstance(node, ast.Call):
        return None
    return name if name and HISTORY_NAME.search(name.rsplit(".", 1)[-1]) else None


def unnamed_list(node: ast.Subscript) -> bool:
    """A slice of a list whose own name does not say history (the slice's context may)."""
    return (
        isinstance(node.slice, ast.Slice)
        and dotted(node.value) is not None
        and _history_name(node.value) is None
    )


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const_int(node.operand)
        return -inner if inner is not None else None
    return None


def slice_op(
    node: ast.Subscript, module: ModuleInfo, compaction: bool, named: str | None = None
) -> HistoryOp | None:
    """`history[-N:]` or `history[k:]` (k a name or expression, not a constant >= 0 or an attribute):
    a window sliding every turn.

    `named` is what the code calls the window when the list's own name does not say history
    (`history=session[-50:]`, `chat_history = turns_of(user)[-20:]`): the list is still what it cuts."""
    name = _history_name(node.value)
    if name is None and named is not None and HISTORY_NAME.search(named.rsplit(".", 1)[-1]):
        name = dotted(node.value)
    sl = node.slice
    if name is None or not isinstance(sl, ast.Slice) or sl.lower is None or sl.upper is not None:
        return None
    lower = _const_int(sl.lower)
    if (lower is not None and lower >= 0) or compaction:
        return None
    if isinstance(sl.lower, ast.Attribute):
        # `history[self.node_entry_index:]`: a start kept in state, moved when the state changes (a
        # new stage of the conversation), not a cut made every turn; `[-self.window:]` still is one
        return None
    return HistoryOp(HistoryOpKind.FRONT_SLICE, module.span(node), name, module.text_of(node))


def call_op(call: ast.Call, module: ModuleInfo, func: FunctionNode | None, guarded: bool) -> HistoryOp | None:
    """`pop(0)`, `popleft()`, `insert(0|1, ...)` and `deque(maxlen=...)` on a history."""
    target = call.func
    if isinstance(target, ast.Attribute) and target.attr in ("pop", "popleft", "insert"):
        name = _history_name(target.value)
        if name is None:
            return None
        if (target.attr == "pop" and call.args and _const_int(call.args[0]) == 0) or target.attr == "popleft":
            return HistoryOp(HistoryOpKind.POP_FRONT, module.span(call), name, module.text_of(call))
        if target.attr == "insert" and call.args and _const_int(call.args[0]) in (0, 1):
            once = guarded or (func is not None and _ONCE_FUNCTIONS.match(func.name) is not None)
            if not once:
                detail = f"{name}.insert({_const_int(call.args[0])}, ...)"
                return HistoryOp(HistoryOpKind.EARLY_INSERT, module.span(call), name, detail)
    return None


def assign_ops(
    stmt: ast.Assign | ast.AugAssign, module: ModuleInfo, func: FunctionNode | None
) -> list[HistoryOp]:
    """`history = deque(maxlen=N)`, `messages[0]["content"] = ...` outside set-up functions, and
    `history = history[2:]`: the oldest turns cut off and the rest written back (a constant start
    drops as much as a window does, once the list is written over with it)."""
    out: list[HistoryOp] = []
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    value = stmt.value
    bounded = _bounded_deque(value)
    for target in targets:
        name = _history_name(target)
        if name and _drops_front_of(value, name) and outlives_call(name, func, module):
            assert isinstance(value, ast.Subscript)
            out.append(HistoryOp(HistoryOpKind.FRONT_SLICE, module.span(value), name, module.text_of(value)))
        if name and bounded is not None:
            out.append(
                HistoryOp(HistoryOpKind.BOUNDED_DEQUE, module.span(bounded), name, module.text_of(bounded))
            )
        early = _early_element(target)
        if early is not None and not (func is not None and _ONCE_FUNCTIONS.match(func.name)):
            if not (isinstance(value, ast.Constant) and isinstance(stmt, ast.Assign)):
                out.append(
                    HistoryOp(HistoryOpKind.REWRITE, module.span(target), early, module.text_of(target))
                )
    return out


def _drops_front_of(value: ast.expr | None, name: str) -> bool:
    """`name[k:]` with a constant k > 0, of the list `name` itself."""
    if not isinstance(value, ast.Subscript) or dotted(value.value) != name:
        return False
    sl = value.slice
    lower = _const_int(sl.lower) if isinstance(sl, ast.Slice) and sl.upper is None else None
    return lower is not None and lower > 0


def _bounded_deque(value: ast.expr | None) -> ast.Call | None:
    """`deque(maxlen=N)`, or the one a store makes per key: `defaultdict(lambda: deque(maxlen=N))`
    (a bot's conversation per channel)."""
    if not isinstance(value, ast.Call):
        return None
    if (dotted(value.func) or "").endswith("deque"):
        return value if any(k.arg == "maxlen" for k in value.keywords) or len(value.args) >= 2 else None
    if (dotted(value.func) or "").endswith("defaultdict") and value.args:
        factory = value.args[0]
        if isinstance(factory, ast.Lambda):
            return _bounded_deque(factory.body)
    return None


def _early_element(target: ast.expr) -> str | None:
    """`history[i]` or `history[i][...]` with a constant i that is not the last message."""
    node = target
    while isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript):
        node = node.value
    if not isinstance(node, ast.Subscript):
        return None
    name = _history_name(node.value)
    index = _const_int(node.slice) if not isinstance(node.slice, ast.Slice) else None
    if name is None or index is None or index == -1:
        return None
    return name


def delete_ops(stmt: ast.Delete, module: ModuleInfo) -> list[HistoryOp]:
    """`del history[0]`, `del history[1]`, `del history[:k]`."""
    out = []
    for target in stmt.targets:
        if not isinstance(target, ast.Subscript):
            continue
        name = _history_name(target.value)
        sl = target.slice
        early = (
            (_const_int(sl) in (0, 1))
            if not isinstance(sl, ast.Slice)
            else (sl.lower is None or _const_int(sl.lower) in (0, 1))
        )
        if name and early:
            out.append(HistoryOp(HistoryOpKind.DELETE_EARLY, module.span(stmt), name, module.text_of(stmt)))
    return out


def outlives_call(name: str, func: FunctionNode | None, module: ModuleInfo) -> bool:
    """`self.x`, a module global, or a parameter the function appends to (the caller keeps the list
    and it grows turn by turn): a list that outlives the call. A local, or a parameter only read
    (`extract(messages)`), is rebuilt for every call."""
    if name.startswith("self.") or func is None:
        return True
    bindings = module.function_bindings(func).get(name.partition(".")[0])
    if not bindings:
        return True  # a global
    if "." in name or not any(b.kind == "param" for b in bindings):
        return False
    if any(b.kind == "assign" for b in bindings):
        return False  # rebound in the call (`if not messages: messages = []`): not known to be kept
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("append", "extend")
        and dotted(node.func.value) == name
        for node in subtree.nodes(func)
    )


def tests_size(test: ast.expr) -> bool:
    """`if len(history) > 20`, `if tokens > self.max_tokens`: a test of how big something is, under which
    dropping one early message happens every turn once the limit is reached."""
    for node in subtree.nodes(test):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
            return True
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Gt | ast.GtE | ast.Lt | ast.LtE) for op in node.ops
        ):
            names = [dotted(n) or "" for n in (node.left, *node.comparators)]
            if any(_SIZE_WORDS.search(n) for n in names):
                return True
    return False


def guards_emptiness(test: ast.expr) -> bool:
    """`if not history`, `if len(history) == 0`, `if history == []`: runs once per conversation.

    A test with no `not` and no comparison in it is no guard (checked on the tree, before unparsing).
    """
    if not any(
        type(n) is ast.Compare or (isinstance(n, ast.UnaryOp) and type(n.op) is ast.Not)
        for n in subtree.nodes(test)
    ):
        return False
    text = ast.unparse(test)
    return bool(re.search(r"not \w|len\(.*\) ?(==|<) ?[01]\b|== ?\[\]", text))
