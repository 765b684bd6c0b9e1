"""Sinks that are not SDK calls: framework prompt parameters, project wrappers and sink summaries.

Owns three questions about a call that `sites.py` did not classify as a provider call:
- is it a framework call whose keyword arguments become a request's system prompt, messages or tools
  (`Agent(instructions=...)`, `create_react_agent(model, tools, prompt=...)`; `data/sinks.toml`);
- is it an unresolvable project wrapper that sends by convention (`self.llm.chat(system=...,
  messages=...)`: a system prompt passed with the conversation, or to a method named like a model call);
- is it a call of a project function whose body sends one of its parameters (a *sink summary*: the
  function is itself a sink for that parameter, computed once per function and kept by the loader).

For a wrapper call, the inner sink is evaluated with the wrapper's parameters bound to the call's
arguments, so the prompt is the one this call sends, with values from this file where they come from.
"""

from __future__ import annotations

import ast
import importlib.resources
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from promptlint.diagnostics import Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.bindings import Scope
from promptlint.frontends.python.calls import bind_arguments, find_method
from promptlint.frontends.python.modules import FunctionNode, dotted, final_name
from promptlint.frontends.python.values import (
    Map,
    Msg,
    Ref,
    Seq,
    Str,
    Value,
    segment_key,
    static_text,
)
from promptlint.ir import Part, Prompt, Segment, Slot, Stability, Text

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator

MAX_WRAPPER_DEPTH = 4  # wrappers of wrappers followed from a call site
ROLES = ("system", "messages", "user", "tools")


@dataclass(frozen=True, slots=True)
class FrameworkSink:
    """One `[[framework]]` entry: which arguments of these callees carry which part."""

    name: str
    callees: frozenset[str]
    suffixes: frozenset[str]
    keywords: dict[str, str]  # keyword -> role
    positional: dict[int, str]  # argument position -> role
    conversation: bool = False  # every request it makes carries the running conversation after these


@dataclass(frozen=True, slots=True)
class HookSink:
    """One `[[hook]]` entry: functions decorated with these are called back for every request."""

    name: str
    decorators: frozenset[str]
    role: str
    conversation: bool = False


@dataclass(frozen=True, slots=True)
class MiddlewareSink:
    """One `[[middleware]]` entry: methods of subclasses of `bases` edit the request they are given."""

    name: str
    bases: frozenset[str]
    methods: frozenset[str]
    override: str
    keywords: dict[str, str]  # keyword / attribute of the request -> role
    conversation: bool = False


@dataclass(frozen=True, slots=True)
class SinkTable:
    frameworks: tuple[FrameworkSink, ...]
    convention: dict[str, str]  # keyword -> role
    methods: re.Pattern[str]
    not_methods: re.Pattern[str]
    # Keyword arguments of the sinks a config adds: the walk also looks at lines holding them.
    extra_words: tuple[str, ...] = ()
    http_paths: tuple[str, ...] = ()  # URL paths of model APIs a raw HTTP POST may send to ([http])
    anthropic_paths: tuple[str, ...] = ()
    markers: re.Pattern[str] = re.compile("(?!)")  # final names of `cache_control` marker constructors
    translated_markers: re.Pattern[str] = re.compile("(?!)")  # tests that pick the caller's cache points
    runners: Mapping[str, int] = field(default_factory=dict)  # `to_thread(f, ...)`: callable's position
    # Keywords that pass a callable returning the messages (`message_factory=build`), called back.
    message_factories: frozenset[str] = frozenset()
    hooks: tuple[HookSink, ...] = ()
    middleware: tuple[MiddlewareSink, ...] = ()
    # `public-prompt-builders`: a public prompt-named function of a module that sends nothing is a
    # sink of its own (a library's caller sends what it returns).
    public_builders: bool = False
    # Constructors of SDK clients whose service caches nothing automatically ([uncached]).
    uncached_clients: frozenset[str] = frozenset()
    # Framework context types whose attribute holds an object of their type argument
    # (`ctx: RunContext[ChatDeps]` -> `ctx.deps` is a ChatDeps) ([[context]]).
    contexts: Mapping[str, str] = field(default_factory=dict)

    def framework_names(self) -> frozenset[str]:
        """The final names of the framework sinks' callees (`create_agent`, `Agent`)."""
        names = {callee.rsplit(".", 1)[-1] for entry in self.frameworks for callee in entry.callees}
        return frozenset(names | {suffix[2:] for entry in self.frameworks for suffix in entry.suffixes})

    def extended(
        self, extra: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...], public_builders: bool = False
    ) -> SinkTable:
        """This table with the config's `sinks` entries in front (they win over the packaged ones) and
        its `public-prompt-builders` setting."""
        table = (
            self
            if public_builders == self.public_builders
            else replace(self, public_builders=public_builders)
        )
        if not extra:
            return table
        added = parse_sink_table(
            {"framework": [{k: (v[0] if k == "name" else list(v)) for k, v in entry} for entry in extra]}
        ).frameworks
        words = tuple(sorted({kw for entry in added for kw in entry.keywords}))
        return replace(table, frameworks=(*added, *table.frameworks), extra_words=words)

    def http_api(self, url: str) -> str | None:
        """`anthropic` or `openai` when a URL's known text names a model API path, else None."""
        if any(_names_path(url, p) for p in self.anthropic_paths):
            return "anthropic"
        if any(_names_path(url, p) for p in self.http_paths):
            return "openai"
        return None

    def framework(self, qual: str | None) -> FrameworkSink | None:
        if not qual:
            return None
        last = "*." + qual.rsplit(".", 1)[-1]
        for entry in self.frameworks:
            if qual in entry.callees or last in entry.suffixes:
                return entry
        return None


def _names_path(url: str, path: str) -> bool:
    """`path` ends a segment of `url` (`/api/chat`, `/api/chat?x=1`; not `/api/chatrooms`)."""
    at = url.find(path)
    while at >= 0:
        end = at + len(path)
        if end == len(url) or url[end] in "?#/":
            return True
        at = url.find(path, at + 1)
    return False


@cache
def sink_table() -> SinkTable:
    """The packaged table (read once per process; it is package data, not user input)."""
    raw = (importlib.resources.files("promptlint") / "data" / "sinks.toml").read_text("utf-8")
    return parse_sink_table(tomllib.loads(raw))


def parse_sink_table(data: dict[str, object]) -> SinkTable:
    frameworks = []
    entries: list[dict[str, Any]] = data.get("framework", [])  # type: ignore[assignment]
    for entry in entries:
        names = tuple(entry["callees"])
        frameworks.append(
            FrameworkSink(
                entry.get("name") or names[0],
                frozenset(n for n in names if not n.startswith("*.")),
                frozenset(n for n in names if n.startswith("*.")),
                {kw: role for role in ROLES for kw in entry.get(role, [])},
                {int(k): v for k, v in entry.get("positional", {}).items()},
                bool(entry.get("conversation", False)),
            )
        )
    conv: dict[str, object] = data.get("convention", {})  # type: ignore[assignment]
    convention = {kw: role for role in ROLES for kw in conv.get(role, [])}  # type: ignore[attr-defined]
    http: dict[str, list[str]] = data.get("http", {})  # type: ignore[assignment]
    markers: dict[str, str] = data.get("markers", {})  # type: ignore[assignment]
    runners: dict[str, int] = data.get("runners", {})  # type: ignore[assignment]
    factories = frozenset(str(k) for k in conv.get("message_factories", ()))  # type: ignore[attr-defined]
    hooks: list[dict[str, Any]] = data.get("hook", [])  # type: ignore[assignment]
    middleware: list[dict[str, Any]] = data.get("middleware", [])  # type: ignore[assignment]
    uncached: dict[str, list[str]] = data.get("uncached", {})  # type: ignore[assignment]
    return SinkTable(
        tuple(frameworks),
        convention,
        re.compile(str(conv.get("methods", "(?!)"))),
        re.compile(str(conv.get("not_methods", "(?!)"))),
        http_paths=tuple(http.get("paths", [])),
        anthropic_paths=tuple(http.get("anthropic_paths", [])),
        markers=re.compile(markers.get("constructors", "(?!)")),
        translated_markers=re.compile(markers.get("translated", "(?!)")),
        runners={str(k): int(v) for k, v in runners.items()},
        message_factories=factories,
        hooks=tuple(
            HookSink(
                str(h.get("name") or h["decorators"][0]),
                frozenset(str(d) for d in h["decorators"]),
                str(h.get("role", "system")),
                bool(h.get("conversation", False)),
            )
            for h in hooks
        ),
        middleware=tuple(
            MiddlewareSink(
                str(m.get("name") or m["bases"][0]),
                frozenset(str(b) for b in m["bases"]),
                frozenset(str(n) for n in m["methods"]),
                str(m.get("override", "override")),
                {kw: role for role in ROLES for kw in m.get(role, [])},
                bool(m.get("conversation", False)),
            )
            for m in middleware
        ),
        uncached_clients=frozenset(str(c) for c in uncached.get("clients", [])),
        contexts={
            str(name): str(c["attribute"])
            for c in data.get("context", [])  # type: ignore[attr-defined]
            for name in c["types"]
        },
    )


@dataclass(frozen=True, slots=True)
class SinkArgs:
    """What a non-SDK sink call sends: argument nodes by role, and what kind of sink it is."""

    kind: str  # "framework" | "convention"
    label: str
    args: tuple[tuple[str, ast.expr], ...]  # (role, argument) in the order the request holds them
    conversation: bool = False  # the sink adds the running conversation after these (agent frameworks)


def framework_sink(ev: Evaluator, call: ast.Call, scope: Scope) -> SinkArgs | None:
    """A call of a framework sink of `data/sinks.toml` with the arguments it sends; None otherwise."""
    entry = ev.sinks.framework(ev.qualname(call.func, scope))
    if entry is None:
        return None
    found = [(role, value) for key, value in keyword_args(call, scope) if (role := entry.keywords.get(key))]
    for index, arg in enumerate(call.args):
        role = entry.positional.get(index)
        if role and not isinstance(arg, ast.Starred):
            found.append((role, arg))
    return SinkArgs("framework", entry.name, ordered_args(found), entry.conversation) if found else None


def keyword_args(call: ast.Call, scope: Scope) -> list[tuple[str, ast.expr]]:
    """The keyword arguments of a call, with those of a `**kwargs` dict the same function builds
    (`kwargs = dict(system_prompt=s, tools=t)` or `{"system_prompt": s}`, then `kwargs["k"] = v`)
    spread in; a key given explicitly wins. A dict promptlint cannot see built gives nothing."""
    explicit = [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    spread = {kw.value.id for kw in call.keywords if kw.arg is None and isinstance(kw.value, ast.Name)}
    if not spread or scope.func is None:
        return explicit
    given = {key for key, _ in explicit}
    extra: dict[str, ast.expr] = {}
    target: ast.expr
    for node in subtree.nodes(scope.func):
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value  # `kwargs: dict[str, Any] = dict(...)`
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in spread:
            extra.update(dict_entries(value))
        elif (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id in spread
            and isinstance(target.slice, ast.Constant)
            and isinstance(target.slice.value, str)
        ):
            extra[target.slice.value] = value
    return explicit + [(key, value) for key, value in extra.items() if key not in given]


def dict_entries(value: ast.expr) -> dict[str, ast.expr]:
    """`dict(k=v, ...)` or `{"k": v, ...}`: its string keys and value nodes (a positional `dict(base,
    k=v)` or a `**spread` gives only the keys written out)."""
    if isinstance(value, ast.Call) and final_name(value.func) == "dict":
        return {kw.arg: kw.value for kw in value.keywords if kw.arg}
    if isinstance(value, ast.Dict):
        return {
            k.value: v
            for k, v in zip(value.keys, value.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    return {}


def convention_sink(call: ast.Call, table: SinkTable) -> SinkArgs | None:
    """A call of a wrapper promptlint cannot see into that sends by the naming convention."""
    name = final_name(call.func)
    if not name or name[:1].isupper() or table.not_methods.search(name):
        return None  # constructing an object (`Result(messages=...)`), storing or logging is no request
    found = [(role, kw.value) for kw in call.keywords if kw.arg and (role := table.convention.get(kw.arg))]
    roles = {role for role, _ in found}
    if "system" not in roles:
        return None
    if "messages" not in roles and not table.methods.search(name):
        return None
    return SinkArgs("convention", f"`{name}()`", ordered_args(found))


def request_object_sink(ev: Evaluator, call: ast.Call, scope: Scope) -> SinkArgs | None:
    """`req = build_request(system=s, messages=m)` (or `Request(...)`) whose result the same function
    hands to a call named like a model call (`self.adapter.complete(req)`), or on which it calls a
    method named so (`endpoint = OpenAI(messages=m); endpoint.request()`): the object is the request,
    and what it is built from is sent. The object must have the shape of a chat request: both a
    system prompt and the messages, or messages that hold a system message. The model call must not
    be named like storing or logging."""
    table = ev.sinks
    func = scope.func
    if func is None:
        return None
    found = [(role, kw.value) for kw in call.keywords if kw.arg and (role := table.convention.get(kw.arg))]
    roles = {role for role, _ in found}
    if "messages" not in roles:
        return None
    held: set[str] = set()
    for node in subtree.nodes(func):
        if isinstance(node, ast.Assign) and node.value is call:
            held.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and node.value is call and isinstance(node.target, ast.Name):
            held.add(node.target.id)  # `endpoint: OpenAI = OpenAI(messages=...)`
    label = None
    for node in subtree.nodes(func):
        if not isinstance(node, ast.Call) or node is call:
            continue
        name = final_name(node.func)
        if not name or not table.methods.search(name) or table.not_methods.search(name):
            continue
        given = [*node.args, *(kw.value for kw in node.keywords)]
        if any(a is call or (isinstance(a, ast.Name) and a.id in held) for a in given):
            label = f"`{name}()`, given the request `{final_name(call.func)}()` builds"
            break
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if owner is call or (isinstance(owner, ast.Name) and owner.id in held):
            label = f"`{name}()` of the request `{final_name(call.func)}()` builds"
            break
    if label is None:
        return None
    if "system" not in roles:
        messages = next(value for role, value in found if role == "messages")
        if not _holds_system_message(ev.eval(messages, scope)):
            return None
    return SinkArgs("convention", label, ordered_args(found))


def messages_sink(ev: Evaluator, call: ast.Call, scope: Scope) -> SinkArgs | None:
    """`self.llm.generate_stream(messages)`: a method named like a model call (and not like storing
    or logging) given a list that holds a system message, as `messages=` or its first argument. The
    system message is the structural proof that the list is a chat request."""
    table = ev.sinks
    name = final_name(call.func)
    if not name or name[:1].isupper() or table.not_methods.search(name) or not table.methods.search(name):
        return None
    node = next(
        (kw.value for kw in call.keywords if kw.arg and table.convention.get(kw.arg) == "messages"), None
    )
    if node is None:
        factory = next((kw.value for kw in call.keywords if kw.arg in table.message_factories), None)
        if isinstance(factory, ast.Name | ast.Attribute):
            # `generate_with_messages(message_factory=build)`: the callee calls it back for the messages
            # One synthetic call per factory node, kept with the module: the evaluator memoises by
            # node identity, and a thrown-away node's id could be reused by the next one.
            key = ("factory-call", id(factory))
            made = scope.module.syntax_memo.get(key)
            if not isinstance(made, ast.Call):
                made = ast.copy_location(ast.Call(func=factory, args=[], keywords=[]), factory)
                ast.fix_missing_locations(made)
                scope.module.syntax_memo[key] = made
            node = made
    if node is None and call.args and not isinstance(call.args[0], ast.Starred):
        node = call.args[0]
    if isinstance(node, ast.Dict):
        # `graph.invoke({"messages": [SystemMessage(...), *history]})`: a state whose messages the
        # graph or runnable sends
        node = next(
            (
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and table.convention.get(str(k.value)) == "messages"
            ),
            None,
        )
    if node is None or not _holds_system_message(ev.eval(node, scope)):
        return None
    return SinkArgs("convention", f"`{name}()`", (("messages", node),))


def _holds_system_message(value: Value) -> bool:
    if not isinstance(value, Seq):
        return False
    for item in value.items:
        if isinstance(item, Msg) and item.role == "system":
            return True
        if isinstance(item, Map):
            role = item.get("role")
            if isinstance(role, Str) and static_text(role) in ("system", "developer"):
                return True
    return False


def ordered_args(found: list[tuple[str, ast.expr]]) -> tuple[tuple[str, ast.expr], ...]:
    rank = {"tools": 0, "system": 1, "messages": 2, "user": 3}
    return tuple(sorted(found, key=lambda item: rank[item[0]]))


@dataclass
class WrapperSummaries:
    """Sink summaries of project functions, kept for the whole run (keyed by the function node)."""

    sends: dict[int, tuple[ast.Call, ...]] = field(default_factory=dict)
    _active: set[int] = field(default_factory=set)


def callee_ref(ev: Evaluator, call: ast.Call, scope: Scope) -> Ref | None:
    """The project function a call runs, when promptlint can tell (`f()`, `mod.f()`, `self.m()`,
    `obj.m()` on an instance of a project class made in this function or in `__init__`)."""
    func = call.func
    if final_name(func)[:1].isupper():
        return None  # a class: constructing an object sends nothing (frameworks are in the table)
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") and scope.cls is not None:
            method = find_method(scope.cls, func.attr)
            return Ref(method, scope.module, scope.cls) if method is not None else None
        owner = instance_class(ev, func.value, scope)
        if owner is not None:
            method = find_method(owner.node, func.attr)  # type: ignore[arg-type]
            return Ref(method, owner.module, owner.node) if method is not None else None  # type: ignore[arg-type]
        qual = ev.qualname(func, scope)
        head = (qual or "").partition(".")[0]
        if not qual or not (head in scope.module.imports or head in scope.module.defs):
            return None
    elif not isinstance(func, ast.Name):
        return None
    value = ev.eval(func, scope)
    if isinstance(value, Ref) and isinstance(value.node, ast.FunctionDef | ast.AsyncFunctionDef):
        return value
    return None


def instance_class(ev: Evaluator, node: ast.expr, scope: Scope) -> Ref | None:
    """The project class of `x` or `self.x` when it is assigned `ProjectClass(...)` (in this
    function, in `__init__` for `self.x`, or once at module level for a global `x`), or when it is
    that call itself (`ProjectClass(user_id=uid).read()`)."""
    if isinstance(node, ast.Call):
        return _made_by_class(ev, node, scope)
    chain = dotted(node)
    if chain is None:
        return None
    made: ast.expr | None = None
    where = scope
    if scope.func is not None and chain in scope.module.function_bindings(scope.func):
        for binding in scope.module.function_bindings(scope.func)[chain]:
            made = binding.value
    elif chain.startswith("self.") and chain.count(".") == 1 and scope.cls is not None:
        init = find_method(scope.cls, "__init__")
        if init is not None:
            for binding in scope.module.function_bindings(init).get(chain, []):
                made = binding.value
    elif "." not in chain and len(scope.module.bindings.get(chain, [])) == 1:
        key = ("global-instance", chain)  # module-level: the same answer for every read of it
        if key not in scope.module.syntax_memo:
            found = scope.module.bindings[chain][0].value
            scope.module.syntax_memo[key] = _made_by_class(ev, found, Scope(scope.module, None, None))
        memo = scope.module.syntax_memo[key]
        return memo if isinstance(memo, Ref) else None
    return _made_by_class(ev, made, where)


def annotated_class(ev: Evaluator, name: str, scope: Scope) -> Ref | None:
    """The project class a parameter is declared as (`ai: ToolCallingLLM`, `Optional[...]` and
    `X | None` too), when the parameter is not bound again in the function; else None."""
    annotation = _declared(name, scope)
    if isinstance(annotation, ast.Subscript) and dotted(annotation.value) in ("Optional", "typing.Optional"):
        annotation = annotation.slice
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        if isinstance(annotation.right, ast.Constant) and annotation.right.value is None:
            annotation = annotation.left
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return None  # a string annotation names a class promptlint would have to parse it to find
    if not isinstance(annotation, ast.Name | ast.Attribute):
        return None
    value = ev.eval(annotation, Scope(scope.module, scope.func, scope.cls, depth=scope.depth))
    if isinstance(value, Ref) and isinstance(value.node, ast.ClassDef):
        return value
    return None


def _declared(name: str, scope: Scope) -> ast.expr | None:
    """The annotation of parameter `name` of the function, when the function does not bind it again."""
    if scope.func is None or (scope.args is not None and name in scope.args):
        return None
    own = scope.module.function_bindings(scope.func).get(name, [])
    if len(own) != 1 or own[0].kind != "param" or not isinstance(own[0].stmt, ast.arg):
        return None
    return own[0].stmt.annotation


def context_class(ev: Evaluator, name: str, attribute: str, scope: Scope) -> Ref | None:
    """The project class of `name.attribute` when parameter `name` is declared as a framework
    context over it (`ctx: RunContext[ChatDeps]`, `ctx.deps`; `[[context]]` in the sink table)."""
    annotation = _declared(name, scope)
    if not isinstance(annotation, ast.Subscript) or not isinstance(
        annotation.value, ast.Name | ast.Attribute
    ):
        return None
    wanted = ev.sinks.contexts.get(ev.qualname(annotation.value, scope) or "")
    if wanted != attribute or not isinstance(annotation.slice, ast.Name | ast.Attribute):
        return None
    value = ev.eval(annotation.slice, Scope(scope.module, scope.func, scope.cls, depth=scope.depth))
    if isinstance(value, Ref) and isinstance(value.node, ast.ClassDef):
        return value
    return None


def _made_by_class(ev: Evaluator, made: ast.expr | None, where: Scope) -> Ref | None:
    if not isinstance(made, ast.Call) or not isinstance(made.func, ast.Name | ast.Attribute):
        return None
    value = ev.eval(made.func, where)
    if isinstance(value, Ref) and isinstance(value.node, ast.ClassDef):
        return value
    return None


def wrapper_sinks(
    ev: Evaluator, ref: Ref, summaries: WrapperSummaries, depth: int = 0
) -> tuple[ast.Call, ...]:
    """The calls in `ref`'s body that send a prompt made from its parameters (its sink summary)."""
    fn = ref.node
    key = id(fn)
    known = summaries.sends.get(key)
    if known is not None:
        return known
    if key in summaries._active or depth >= MAX_WRAPPER_DEPTH:
        return ()
    summaries._active.add(key)
    try:
        found = tuple(_sending_calls(ev, ref, summaries, depth))
    finally:
        summaries._active.discard(key)
    summaries.sends[key] = found
    return found


def _sending_calls(ev: Evaluator, ref: Ref, summaries: WrapperSummaries, depth: int) -> Iterator[ast.Call]:
    from promptlint.frontends.python.sites import is_provider_call

    fn: FunctionNode = ref.node  # type: ignore[assignment]
    # What is syntactic about the function is kept with its module, which lives across linted files.
    memo = ref.module.syntax_memo
    key = ("param-calls", id(fn))
    candidates = memo.get(key)
    if candidates is None:
        dependent = parameter_dependents(fn)
        candidates = memo[key] = (
            tuple(call for call in _calls_in(fn) if _mentions_any(call, dependent)) if dependent else ()
        )
    assert isinstance(candidates, tuple)
    scope = Scope(ref.module, fn, ref.owner)
    for call in candidates:
        if is_provider_call(ev, call, scope) or framework_sink(ev, call, scope) is not None:
            yield call
            continue
        inner = callee_ref(ev, call, scope)
        if inner is None:
            if convention_sink(call, ev.sinks) is not None:
                yield call
        elif inner.node is not fn and wrapper_sinks(ev, inner, summaries, depth + 1):
            yield call


def _calls_in(fn: FunctionNode) -> Iterator[ast.Call]:
    """Calls in a function's body, not in functions or classes nested in it."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def parameter_dependents(fn: FunctionNode) -> set[str]:
    """Names (and `self.x` chains) in `fn` whose value may be made from its parameters."""
    args = fn.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    dependent = set(params)
    if args.vararg:
        dependent.add(args.vararg.arg)
    if args.kwarg:
        dependent.add(args.kwarg.arg)
    if not dependent:
        return dependent
    flows = subtree.memo(fn, "flows", lambda: list(_flows(fn)))
    for _ in range(4):
        before = len(dependent)
        for targets, sources in flows:
            if sources & dependent:
                dependent |= targets
        if len(dependent) == before:
            break
    return dependent


def _flows(fn: FunctionNode) -> Iterator[tuple[set[str], set[str]]]:
    """(names written, names read) for each assignment-like statement of `fn`."""
    for node in subtree.nodes(fn):
        if isinstance(node, ast.Assign):
            yield {n for t in node.targets for n in _names(t)}, _names(node.value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            yield _names(node.target), _names(node.value)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield _names(node.target), _names(node.iter)
        elif isinstance(node, ast.NamedExpr):
            yield _names(node.target), _names(node.value)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield _names(node.optional_vars), _names(node.context_expr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "insert", "update", "add", "setdefault")
        ):
            yield _names(node.func.value), {n for a in node.args for n in _names(a)}


def _names(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for sub in subtree.nodes(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            chain = dotted(sub)
            if chain:
                out.add(chain)
    return out


def _mentions_any(call: ast.Call, names: set[str]) -> bool:
    for arg in (*call.args, *(kw.value for kw in call.keywords)):
        if _names(arg) & names:
            return True
    return False


def bound_scope(ev: Evaluator, ref: Ref, call: ast.Call, scope: Scope) -> Scope:
    """The scope of `ref`'s body with its parameters bound to `call`'s arguments."""
    bound = bind_arguments(ev, ref, call, scope)
    return Scope(ref.module, ref.node, ref.owner, args=bound, depth=scope.depth + 1)  # type: ignore[arg-type]


def rehome(
    prompt: Prompt, home: frozenset[tuple[object, ...]], home_path: str, site: Span, step: Location
) -> Prompt | None:
    """The prompt a wrapper sends, as seen from the call that gave it its arguments.

    What the caller passed keeps its places; what the wrapper adds itself is moved to the call (its text
    still counts as the cacheable tail) and its own volatile values become unknown here: they are the
    wrapper file's findings. None when nothing the caller passed varies per session or request.
    """
    evidence = False
    parts: list[Part] = []
    for part in prompt.parts:
        segments: list[Segment] = []
        for seg in part.segments:
            if isinstance(seg, Slot):
                mine = segment_key(seg) in home or (seg.origin is not None and seg.origin.path == home_path)
                if mine:
                    evidence = evidence or seg.stability >= Stability.SESSION
                    segments.append(replace(seg, steps=(*seg.steps, step)))
                else:
                    stability = min(seg.stability, Stability.UNKNOWN)
                    segments.append(replace(seg, span=site, stability=stability, fix=None))
            elif segment_key(seg) in home:
                segments.append(seg)
            elif isinstance(seg, Text):
                segments.append(Text(seg.text, site, seg.exact))
            else:
                segments.append(replace(seg, span=site))
        parts.append(Part(part.role, tuple(segments), site))
    if not evidence:
        return None
    breakpoints = tuple(replace(b, span=site) for b in prompt.breakpoints)
    return Prompt(prompt.provider, site, tuple(parts), breakpoints, prompt.model)
