"""The walk over one module that collects prompt-site candidates.

Owns the prompt words (`NEEDLES`) and the cheap prefilter built on them: only statements whose lines
mention a prompt word are visited. The walk collects `Candidates`: every call (possible provider site),
lists of role/content dicts or LangChain messages, assignments and functions whose names say
prompt/system/instructions, messages appended to a persisted history (frozen once sent), header uses
and history operations, each with the function and class it sits in.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field

from promptlint.frontends.python import history
from promptlint.frontends.python.headers import header_read, headers_in_assign, headers_in_call, is_llm_module
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, dotted
from promptlint.ir import HeaderUse, HistoryOp

NEEDLES = (
    "messages",
    "role",
    "system",
    "System",
    "SYSTEM",
    "prompt",
    "Prompt",
    "PROMPT",
    "nstruction",
    "INSTRUCTION",
    "eader",
    "EADER",
    "X-Cache",
    "x-cache",
    "Message",
    "cache_control",
    "completion",
    "generate_content",
    "history",
    "conversation",
    "memory",
    "deque",
    "responses",
)
_PROMPT_NAME = re.compile(r"(?i)(prompt|system|instruction)")
# Prompt-named values that are not prompts: hashes, cache keys, ids, debug/log strings.
_NOT_PROMPT_NAME = re.compile(r"(?i)(hash|digest|_key\b|key$|_id\b|debug|log|path|file|dir|url)")


@dataclass
class Candidates:
    """What the walk found, with the (function, class) each sits in."""

    calls: list[tuple[ast.Call, FunctionNode | None, ast.ClassDef | None]] = field(default_factory=list)
    lists: list[tuple[ast.List, FunctionNode | None, ast.ClassDef | None]] = field(default_factory=list)
    named: list[tuple[ast.Assign | ast.AnnAssign, FunctionNode | None, ast.ClassDef | None]] = field(
        default_factory=list
    )
    functions: list[tuple[FunctionNode, ast.ClassDef | None]] = field(default_factory=list)
    frozen: set[int] = field(default_factory=set)
    headers: list[HeaderUse] = field(default_factory=list)
    lines: NeedleLines = field(default_factory=lambda: NeedleLines(()))
    history: list[HistoryOp] = field(default_factory=list)
    guarded: int = 0  # depth of enclosing `if` blocks that test a history for emptiness
    compaction: set[int] = field(default_factory=set)  # slices with something prepended inside an `if`
    in_if: int = 0
    llm: bool = True  # the module talks to an LLM API (see headers.is_llm_module)


def mentions_prompt(text: str) -> bool:
    return any(needle in text for needle in NEEDLES)


def walk(module: ModuleInfo) -> Candidates:
    """Collect candidates, descending only into statements whose lines mention a prompt word."""
    found = Candidates(lines=NeedleLines.of(module), llm=is_llm_module(module.source.text))
    for stmt in module.tree.body:
        if found.lines.mentions(stmt):
            _visit(stmt, None, None, found, module)
    return found


@dataclass(frozen=True)
class NeedleLines:
    """The sorted 1-based numbers of the lines that contain a prompt word (found at C speed)."""

    numbers: tuple[int, ...]

    @classmethod
    def of(cls, module: ModuleInfo) -> NeedleLines:
        text = module.source.text
        starts = module.source.lines.starts
        hits: set[int] = set()
        for needle in NEEDLES:
            position = text.find(needle)
            while position >= 0:
                line = bisect.bisect_right(starts, position)
                hits.add(line)
                position = text.find(needle, starts[line] if line < len(starts) else len(text))
        return cls(tuple(sorted(hits)))

    def mentions(self, stmt: ast.stmt) -> bool:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        end = getattr(stmt, "end_lineno", None) or stmt.lineno
        index = bisect.bisect_left(self.numbers, first)
        return index < len(self.numbers) and self.numbers[index] <= end


# Nodes with nothing below them that the walk cares about.
_LEAVES = (
    ast.Name,
    ast.Constant,
    ast.expr_context,
    ast.operator,
    ast.cmpop,
    ast.unaryop,
    ast.boolop,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
)


def _visit(
    node: ast.AST, func: FunctionNode | None, cls: ast.ClassDef | None, found: Candidates, module: ModuleInfo
) -> None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        if _PROMPT_NAME.search(node.name) and not _NOT_PROMPT_NAME.search(node.name):
            found.functions.append((node, cls))
        func, cls = node, cls
    elif isinstance(node, ast.ClassDef):
        func, cls = None, node
    elif isinstance(node, ast.Call):
        found.calls.append((node, func, cls))
        found.headers.extend(headers_in_call(node, module, found.llm))
        _mark_frozen(node, func, module, found)
        op = history.call_op(node, module, func, found.guarded > 0)
        if op is not None:
            found.history.append(op)
    elif isinstance(node, ast.If):
        guard = history.guards_emptiness(node.test)
        found.in_if += 1
        found.guarded += guard
        _children(node, func, cls, found, module)
        found.in_if -= 1
        found.guarded -= guard
        return
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and found.in_if:
        if isinstance(node.right, ast.Subscript):
            found.compaction.add(id(node.right))
    elif isinstance(node, ast.Delete):
        found.history.extend(history.delete_ops(node, module))
    elif isinstance(node, ast.List):
        if any(_looks_like_message(e) for e in node.elts):
            found.lists.append((node, func, cls))
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        if isinstance(node, ast.Assign | ast.AugAssign):
            found.history.extend(history.assign_ops(node, module, func))
        if isinstance(node, ast.AugAssign):
            _children(node, func, cls, found, module)
            return
        if found.llm:
            found.headers.extend(headers_in_assign(node, module))
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        name = (dotted(targets[0]) or "") if len(targets) == 1 else ""
        if _PROMPT_NAME.search(name) and not _NOT_PROMPT_NAME.search(name) and node.value is not None:
            found.named.append((node, func, cls))
    elif isinstance(node, ast.Subscript):
        read = header_read(node, module) if found.llm else None
        if read is not None:
            found.headers.append(read)
        window = history.slice_op(node, module, id(node) in found.compaction)
        if window is not None:
            found.history.append(window)
    _children(node, func, cls, found, module)


def _children(
    node: ast.AST, func: FunctionNode | None, cls: ast.ClassDef | None, found: Candidates, module: ModuleInfo
) -> None:
    """Visit the children that can hold a candidate: no leaves, no statements without a prompt word."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _LEAVES) or (isinstance(child, ast.stmt) and not found.lines.mentions(child)):
            continue
        _visit(child, func, cls, found, module)


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
