"""Calls and methods for the evaluator.

Owns what a call expression evaluates to: calls of project functions are followed by evaluating their
return expression with the parameters bound (depth-limited); known functions are modelled (`sorted`,
`set`, `dict`, `json.dumps` key order, `os.getenv`, LangChain message classes); methods dispatch to
template rendering, string methods (`strings.py`), clock methods (`strftime` sets granularity) and
directory listings (ORDER-volatile). Anything else is opaque, as volatile as its arguments.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from promptlint.diagnostics import Applicability, Edit, Fix, Location, Span
from promptlint.frontends.python.bindings import Scope, imported_class, runs_once_per_process
from promptlint.frontends.python.modules import dotted, final_name
from promptlint.frontends.python.request_input import input_value
from promptlint.frontends.python.strings import dedent, reserialised_history, str_method, template_fields
from promptlint.frontends.python.templates import render_call
from promptlint.frontends.python.values import (
    Map,
    MapEntry,
    Msg,
    Opaque,
    Ref,
    Seq,
    Str,
    Value,
    concat,
    home_keys,
    opaque_parts,
    ordered,
    respan,
    sorted_items,
    stability_of,
    unproven_volatile,
    with_step,
)
from promptlint.frontends.python.volatile import TIME_ATTRIBUTE_GRANULARITY, format_granularity
from promptlint.ir import Granularity, Stability, VolatileKind

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator
    from promptlint.frontends.python.modules import FunctionNode, ModuleInfo

MAX_CALL_DEPTH = 4  # nested project calls followed; deeper calls are treated as unknown
_PASS_THROUGH = frozenset(
    {
        "str",
        "repr",
        "textwrap.dedent",
        "inspect.cleandoc",
        "list",
        "tuple",
        "reversed",
        "float",
        "abs",
        "copy.copy",
        "copy.deepcopy",
    }
)
# LangChain utilities that return the messages they are given, in order (runs of one role merged).
_SAME_MESSAGES = frozenset(
    {"langchain_core.messages.merge_message_runs", "langchain_core.messages.utils.merge_message_runs"}
)
_TO_SECONDS = frozenset({"int", "round", "math.floor", "math.ceil"})
_ORDER_INSENSITIVE = frozenset({"len", "sum", "min", "max", "any", "all", "bool"})
_JSON_DUMPERS = frozenset({"json.dumps", "simplejson.dumps", "orjson.dumps", "yaml.dump", "yaml.safe_dump"})
_ORDER_METHODS = frozenset({"iterdir", "glob", "rglob"})
_LANGCHAIN_ROLES = {
    "SystemMessage": "system",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "ToolMessage": "tool",
    "FunctionMessage": "tool",
    "ChatMessage": "",
    "SystemMessagePromptTemplate": "system",
    "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant",
}
_KEEP_TIME_METHODS = frozenset({"isoformat", "ctime", "timestamp", "astimezone", "replace", "__str__"})


def eval_call(ev: Evaluator, node: ast.Call, scope: Scope) -> Value:
    func = node.func
    last = final_name(func)
    if last and ev.volatile.measures(last):
        return ev.opaque(Stability.UNKNOWN, node, scope, cause=f"a size computed by `{last}()`")
    qual = ev.qualname(func, scope)
    if qual:
        hit = ev.volatile_value(qual, node, scope)
        if hit is not None:
            return hit
        read = input_value(qual, f"{qual}()")
        if read is not None:
            return ev.opaque(read[0], node, scope, cause=read[1])
        handled = _known_function(ev, qual, node, scope)
        if handled is not None:
            return handled
    built = _fluent_message(ev, node, scope)
    if built is not None:
        return built
    if _model_reply(ev, node, scope, last):
        # a model's reply is text of its own: what the request held (a clock, an id) is not in it
        return ev.opaque(Stability.UNKNOWN, node, scope, cause=f"the reply of `{last}()`")
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "self" and scope.cls is not None:
            method = find_method(scope.cls, func.attr)
            if method is not None:
                return follow(ev, Ref(method, scope.module, scope.cls), node, scope)
        callee = ev.eval(func, scope) if qual and _looks_like_module_path(ev, qual, scope) else None
        if isinstance(callee, Ref):
            return follow(ev, callee, node, scope)
        method_ref = _instance_method(ev, func, scope)
        if method_ref is not None:
            return follow(ev, method_ref, node, scope)  # `builder = PromptBuilder(); builder.build(...)`
        base = ev.eval(func.value, scope)
        return _file_contents(ev, func, scope, _method(ev, base, func.attr, node, scope))
    if isinstance(func, ast.Name) and imported_class(ev, func.id, scope):
        return _constructed(ev, node, scope)  # what following the class would give, without parsing
    callee = ev.eval(func, scope) if isinstance(func, ast.Name) else None
    if isinstance(callee, Ref):
        if isinstance(callee.node, ast.ClassDef):
            return _constructed(ev, node, scope)
        return follow(ev, callee, node, scope)
    if isinstance(func, ast.Name) and func.id[:1].isupper() and not func.id.isupper():
        return _constructed(ev, node, scope)  # `Event(name=..., timestamp=...)`: a class by its name
    return _unknown_call(ev, node, scope)


_PROMPT_ARGUMENT = re.compile(r"(?i)(prompt|messages|query|question|history|conversation|instruction)")


def _model_reply(ev: Evaluator, node: ast.Call, scope: Scope, last: str | None) -> bool:
    """Whether `node` asks a model and returns its reply: a provider SDK request, or a call named
    like a model call (`llm.invoke`, `agent.chat`; `data/sinks.toml` [convention]) given a prompt
    (a prompt keyword, or a message list, f-string or prompt-named value first)."""
    from promptlint.frontends.python.sites import is_provider_call

    if is_provider_call(ev, node, scope):
        return True
    if (
        not last
        or last[:1].isupper()
        or not ev.sinks.methods.search(last)
        or ev.sinks.not_methods.search(last)
    ):
        return False  # (a class is built, not asked: `Reply(text)`)
    if any(kw.arg in ev.sinks.convention for kw in node.keywords):
        return True
    first = node.args[0] if node.args else None
    if isinstance(first, ast.List | ast.JoinedStr):
        return True
    name = dotted(first) if first is not None else None
    return name is not None and _PROMPT_ARGUMENT.search(name.rsplit(".", 1)[-1]) is not None


def _file_contents(ev: Evaluator, func: ast.Attribute, scope: Scope, value: Value) -> Value:
    """What `open(p).read()`, `f.read()` of `with open(p) as f`, or `Path(p).read_text()` gives:
    the text of a file, which is whatever that file holds. A path made from a parameter does not
    make the text that parameter (it is no evidence that the contents are the user's message)."""
    if (
        func.attr not in ("read", "read_text")
        or not isinstance(value, Opaque)
        or value.stability is not Stability.UNKNOWN
        or not value.cause.startswith("parameter ")
    ):
        return value
    from promptlint.frontends.python.template_refs import read_argument

    if read_argument(ev, func, scope) is None:
        return value
    return replace(value, cause=f"the contents of a file whose path comes from {value.cause}")


def _instance_method(ev: Evaluator, func: ast.Attribute, scope: Scope) -> Ref | None:
    """The method `x.m` runs when `x` (or `self.x`) is made from a project class in this function or
    in `__init__`."""
    from promptlint.frontends.python.wrappers import instance_class

    if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        return None
    owner = instance_class(ev, func.value, scope)
    if owner is None or not isinstance(owner.node, ast.ClassDef):
        return None
    method = find_method(owner.node, func.attr)
    return Ref(method, owner.module, owner.node) if method is not None else None


def _constructed(ev: Evaluator, node: ast.Call, scope: Scope) -> Value:
    """An object built with keyword arguments only (`State(session_id=new_id(), goal=goal)`): its fields
    by name, so reading `state.goal` does not carry the id; its text as a whole still does."""
    if node.args or not node.keywords or any(k.arg is None for k in node.keywords):
        return _unknown_call(ev, node, scope, carried=True)
    return _keyword_record(ev, node, scope)


def _keyword_record(ev: Evaluator, node: ast.Call, scope: Scope) -> Map:
    """`dict(a=x, b=y)` or `Record(a=x, b=y)`: the named keyword arguments as fields."""
    entries = tuple(
        MapEntry(k.arg, ev.eval(k.value, scope), scope.module.span(k)) for k in node.keywords if k.arg
    )
    return Map(entries, scope.module.span(node))


def _looks_like_module_path(ev: Evaluator, qual: str, scope: Scope) -> bool:
    head = qual.partition(".")[0]
    return (
        head in scope.module.imports
        or head in scope.module.defs
        or ev.loader.find(head, scope.module.path) is not None
    )


def _unknown_call(
    ev: Evaluator, node: ast.Call, scope: Scope, extra: list[Value] | None = None, carried: bool = False
) -> Value:
    """A call promptlint cannot follow: as variable as its arguments, except for a clock given by
    keyword (a reference time) and the order of a set given to it (`load(path, kinds={"applied"})` may only test membership; what it does with the
    order is unknown, and unknown is no finding). Iterating the set where it is visible still is.
    A per-call value (clock, id, random) among the arguments passes on only when the callee's name
    says it makes text or a value of them (`data/volatile.toml` [carriers]), or `carried` (an
    object built from its arguments); `extra` (the object a method is called on) always does."""
    values: list[Value] = []
    name = final_name(node.func)
    renders = name in _RENDERS_ARGUMENTS
    keeps = carried or renders or ev.volatile.carries(name)
    why = f"given to `{name}()`, which is not known to put it in its result"
    for arg in node.args:
        value = ordered(ev.eval(arg, scope))
        if not keeps:
            value = unproven_volatile(value, why)
        if not renders and isinstance(value, Map) and _clock_field(value):
            # `runner.execute(event)` with `event = Event(timestamp=time.time(), ...)`: a record's
            # time stamp is metadata of what is handed over; the result is not known to contain it
            value = Opaque(Stability.UNKNOWN, "record", value.span, "a record with a time stamp field")
        values.append(value)
    for kw in node.keywords:
        value = ordered(ev.eval(kw.value, scope))
        if not keeps:
            value = unproven_volatile(value, why)
        if (
            kw.arg is not None
            and not renders
            and isinstance(value, Opaque)
            and value.kind is VolatileKind.TIME
            and ev.volatile.reference_keyword(kw.arg)
        ):
            # `count_words(store, now=now)`: a clock given by name is the reference time of the
            # computation (a window, an age), not text the result is known to contain
            value = Opaque(
                Stability.UNKNOWN, value.label, value.span, f"computed with `{kw.arg}=` of the clock"
            )
        values.append(value)
    # The object last: of ingredients as variable as each other, what the call is given names the
    # result (`self._cortex.recall(question)` is made from the question, not from the cortex)
    values.extend(extra or [])
    return ev.combine(values, node, scope, Stability.DEPLOYMENT)


# Calls that write their arguments out as text: a record's clock field given to them is in the result.
_RENDERS_ARGUMENTS = frozenset(
    {
        "format",
        "format_map",
        "render",
        "substitute",
        "safe_substitute",
        "dump",
        "dumps",
        "safe_dump",
        "pformat",
    }
)


def _clock_field(record: Map) -> bool:
    """The record's most variable field is a clock reading."""
    parts = [op for entry in record.entries for op in opaque_parts(entry.value)]
    if not parts:
        return False
    top = max(parts, key=lambda op: int(op.stability))
    return top.stability is Stability.VOLATILE and top.kind is VolatileKind.TIME


def _known_function(ev: Evaluator, qual: str, node: ast.Call, scope: Scope) -> Value | None:
    last = qual.rsplit(".", 1)[-1]
    first = ev.eval(node.args[0], scope) if node.args else None
    if qual == "sorted" and first is not None:
        return sorted_items(first)
    if qual in _ORDER_INSENSITIVE:
        return ev.combine([ordered(ev.eval(a, scope)) for a in node.args], node, scope, Stability.STATIC)
    if qual in ("set", "frozenset"):
        items = first.items if isinstance(first, Seq) else ((first,) if first is not None else ())
        return Seq(items, scope.module.span(node), ev.order_culprit(node, scope, "set", with_fix=False))
    if qual in _JSON_DUMPERS and first is not None:
        return reserialised_history(node, scope) or _dumps(ev, qual, first, node, scope)
    if qual in _SAME_MESSAGES:
        given = (
            node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "messages"), None)
        )
        if given is not None:
            return ev.eval(given, scope)  # the same messages, runs of one role merged
    if qual in _PASS_THROUGH and first is not None:
        if qual in ("textwrap.dedent", "inspect.cleandoc") and isinstance(first, Str):
            return dedent(qual, first)
        return first
    if qual in _TO_SECONDS and isinstance(first, Opaque) and first.kind is VolatileKind.TIME:
        gran = max(first.granularity or Granularity.SUBSECOND, Granularity.SECOND)
        return replace(first, granularity=gran)
    if qual == "dict":
        return _keyword_record(ev, node, scope)
    owner = qual.rsplit(".", 2)[-2] if qual.count(".") >= 1 else ""
    if last in _LANGCHAIN_ROLES or (owner in _LANGCHAIN_ROLES and last == "from_template"):
        return _langchain_message(ev, qual, node, scope)
    if qual in ("os.getenv", "os.environ.get", "os.environ.__getitem__"):
        return ev.opaque(Stability.DEPLOYMENT, node, scope)
    return None


def _langchain_message(ev: Evaluator, qual: str, node: ast.Call, scope: Scope) -> Value:
    parts = qual.split(".")
    cls = parts[-2] if parts[-1] == "from_template" else parts[-1]
    role = _LANGCHAIN_ROLES[cls]
    content_node = node.args[0] if node.args else None
    for kw in node.keywords:
        if kw.arg in ("content", "template", "prompt"):
            content_node = kw.value
        if kw.arg == "role" and isinstance(kw.value, ast.Constant):
            role = str(kw.value.value)
    content: Value = ev.eval(content_node, scope) if content_node is not None else Str(())
    if "Template" in cls and isinstance(content, Str):
        content = template_fields(content)
    return Msg(_role_name(role or "user"), content, scope.module.span(node))


_BUILD_METHODS = frozenset({"build", "to_message", "to_dict", "message"})
_ROLE_SETTERS = frozenset({"set_role", "role", "with_role"})
_CONTENT_SETTER = re.compile(r"^(?:add|set|with)?_?(?:text|content)(?:_content)?$|^add_text_content$")
_ROLE_WORDS = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "tool": "tool",
}


def _fluent_message(ev: Evaluator, node: ast.Call, scope: Scope) -> Msg | None:
    """`MessageBuilder().set_role(RoleType.System).add_text_content(text).build()`: a message built
    fluently, with its role from the setter's constant or enum member and its content from the text
    setters; None for anything else (no role named: the message is not guessed)."""
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _BUILD_METHODS:
        return None
    role: str | None = None
    contents: list[ast.expr] = []
    cur: ast.expr = func.value
    while isinstance(cur, ast.Call) and isinstance(cur.func, ast.Attribute):
        method, args = cur.func.attr, cur.args
        if method in _ROLE_SETTERS and len(args) == 1:
            word = args[0].value if isinstance(args[0], ast.Constant) else final_name(args[0])
            role = _ROLE_WORDS.get(str(word).lower()) if word is not None else None
        elif _CONTENT_SETTER.match(method) and len(args) == 1:
            contents.append(args[0])
        cur = cur.func.value
    root = final_name(cur.func) if isinstance(cur, ast.Call) else ""
    if role is None or not contents or "Message" not in (root or ""):
        return None
    parts = [ev.to_str(ev.eval(c, scope), c, scope) for c in reversed(contents)]
    return Msg(role, concat(*parts), scope.module.span(node))


def _role_name(role: str) -> str:
    return {"human": "user", "ai": "assistant", "placeholder": "history"}.get(role, role)


def follow(ev: Evaluator, ref: Ref, node: ast.Call, scope: Scope) -> Value:
    """Evaluate a call of a project function by evaluating its return expression."""
    fn = ref.node
    if isinstance(fn, ast.ClassDef) or scope.depth >= MAX_CALL_DEPTH:
        return _unknown_call(ev, node, scope, carried=True)
    ret = ref.module.return_expr(fn)
    if ret is None:
        return _unknown_call(ev, node, scope, carried=True)
    bound = bind_arguments(ev, ref, node, scope)
    ev.consumed.add(id(fn))
    ret, value = eval_returns(
        ev, ref.module, fn, ret, Scope(ref.module, fn, ref.owner, args=bound, depth=scope.depth + 1)
    )
    value = with_step(value, Location(ref.module.path, ref.module.span(ret), f"returned by `{fn.name}()`"))
    if runs_once_per_process(scope):
        # `PROMPT = f"Time: {get_time()}"` at module level: the call runs once, at import
        value = unproven_volatile(value, f"read once at import by `{fn.name}()`", Stability.DEPLOYMENT)
    if ref.module is not scope.module:
        value = respan(value, scope.module.span(node), home_keys(bound))
    return value


MAX_RETURNS = 6  # returns of one function evaluated to find the path that varies most


def eval_returns(
    ev: Evaluator, module: ModuleInfo, fn: FunctionNode, primary: ast.expr, scope: Scope
) -> tuple[ast.expr, Value]:
    """The value a call returns, joined over its paths: the return whose value varies most (a value
    is volatile if any path makes it so), else the last one. A guard's `return ""` or an `except`'s
    fallback no longer hides the real value."""
    best_node, best = primary, ev.eval(primary, scope)
    rank = stability_of(best)
    values = [best]
    for ret in module.return_exprs(fn)[:MAX_RETURNS]:
        if ret is primary:
            continue
        value = ev.eval(ret, scope)
        values.append(value)
        if stability_of(value) > rank:
            best_node, best, rank = ret, value, stability_of(value)
    if len(values) > 1 and isinstance(best, Seq) and all(_same_shape(v, best) for v in values):
        # `return [], f"... {cid}"` / `return scanner(), None`: tuples are joined item by item, so
        # the caller's `items, note = f()` gets each item's own most variable path.
        items = tuple(
            max((v.items[i] for v in values if isinstance(v, Seq)), key=stability_of)
            for i in range(len(best.items))
        )
        best = Seq(items, best.span, best.unordered)
    return best_node, best


def _same_shape(value: Value, like: Seq) -> bool:
    return isinstance(value, Seq) and len(value.items) == len(like.items)


def positional_parameters(fn: FunctionNode, method: bool) -> list[str]:
    """The parameters a call's positional arguments fill: a method's `self`/`cls` is not one of them
    (a `staticmethod` has none)."""
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    if method and params and not is_static:
        params = params[1:]
    return params


def bind_arguments(ev: Evaluator, ref: Ref, node: ast.Call, scope: Scope) -> dict[str, Value]:
    """The values of `ref`'s parameters in this call: its arguments, else the parameters' defaults."""
    fn = ref.node
    assert not isinstance(fn, ast.ClassDef)
    params = positional_parameters(fn, ref.is_method)
    bound: dict[str, Value] = {}
    for param, arg in zip(params, node.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        bound[param] = ev.eval(arg, scope)
    vararg = fn.args.vararg
    rest = node.args[len(params) :]
    if (
        vararg is not None
        and len(node.args) >= len(params)
        and not any(isinstance(a, ast.Starred) for a in node.args)
    ):
        # `def render(*sections)` called with `render(("ROLE", text), ("RULES", rules))`: the tuple of them
        bound[vararg.arg] = Seq(tuple(ev.eval(a, scope) for a in rest), scope.module.span(node))
    for kw in node.keywords:
        if kw.arg:
            bound[kw.arg] = ev.eval(kw.value, scope)
    kwarg = fn.args.kwarg
    if kwarg is not None and kwarg.arg not in bound:
        # `def completion_with_backoff(**kwargs): return litellm.completion(**kwargs)`: the keywords
        # no parameter names are forwarded as a dict
        named = set(params) | {a.arg for a in fn.args.kwonlyargs}
        extra = [kw for kw in node.keywords if kw.arg and kw.arg not in named]
        if extra:
            entries = tuple(MapEntry(kw.arg, bound[kw.arg], scope.module.span(kw)) for kw in extra if kw.arg)
            bound[kwarg.arg] = Map(entries, scope.module.span(node))
    defaults = fn.args.defaults
    for param, default in zip(params[len(params) - len(defaults) :], defaults, strict=False):
        if param not in bound:
            bound[param] = ev.eval(default, Scope(ref.module, depth=scope.depth + 1))
    for param_arg, kw_default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=False):
        if kw_default is not None and param_arg.arg not in bound:
            bound[param_arg.arg] = ev.eval(kw_default, Scope(ref.module, depth=scope.depth + 1))
    return bound


def find_method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The method `name` defined in the body of `cls`, if any."""
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return stmt
    return None


def _dumps(ev: Evaluator, qual: str, data: Value, node: ast.Call, scope: Scope) -> Value:
    """`json.dumps(x)` and friends: ORDER-volatile when `x` has keys from an unordered source.

    Python dicts keep insertion order, so a dict built the same way serialises the same way: an
    unknown key order is not evidence. Only keys that come from iterating a set or a directory
    listing (`{k: ... for k in names_set}`) are, and then `sort_keys=True` is the fix. A list made
    from such a source keeps its iteration order whatever `sort_keys` says: that is PC302's finding at
    the iteration, so the order ingredient is passed through unchanged.
    """
    plain = ev.combine([ordered(data)], node, scope, Stability.STATIC)
    literal = bool(node.args) and isinstance(node.args[0], ast.Dict | ast.List | ast.Tuple | ast.Constant)
    if literal or _sorts_keys(qual, node) or stability_of(ordered(data)) >= Stability.REQUEST:
        return plain
    if not any(op.kind is VolatileKind.ORDER for op in opaque_parts(data)):
        return plain
    if _holds_no_mapping(data, node.args[0] if node.args else None):
        return ev.combine([data], node, scope, Stability.STATIC)
    label = qual.rsplit(".", 2)[-2] + "." + qual.rsplit(".", 1)[-1] + "()"
    culprit = ev.order_culprit(node, scope, label, with_fix=False)
    return replace(culprit, fix=_sort_keys_fix(qual, node, scope))


def _holds_no_mapping(data: Value, arg: ast.expr | None) -> bool:
    """Whether the dumped value is a sequence without dicts in it (keys to sort)."""
    if isinstance(arg, ast.ListComp | ast.GeneratorExp | ast.SetComp):
        return not isinstance(arg.elt, ast.Dict | ast.DictComp)
    return isinstance(data, Seq) and not any(isinstance(item, Map) for item in data.items)


def _sort_keys_fix(qual: str, node: ast.Call, scope: Scope) -> Fix | None:
    """`sort_keys=True`: set an existing `sort_keys=False`, or add the keyword when it is absent."""
    existing = next((k for k in node.keywords if k.arg == "sort_keys"), None)
    if existing is not None:
        if not (isinstance(existing.value, ast.Constant) and existing.value.value is False):
            return None  # a variable decides: leave it to the author
        span = scope.module.span(existing.value)
        return Fix("Set `sort_keys=True`", Applicability.UNSAFE, (Edit(span, "True"),))
    if qual not in ("json.dumps", "simplejson.dumps") or any(k.arg is None for k in node.keywords):
        return None  # orjson/yaml spell it differently; `**kwargs` may already hold it
    if not (node.args or node.keywords):
        return None
    last = max(scope.module.span(n).end for n in [*node.args, *[k.value for k in node.keywords]])
    return Fix("Add `sort_keys=True`", Applicability.UNSAFE, (Edit(Span(last, last), ", sort_keys=True"),))


def _sorts_keys(qual: str, node: ast.Call) -> bool:
    for kw in node.keywords:
        if kw.arg == "sort_keys" and isinstance(kw.value, ast.Constant):
            return bool(kw.value.value)
        if kw.arg == "option" and "SORT_KEYS" in ast.dump(kw.value):
            return True
    return qual.startswith("yaml.")  # PyYAML sorts keys unless told sort_keys=False


def _method(ev: Evaluator, base: Value, method: str, node: ast.Call, scope: Scope) -> Value:
    rendered = render_call(ev, method, node, scope)  # a template file or string rendered here
    if rendered is not None:
        return rendered
    if method in _ORDER_METHODS and not isinstance(base, Str):
        return ev.order_culprit(node, scope, scope.module.text_of(node.func) + "()")
    if isinstance(base, Str):
        done = str_method(ev, base, method, node, scope)
        if done is not None:
            return done
    if method == "copy" and not node.args and not node.keywords and isinstance(base, Seq | Opaque):
        return respan(base, scope.module.span(node))  # `self.history.copy()`: the same messages
    if isinstance(base, Opaque) and base.kind is VolatileKind.TIME:
        shown = ev.constant_text(node.args[0], scope) if method == "strftime" and node.args else None
        if shown is not None:
            gran = format_granularity(shown)
            return replace(
                base, granularity=gran or base.granularity, label=ev.opaque(base.stability, node, scope).label
            )
        if method in TIME_ATTRIBUTE_GRANULARITY:
            return replace(
                base,
                granularity=max(
                    base.granularity or Granularity.SUBSECOND, TIME_ATTRIBUTE_GRANULARITY[method]
                ),
            )
        if method in _KEEP_TIME_METHODS:
            return base
    return _unknown_call(ev, node, scope, [base])
