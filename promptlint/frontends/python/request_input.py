"""Evidence of per-request input: web handlers, message handlers and request-reading calls.

Owns the reading of `data/request_sources.toml` and the three questions asked of it: is this
function a handler whose parameters come from the request, is this qualified name a value of the
current request, and which slots of a built prompt are the user's own message (so the same values
elsewhere in the request are per-request too). Nothing here guesses from names.
"""

from __future__ import annotations

import ast
import importlib.resources
import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache

from promptlint.frontends.python import subtree
from promptlint.frontends.python.modules import FunctionNode, dotted, role_content
from promptlint.ir import NUMBER_PARAMETER, Part, Role, Slot, Stability


@dataclass(frozen=True, slots=True)
class RequestSources:
    handler_methods: frozenset[str]
    message_handlers: frozenset[str]
    request_values: frozenset[str]
    session_values: frozenset[str]


@cache
def request_sources() -> RequestSources:
    """The packaged table (read once per process; it is package data, not user input)."""
    raw = (importlib.resources.files("promptlint") / "data" / "request_sources.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    return RequestSources(
        frozenset(data["handler-methods"]),
        frozenset(data["message-handlers"]),
        frozenset(data["request-values"]),
        frozenset(data["session-values"]),
    )


def handler_label(func: FunctionNode, qualify: dict[str, str]) -> str | None:
    """`POST /chat` when `func` is a web or message handler, else None.

    `qualify` maps a decorator's local head name to its imported module (`cl` -> `chainlit`).
    """
    table = request_sources()
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = dotted(target) or ""
        head, dot, rest = name.partition(".")
        qual = f"{qualify.get(head, head)}{dot}{rest}"
        if qual in table.message_handlers or name in table.message_handlers:
            return f"message handler `{func.name}`"
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr in table.handler_methods
            and deco.args
            and isinstance(deco.args[0], ast.Constant)
            and isinstance(deco.args[0].value, str)
            and deco.args[0].value.startswith("/")
        ):
            return f"{deco.func.attr.upper()} {deco.args[0].value} handler"
    return None


def input_value(qualname: str, shown: str) -> tuple[Stability, str] | None:
    """The stability and cause of a call or attribute that reads the user's input, else None:
    per-request (`flask.request.json`, `st.chat_input()`) or per-session (a Streamlit widget).
    `shown` is how the cause names it (`streamlit.text_area()` for a call)."""
    table = request_sources()
    if qualname in table.request_values:
        return Stability.REQUEST, f"request input `{shown}`"
    if qualname in table.session_values:
        return Stability.SESSION, f"session input `{shown}` (kept until the user changes it)"
    return None


# A parameter that holds the conversation (`messages`, `history`): its newest message is the turn
# being asked, but everything else drawn from it (the system message it carries) is not.
_CONVERSATION = re.compile(r"(?i)^parameter `[^`]*(history|messages|conversation)[^`]*`")

# What a method was called on is not the turn being asked, whatever of it lands in a user message.
_RECEIVERS = frozenset({"parameter `self`", "parameter `cls`"})


def with_user_message_evidence(
    parts: tuple[Part, ...], recorded: frozenset[tuple[str, str]] = frozenset()
) -> tuple[Part, ...]:
    """Values sent as the user's message are per-request; so are the same values elsewhere, and what
    a call computes from them.

    The last user part of a request is the turn being asked. A parameter of unknown origin that is
    that message (or part of it) is the request's input, and where the same value of it also appears
    earlier in the request (a system prompt that repeats the question), it is per-request there too;
    other attributes of the same parameter (`req.system_prompt` beside `req.messages`) are not.
    `recorded`: parameters the sending function stored as the user's turn of the conversation it
    sends, before sending (`recorded_user_turns`), which are the user's message as well.
    """
    keys: set[tuple[str, str]] = set()
    last_user = next((i for i in range(len(parts) - 1, -1, -1) if parts[i].role is Role.USER), None)
    if last_user is not None and not any(p.role is Role.ASSISTANT for p in parts[last_user + 1 :]):
        keys.update(  # by what is read of the parameter: `req.messages` is input, `req.system_prompt` may not be
            (seg.cause, seg.label)
            for seg in parts[last_user].segments
            if isinstance(seg, Slot)
            and seg.stability is Stability.UNKNOWN
            and seg.cause.startswith("parameter ")
            and not seg.cause.endswith(NUMBER_PARAMETER)  # a setting or a count in a template
            and seg.cause not in _RECEIVERS
        )
    if any(p.role is Role.HISTORY for p in parts):
        keys.update(recorded)  # (a turn stored in a list this request does not send is no evidence)
    if not keys:
        return parts
    out = []
    for part in parts:
        segments = tuple(_upgraded(seg, keys) if isinstance(seg, Slot) else seg for seg in part.segments)
        out.append(replace(part, segments=segments))
    return tuple(out)


def recorded_user_turns(call: ast.AST, func: FunctionNode | None) -> frozenset[tuple[str, str]]:
    """Parameters of `func` recorded as the user's turn before `call` sends: a statement
    `self._history.append({"role": "user", "content": user_input})` (or a helper given that dict)
    ahead of the request in the same function. Recorded after the request, it is a log of the turn."""
    if func is None or not isinstance(call, ast.Call):
        return frozenset()
    recordings = _user_turns(func)
    if not recordings:
        return frozenset()  # (the common case: no loop search)
    at = (call.lineno, call.col_offset)
    # Loops around the request: a turn stored once before a loop of requests is that loop's task,
    # the same in each of them, not the input of each request.
    around = [
        loop
        for loop in subtree.nodes(func)
        if isinstance(loop, ast.For | ast.AsyncFor | ast.While) and loop.body and _in_body(call, loop)
    ]
    return frozenset(
        (f"parameter `{name}`", name)
        for stmt, name in recordings
        if (stmt.lineno, stmt.col_offset) < at and all(_in_body(stmt, loop) for loop in around)
    )


def _user_turns(func: FunctionNode) -> list[tuple[ast.stmt, str]]:
    """The statements of `func` that pass a `{"role": "user", "content": P}` literal to a call, P a
    parameter of `func`, with P (kept on the function: every request site of it asks)."""

    def find() -> list[tuple[ast.stmt, str]]:
        args = func.args
        params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self", "cls"}
        out: list[tuple[ast.stmt, str]] = []
        for stmt in subtree.nodes(func) if params else ():
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                for arg in stmt.value.args:
                    name = _user_turn_content(arg)
                    if name is not None and name in params:
                        out.append((stmt, name))
        return out

    return subtree.memo(func, "user-turns", find)


def _in_body(node: ast.AST, loop: ast.For | ast.AsyncFor | ast.While) -> bool:
    """Whether `node` starts in the body of `loop` (not its `else`)."""
    first, last = loop.body[0], loop.body[-1]
    start = (first.lineno, first.col_offset)
    end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
    here = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    return start <= here < end


def _user_turn_content(node: ast.expr) -> str | None:
    """`P` of a `{"role": "user", "content": P}` literal, P a bare name."""
    role, content = role_content(node)
    return content.id if role == "user" and isinstance(content, ast.Name) else None


def _upgraded(seg: Slot, keys: set[tuple[str, str]]) -> Slot:
    """The slot as per-request when it is the user's message, or a call's result computed from it
    (`retrieve_memories(user_message)`: what is looked up for this question changes with it), when
    the parameter itself is the message; a method or attribute of the message's parameter
    (`req.get("system")`), or anything made from a parameter only one field of which is the message
    (`step.instruction`), is not."""
    if seg.stability is not Stability.UNKNOWN:
        return seg
    if (seg.cause, seg.label) in keys:
        return replace(seg, stability=Stability.REQUEST, cause=f"{seg.cause} (sent as the user's message)")
    for cause, label in keys:
        if (
            seg.cause == cause
            and label.isidentifier()  # the parameter itself is the message, not one field of it
            and not _CONVERSATION.search(cause)  # nor a conversation, whose other messages are not
            and "(" in seg.label
            and not seg.label.startswith((f"{label}.", f"{label}[", f"{label}("))
        ):
            return replace(
                seg, stability=Stability.REQUEST, cause=f"{seg.cause} (computed from the user's message)"
            )
    return seg
