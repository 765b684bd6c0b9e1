"""Prompt sites in one module: classify the walk's candidates and build `Prompt`s from them.

Sites, in priority order: provider API calls (OpenAI/DeepSeek chat and responses, Anthropic messages,
litellm, Gemini, LangChain `ChatPromptTemplate.from_messages`); then, for what no site consumed, lists
of role/content dicts or LangChain messages, and finally, for a library that sets
`public-prompt-builders`, its public functions whose names say prompt/system/instructions (a name is
no evidence of a request otherwise: a builder is a prompt where a site or a wrapper sends what it
returns). The candidates come from `walk.py`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from promptlint.diagnostics import Fix, Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.calls import eval_returns
from promptlint.frontends.python.evaluate import Evaluator, Scope
from promptlint.frontends.python.framework_hooks import HookFunction, hook_functions, request_edits
from promptlint.frontends.python.modules import FunctionNode, ModuleInfo, final_name
from promptlint.frontends.python.move_fix import move_fixes
from promptlint.frontends.python.per_iteration import counted_by_callers, per_iteration
from promptlint.frontends.python.request_input import recorded_user_turns, with_user_message_evidence
from promptlint.frontends.python.shapes import PartsBuilder, structure_segments
from promptlint.frontends.python.values import (
    Map,
    Msg,
    Opaque,
    Ref,
    Seq,
    Str,
    Value,
    home_keys,
    respan,
    segment_key,
    static_text,
    with_step,
)
from promptlint.frontends.python.walk import Candidates
from promptlint.frontends.python.wrappers import (
    MAX_WRAPPER_DEPTH,
    SinkArgs,
    WrapperSummaries,
    bound_scope,
    callee_ref,
    convention_sink,
    framework_sink,
    messages_sink,
    rehome,
    request_object_sink,
    wrapper_sinks,
)
from promptlint.ir import CacheBreakpoint, Part, Prompt, Provider, Role, Segment, Slot, Stability, Text

_SYSTEM_NAME = re.compile(r"(?i)(system|instruction)")
_CHAT_METHODS = frozenset({"create", "acreate", "parse", "stream"})
_LITELLM = frozenset({"litellm.completion", "litellm.acompletion"})
_MISTRAL_METHODS = frozenset({"complete", "complete_async", "stream", "stream_async"})
SITE_METHODS = frozenset(
    {
        "create",
        "acreate",
        "parse",
        "stream",
        "count_tokens",
        "completion",
        "acompletion",
        "from_messages",
        "generate_content",
        "generate_content_async",
        "complete",
        "complete_async",
        "stream_async",
    }
)


# Keyword arguments through which a project wrapper receives the conversation it sends.
_HISTORY_SINK_KEYWORDS = frozenset({"messages", "chat_history", "input_messages"})


def _sink_step(sink: SinkArgs, role: str) -> str:
    part = {"system": "system prompt", "tools": "tools", "messages": "messages", "user": "user message"}[role]
    if sink.kind == "framework":
        return f"passed as the {part} of {sink.label}"
    return f"passed as the {part} to {sink.label}, a model call by its name and arguments"


class SiteBuilder:
    """Builds prompts for one module; `sent` is what the sinks read (see `Evaluator.sent`)."""

    def __init__(self, module: ModuleInfo, ev: Evaluator) -> None:
        self.module = module
        self.ev = ev
        self.sent: set[tuple[str, int]] = set()
        # Where the lists a sink reads as its conversation were written: every slot of a built prompt,
        # and what project wrappers are given as `messages=` (PC401 needs the cut list to be one).
        self.sent_lists: set[Span] = set()
        self.history_lists: set[Span] = set()
        # Where each sent list is sent: its slot's span -> the request (or wrapper call) span.
        self.sent_at: dict[Span, Span] = {}
        # Anthropic requests that cache nothing (no `cache_control` anywhere): not prompt sites, and
        # not to be taken for a wrapper call either.
        self.unmarked: set[int] = set()

    def build(self, found: Candidates) -> list[Prompt]:
        prompts: list[Prompt] = []
        self.ev.sent = set()
        sites: set[int] = set()
        for call, func, cls in found.calls:
            prompt = self._site(call, Scope(self.module, func, cls))
            if prompt is not None:
                prompts.append(prompt)
                sites.add(id(call))
        summaries = WrapperSummaries()
        for call, func, cls in found.calls:
            if id(call) not in sites and id(call) not in self.unmarked:
                indirect = self._indirect(call, Scope(self.module, func, cls), summaries, 0)
                if indirect:
                    prompts.extend(indirect)
                    sites.add(id(call))
        for call, func, cls in found.calls:
            if id(call) in sites or id(call) in self.unmarked or func is None:
                continue
            scope = Scope(self.module, func, cls)
            sink = request_object_sink(self.ev, call, scope)
            if sink is not None:
                prompt = self._direct(call, scope, sink)
                if prompt is not None:
                    prompts.append(prompt)
                    sites.add(id(call))
        for hooked in hook_functions(self.module, self.ev.sinks):
            prompt = self._hooked(hooked)
            if prompt is not None:
                prompts.append(prompt)
        for edit in request_edits(self.module, self.ev.sinks):
            if id(edit.site) not in sites:
                prompt = self._direct(edit.site, Scope(self.module, edit.method, edit.cls), edit.sink)
                if prompt is not None:
                    prompts.append(prompt)
                    sites.add(id(edit.site))
        if found.history:
            # Project wrappers (`self.llm.chat(messages=self.history)`) send histories too: what they
            # are given is evidence for the history rules, not a prompt of its own.
            for call, func, cls in found.calls:
                if id(call) in sites or not any(kw.arg in _HISTORY_SINK_KEYWORDS for kw in call.keywords):
                    continue
                scope = Scope(self.module, func, cls)
                if _constructs_object(call) or self._sends_nothing(call, scope, summaries):
                    continue
                for kw in call.keywords:
                    if kw.arg in _HISTORY_SINK_KEYWORDS:
                        value = self.ev.eval(kw.value, scope)
                        items = value.items if isinstance(value, Seq) else (value,)
                        for v in items:
                            if isinstance(v, Opaque):
                                self.sent_lists.add(v.span)
                                self.history_lists.add(v.span)  # given to a wrapper as the conversation
                                self.sent_at.setdefault(v.span, self.module.span(call))
        self.sent = self.ev.sent
        self.ev.sent = None
        for prompt in prompts:
            for part in prompt.parts:
                for seg in part.segments:
                    if isinstance(seg, Slot):
                        self.sent_lists.add(seg.span)
                        self.sent_at.setdefault(seg.span, prompt.site)
        # The conversations among them: slots of history parts (a window carried through a
        # conditional or a filter must arrive as one, not as text).
        self.history_lists.update(
            seg.span
            for prompt in prompts
            for part in prompt.parts
            if part.role is Role.HISTORY
            for seg in part.segments
            if isinstance(seg, Slot)
        )
        prompts.extend(self._fallbacks(found))
        return counted_by_callers(self.module, per_iteration(self.module, prompts))

    # -- sinks that are not SDK calls -----------------------------------------------------------
    def _indirect(
        self, call: ast.Call, scope: Scope, summaries: WrapperSummaries, depth: int
    ) -> list[Prompt]:
        """Prompts sent by a framework sink, a convention wrapper or a project wrapper (`wrappers.py`)."""
        sink = framework_sink(self.ev, call, scope)
        ref = callee_ref(self.ev, call, scope) if sink is None else None
        if sink is None and ref is None:
            sink = convention_sink(call, self.ev.sinks) or messages_sink(self.ev, call, scope)
        if sink is not None:
            prompt = self._direct(call, scope, sink)
            return [prompt] if prompt is not None else []
        if ref is None or depth >= MAX_WRAPPER_DEPTH or isinstance(ref.node, ast.ClassDef):
            return []
        inner_calls = wrapper_sinks(self.ev, ref, summaries)
        if not inner_calls:
            return []
        bound = bound_scope(self.ev, ref, call, scope)
        home = home_keys(bound.args or {})
        inner_sites = SiteBuilder(ref.module, self.ev)
        span = self.module.span(call)
        out: list[Prompt] = []
        for inner in inner_calls:
            built = inner_sites._site(inner, bound, moves=False)
            if built is None and id(inner) in inner_sites.unmarked:
                continue
            found = (
                [built] if built is not None else inner_sites._indirect(inner, bound, summaries, depth + 1)
            )
            for prompt in found:
                self._passed_conversations(prompt, home, span)
                step = Location(ref.module.path, prompt.site, f"sent by `{ref.node.name}()`")
                rehomed = rehome(prompt, home, self.module.path, span, step)
                if rehomed is not None:
                    out.append(rehomed)
        return out

    def _passed_conversations(self, prompt: Prompt, home: frozenset[tuple[object, ...]], site: Span) -> None:
        """The conversations this module passes a wrapper that sends them as its history
        (`text_generation(history[user_id])`): evidence for the history rules here, even when the
        wrapper's prompt holds nothing else from this module and is no prompt of its own."""
        for part in prompt.parts:
            if part.role is Role.HISTORY:
                for seg in part.segments:
                    if isinstance(seg, Slot) and segment_key(seg) in home:
                        self.sent_lists.add(seg.span)
                        self.history_lists.add(seg.span)
                        self.sent_at.setdefault(seg.span, site)

    def _sends_nothing(self, call: ast.Call, scope: Scope, summaries: WrapperSummaries) -> bool:
        """A call that stores or logs what it is given (`repo.save_conversation(messages=...)`), a
        project function whose body sends nothing, or a function promptlint cannot see into whose
        name says nothing of a model call (`_merge_results(messages=...)`): unknown is no evidence."""
        name = final_name(call.func)
        if self.ev.sinks.not_methods.search(name):
            return True
        ref = callee_ref(self.ev, call, scope)
        if ref is None:
            return not self.ev.sinks.methods.search(name)
        return not wrapper_sinks(self.ev, ref, summaries)

    def _direct(self, call: ast.AST, scope: Scope, sink: SinkArgs) -> Prompt | None:
        values: list[tuple[str, Value]] = []
        for role, node in sink.args:
            where = self.module.span(node)
            value = self._called_back(self.ev.eval(node, scope), scope, where)
            values.append((role, with_step(value, Location(self.module.path, where, _sink_step(sink, role)))))
        fresh = sink.conversation and isinstance(call, ast.Call) and _run_starts_here(call, scope)
        return self._assemble(
            self.module.span(call), sink, values, recorded_user_turns(call, scope.func), fresh_run=fresh
        )

    def _hooked(self, hooked: HookFunction) -> Prompt | None:
        """A function the framework calls for each request (`@agent.system_prompt`): what it returns
        is the hook's part, followed by the conversation when the framework sends one."""
        fn, hook = hooked.function, hooked.hook
        where = self.module.span(hooked.decorator)
        scope = Scope(self.module, None, None)
        value = self._returned(
            self.module, fn, hooked.cls, scope, where, f"which {hook.name} calls for each request"
        )
        value = with_step(
            value,
            Location(self.module.path, where, f"registered with `@{self.module.text_of(hooked.decorator)}`"),
        )
        sink = SinkArgs("framework", hook.name, (), hook.conversation)
        return self._assemble(where, sink, [(hook.role, value)])

    def _assemble(
        self,
        span: Span,
        sink: SinkArgs,
        values: list[tuple[str, Value]],
        recorded: frozenset[tuple[str, str]] = frozenset(),
        fresh_run: bool = False,
    ) -> Prompt | None:
        builder = PartsBuilder()
        for role, value in values:
            if role == "tools":
                self._structure(builder, Role.TOOLS, value)
            elif role == "system":
                for item in value.items if isinstance(value, Seq) else (value,):
                    builder.add_messages(_as_message("system", item), span)
            elif role == "messages":
                builder.add_messages(value, span)
            else:
                builder.add_messages(_as_message("user", value), span)
        if (
            builder.parts
            and sink.conversation
            and not fresh_run
            and all(role != "messages" for role, _ in values)
        ):
            # An agent framework sends its running conversation after the system prompt and tools
            # on every step: what comes before it is paid again whenever it changes. (A middleware
            # that sets the messages gives the conversation itself.)
            label = f"the conversation {sink.label} sends"
            builder.add_messages(
                Opaque(Stability.UNKNOWN, label, span, label, iterable_of_messages=True), span
            )
        if not builder.parts:
            return None
        parts = with_user_message_evidence(tuple(builder.parts), recorded)
        return Prompt(Provider.UNKNOWN, span, parts, tuple(builder.breakpoints))

    def _called_back(self, value: Value, scope: Scope, where: Span) -> Value:
        """A function given as a prompt (`Agent(instructions=make_instructions)`) is called by the
        framework for each run: its return value is what is sent."""
        if not isinstance(value, Ref) or isinstance(value.node, ast.ClassDef):
            return value
        return self._returned(
            value.module, value.node, value.owner, scope, where, "which the framework calls for each run"
        )

    def _returned(
        self,
        module: ModuleInfo,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: ast.ClassDef | None,
        scope: Scope,
        where: Span,
        why: str,
    ) -> Value:
        ret = module.return_expr(fn)
        if ret is None:
            return Opaque(Stability.UNKNOWN, fn.name, module.span(fn))
        self.ev.consumed.add(id(fn))
        inner_scope = Scope(module, fn, owner, depth=scope.depth + 1)
        ret, inner = eval_returns(self.ev, module, fn, ret, inner_scope)
        step = Location(module.path, module.span(ret), f"returned by `{fn.name}()`, {why}")
        inner = with_step(inner, step)
        return inner if module is self.module else respan(inner, where)

    # -- provider calls --------------------------------------------------------------------------
    def _site(self, call: ast.Call, scope: Scope, moves: bool = True) -> Prompt | None:
        func = call.func
        method = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else None
        if method == "post":
            return self._http_site(call, scope)
        if method not in SITE_METHODS:
            return None  # cheap exit: only these final names can be a prompt site
        chain = _attr_chain(func)
        if not chain:
            return None
        qual = self.ev.qualname(call.func, scope) or ""
        kind = _classify(chain, qual, call)
        if kind is None or uncached_client(self.ev, call, scope):
            return None
        # Anthropic caching is opt-in: a module that never asks for it may make no prompt site, and
        # what evaluating the request marked as sent is then taken back.
        unasked = kind == "anthropic" and _caches_nothing(self.module)
        sent_before = set(self.ev.sent) if unasked and self.ev.sent is not None else None
        kwargs = self._kwargs(call, scope)
        builder = PartsBuilder()
        span = self.module.span(call)
        model = _static(kwargs.get("model"))
        if kind == "langchain":
            if call.args:
                builder.add_messages(self.ev.eval(call.args[0], scope), span, templates=True)
            parts = with_user_message_evidence(tuple(builder.parts))
            return Prompt(Provider.LANGCHAIN, span, parts, tuple(builder.breakpoints), model)
        self._structure(builder, Role.TOOLS, kwargs.get("tools") or kwargs.get("functions"))
        if kind == "anthropic":
            system = kwargs.get("system")
            if system is not None:
                builder.add_messages(_as_message("system", system), span)
            self._messages(builder, kwargs.get("messages"), span)
            cache = self._top_level_cache_control(call)
            if cache is not None and builder.parts:
                last = len(builder.parts) - 1
                builder.breakpoints.append(
                    CacheBreakpoint(
                        last, max(len(builder.parts[last].segments) - 1, 0), cache, automatic=True
                    )
                )
            provider = Provider.ANTHROPIC
            if unasked and not builder.breakpoints:
                # Anthropic caching is opt-in: with no `cache_control` marker the request is read in
                # full every time, so nothing in it breaks a cache (its history is no evidence either)
                self.unmarked.add(id(call))
                if sent_before is not None and self.ev.sent is not None:
                    self.ev.sent.intersection_update(sent_before)
                return None
        elif kind == "gemini":
            self._gemini(builder, call, kwargs, scope, span)
            provider = Provider.GEMINI
        else:
            self._structure(builder, Role.SCHEMA, kwargs.get("response_format") or kwargs.get("text"))
            if kind == "responses" and kwargs.get("instructions") is not None:
                builder.add_messages(_as_message("system", kwargs["instructions"]), span)
            self._messages(builder, kwargs.get("messages") or kwargs.get("input"), span)
            provider = Provider.LITELLM if kind == "litellm" else self._openai_flavour(call, model, scope)
        parts = with_user_message_evidence(tuple(builder.parts), recorded_user_turns(call, scope.func))
        if moves:
            parts = _with_move_fixes(parts, move_fixes(call, self.ev, scope))
        return Prompt(provider, span, parts, tuple(builder.breakpoints), model)

    def _http_site(self, call: ast.Call, scope: Scope) -> Prompt | None:
        """`httpx.post(f"{base}/v1/chat/completions", json=payload)`: a raw request to a model API
        (paths in `data/sinks.toml` [http]); the payload is read like an SDK call's arguments."""
        payload = next((k.value for k in call.keywords if k.arg == "json"), None)
        api = http_api_of(self.ev, call, scope)
        if api is None or payload is None:
            return None
        seen = set(self.ev.consumed)
        body = self.ev.eval(payload, scope)
        if not isinstance(body, Map):
            # a payload promptlint cannot read as a dict: leave its message lists to the fallbacks
            self.ev.consumed.intersection_update(seen)
            return None
        builder = PartsBuilder()
        span = self.module.span(call)
        self._structure(builder, Role.TOOLS, body.get("tools"))
        system = body.get("system") if api == "anthropic" else None
        if system is not None:
            builder.add_messages(_as_message("system", system), span)
        self._messages(builder, body.get("messages"), span)
        if not builder.parts:
            return None
        parts = with_user_message_evidence(tuple(builder.parts))
        provider = Provider.ANTHROPIC if api == "anthropic" else Provider.UNKNOWN
        return Prompt(provider, span, parts, tuple(builder.breakpoints), _static(body.get("model")))

    def _kwargs(self, call: ast.Call, scope: Scope) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for kw in call.keywords:
            if kw.arg is not None:
                out[kw.arg] = self.ev.eval(kw.value, scope)
            else:
                spread = self.ev.eval(kw.value, scope)
                if isinstance(spread, Map):
                    out.update({e.key: e.value for e in spread.entries})
        return out

    def _messages(self, builder: PartsBuilder, value: Value | None, span: Span) -> None:
        if value is not None:
            builder.add_messages(value, span)

    def _structure(self, builder: PartsBuilder, role: Role, value: Value | None) -> None:
        if value is None:
            return
        segments: list[Segment] = []
        marks: list[tuple[int, Span]] = []
        structure_segments(value, marks, segments)
        span = value.span if isinstance(value, Seq | Map | Opaque) else Span(0, 0)
        builder.add(role, segments, span, marks)

    def _top_level_cache_control(self, call: ast.Call) -> Span | None:
        for kw in call.keywords:
            if kw.arg == "cache_control":
                return self.module.span(kw)
        return None

    def _gemini(
        self, builder: PartsBuilder, call: ast.Call, kwargs: dict[str, Value], scope: Scope, span: Span
    ) -> None:
        for kw in call.keywords:
            if kw.arg == "config" and isinstance(kw.value, ast.Call):
                for inner in kw.value.keywords:
                    if inner.arg == "system_instruction":
                        builder.add_messages(_as_message("system", self.ev.eval(inner.value, scope)), span)
        config = kwargs.get("config")
        if isinstance(config, Map) and config.get("system_instruction") is not None:
            builder.add_messages(_as_message("system", config.get("system_instruction")), span)
        contents = kwargs.get("contents")
        if contents is None and call.args:
            contents = self.ev.eval(call.args[0], scope)
        if contents is not None:
            builder.add_messages(contents, span)

    def _openai_flavour(self, call: ast.Call, model: str | None, scope: Scope) -> Provider:
        if model and model.lower().startswith("deepseek"):
            return Provider.DEEPSEEK
        for maker in client_makers(call, scope, self_attributes=False):
            if "deepseek" in self.module.text_of(maker).lower():
                return Provider.DEEPSEEK
        return Provider.OPENAI

    # -- fallbacks -------------------------------------------------------------------------------
    def _fallbacks(self, found: Candidates) -> Iterator[Prompt]:
        consumed = self.ev.consumed
        for node, func, cls in found.lists:
            inner = node.left if isinstance(node, ast.BinOp) else node
            if id(node) in consumed or id(inner) in consumed or id(inner) in found.frozen:
                continue
            value = self.ev.eval(node, Scope(self.module, func, cls))
            builder = PartsBuilder()
            builder.add_messages(value, self.module.span(node))
            if builder.parts:
                parts = with_user_message_evidence(tuple(builder.parts))
                yield Prompt(Provider.UNKNOWN, self.module.span(node), parts, tuple(builder.breakpoints))
        for fn, cls in found.functions:
            if id(fn) in consumed:
                continue
            if fn.name.startswith("_") or not self.ev.sinks.public_builders:
                # A builder reaches a request through a caller that sends what it returns, which
                # the sites and the project's summaries follow (the finding is the caller's, with
                # the chain back here); its name alone is no evidence. `public-prompt-builders`
                # lints a library's public builders, whose callers live elsewhere, in their file.
                continue
            ret = self.module.return_expr(fn)
            if ret is None:
                continue
            _, value = eval_returns(self.ev, self.module, fn, ret, Scope(self.module, fn, cls))
            prompt = self._named_prompt(fn.name, value, fn)
            if prompt is not None:
                yield prompt

    def _named_prompt(self, name: str, value: Value, node: ast.AST) -> Prompt | None:
        if not isinstance(value, Str) or not any(isinstance(s, Slot) for s in value.segments):
            return None
        role = Role.SYSTEM if _SYSTEM_NAME.search(name) else Role.USER
        span = self.module.span(node)
        return Prompt(Provider.UNKNOWN, span, (Part(role, value.segments, span),))


def _constructs_object(call: ast.Call) -> bool:
    """`Response(messages=...)`, `Result(messages=...)`: a class built to return or store a list is no
    request; project wrappers that send are functions and methods (`self.llm.chat(messages=...)`)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper()


def _with_move_fixes(parts: tuple[Part, ...], fixes: dict[Location, Fix]) -> tuple[Part, ...]:
    """Attach move fixes to the volatile slots whose culprit they move."""
    if not fixes:
        return parts
    out = []
    for part in parts:
        segments = tuple(
            replace(seg, fix=fixes[seg.origin])
            if isinstance(seg, Slot) and seg.fix is None and seg.origin in fixes
            else seg
            for seg in part.segments
        )
        out.append(replace(part, segments=segments))
    return tuple(out)


def _attr_chain(node: ast.expr) -> tuple[str, ...]:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return tuple(reversed(names))


def http_api_of(ev: Evaluator, call: ast.Call, scope: Scope) -> str | None:
    """The model API a raw `post(url, json=...)` calls (`openai`, `anthropic`), from the URL's known
    text and the paths of `data/sinks.toml` [http]; None when it is not one."""
    url = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "url"), None)
    if url is None or not any(k.arg == "json" for k in call.keywords):
        return None
    address = ev.eval(url, scope)
    known = (
        "".join(s.text for s in address.segments if isinstance(s, Text)) if isinstance(address, Str) else ""
    )
    return ev.sinks.http_api(known)


def is_provider_call(ev: Evaluator, call: ast.Call, scope: Scope) -> bool:
    """Whether `call` is a provider SDK request that `SiteBuilder._site` builds a prompt for."""
    func = call.func
    method = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else None
    if method == "post":
        return http_api_of(ev, call, scope) is not None
    if method not in SITE_METHODS:
        return False
    chain = _attr_chain(func)
    return (
        bool(chain)
        and _classify(chain, ev.qualname(func, scope) or "", call) is not None
        and not uncached_client(ev, call, scope)
    )


# What a module that asks for prompt caching mentions: the marker key (any case), its value, a cache
# point or breakpoint, or a helper named for prompt caching (`_apply_prompt_caching(messages)`,
# `add_cache_markers`). `functools.cache` or a result cache is no such mention.
_ASKS_FOR_CACHING = re.compile(
    r"(?i)cache_?control|ephemeral|cache_?point|cache_?breakpoint|prompt_?cach|"
    r"cach\w*_(?:mark|breakpoint|point)|(?:add|apply|with|set|mark)_\w*cach"
)


def _caches_nothing(module: ModuleInfo) -> bool:
    """Whether a module that calls Anthropic never asks for caching: no `cache_control` marker and no
    helper named for prompt caching can be written from it, as its text mentions neither. Any such
    mention keeps its requests prompt sites."""
    return subtree.memo(
        module.tree, "caches-nothing", lambda: _ASKS_FOR_CACHING.search(module.source.text) is None
    )


def uncached_client(ev: Evaluator, call: ast.Call, scope: Scope) -> bool:
    """Whether an SDK call is made on a client of a service without automatic prefix caching
    (`data/sinks.toml` [uncached]): `Ark(...).chat...`, a local or module `client = Ark(...)`, or
    `self.client = Ark(...)` assigned in the class."""
    wanted = ev.sinks.uncached_clients
    return bool(wanted) and any(
        (ev.qualname(m.func, scope) or "") in wanted for m in client_makers(call, scope, self_attributes=True)
    )


def client_makers(call: ast.Call, scope: Scope, *, self_attributes: bool) -> list[ast.Call]:
    """The calls that made the client an SDK call is chained on: `Ark(...).chat...`, a local (else
    module) `client = Ark(...)`, and with `self_attributes` also `self.client = Ark(...)` assigned
    anywhere in the class."""
    root: ast.expr = call.func
    while isinstance(root, ast.Attribute) and not (self_attributes and _is_self_attribute(root)):
        root = root.value
    if isinstance(root, ast.Call):
        return [root]
    module = scope.module
    if isinstance(root, ast.Name):
        bindings = (module.function_bindings(scope.func).get(root.id) if scope.func else None) or (
            module.bindings.get(root.id, [])
        )
        return [b.value for b in bindings if isinstance(b.value, ast.Call)]
    if isinstance(root, ast.Attribute) and scope.cls is not None:
        return [
            node.value
            for node in subtree.nodes(scope.cls)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and any(
                isinstance(t, ast.Attribute) and _is_self_attribute(t) and t.attr == root.attr
                for t in node.targets
            )
        ]
    return []


def _is_self_attribute(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id == "self"


def _classify(chain: tuple[str, ...], qual: str, call: ast.Call) -> str | None:
    keywords = {kw.arg for kw in call.keywords}
    if len(chain) >= 3 and chain[-3:-1] == ("chat", "completions") and chain[-1] in _CHAT_METHODS:
        return "chat"
    if chain[-2:] in (("ChatCompletion", "create"), ("ChatCompletion", "acreate")) and qual.startswith(
        "openai."
    ):
        return "chat"  # the openai<1 module API, `openai.ChatCompletion.create(messages=...)`
    if (
        len(chain) >= 2
        and chain[-2:-1] == ("chat",)
        and chain[-1] in _MISTRAL_METHODS
        and "messages" in keywords
    ):
        return "chat"  # Mistral's SDK: `client.chat.complete(model=..., messages=...)`
    if len(chain) >= 2 and chain[-2] == "responses" and chain[-1] in _CHAT_METHODS:
        return "responses"
    if len(chain) >= 2 and chain[-2] == "messages" and chain[-1] in ("create", "stream", "count_tokens"):
        return "anthropic" if keywords & {"system", "messages"} or None in keywords else None
    if qual in _LITELLM or (chain[-1:] in (("completion",), ("acompletion",)) and "messages" in keywords):
        return "litellm"
    if qual.endswith("ChatPromptTemplate.from_messages"):
        return "langchain"
    if chain[-1:] in (("generate_content",), ("generate_content_async",)):
        return "gemini"
    return None


def _as_message(role: str, content: Value | None) -> Value:
    span = Span(0, 0)
    if isinstance(content, Seq | Map | Msg | Opaque):
        span = content.span
    elif isinstance(content, Str) and content.segments:
        span = content.segments[0].span
    return Msg(role, content if content is not None else Str(()), span)


def _static(value: Value | None) -> str | None:
    return static_text(value) if isinstance(value, Str) else None


# Methods that run a framework agent (LangChain/LangGraph runnables and their async and streaming forms).
_RUNS = frozenset({"invoke", "ainvoke", "stream", "astream", "astream_events", "run", "arun"})


def _run_starts_here(call: ast.Call, scope: Scope) -> bool:
    """Whether the agent a framework sink makes is a local of one function that is only run there
    with a conversation written out fresh (`agent = create_react_agent(llm, prompt=p)` ...
    `agent.ainvoke({"messages": [HumanMessage(task)]})`). Its conversation is then this call's own:
    within the run the prefix before it does not change, and no other run shares it, so it is no
    conversation that a value in front of it costs (the static text after the value still is)."""
    func = scope.func
    if func is None:
        return False
    name: str | None = None
    for node in subtree.nodes(func):
        if isinstance(node, ast.Assign) and node.value is call:
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
            break
    if name is None:
        return False
    calls: list[tuple[str, ast.Call]] = [
        (n.func.attr, n)
        for n in subtree.nodes(func)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == name
    ]
    if not calls or len(calls) != len(_reads(func, name)):
        return False  # stored, returned or passed on: its conversation may outlive this call
    saver = next((kw.value for kw in call.keywords if kw.arg == "checkpointer"), None)
    if saver is not None and not (isinstance(saver, ast.Call) and final_name(saver.func) in _FRESH_SAVERS):
        return False  # a checkpointer kept elsewhere carries the thread's conversation across runs
    return all(method in _RUNS and _fresh_conversation(n, func) for method, n in calls)


# Checkpointers that keep a thread's state in the object itself: made in the call, they die with it.
_FRESH_SAVERS = frozenset({"InMemorySaver", "MemorySaver"})


def _fresh_conversation(run: ast.Call, func: FunctionNode) -> bool:
    """`{"messages": [HumanMessage(task)]}` (as the first argument or `input=`, written there or
    assigned once in the function): a literal list of messages made here (no `*history`)."""
    given = run.args[0] if run.args else next((kw.value for kw in run.keywords if kw.arg == "input"), None)
    if isinstance(given, ast.Name):
        name = given.id
        made = [
            n.value
            for n in subtree.nodes(func)
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
        ]
        # assigned once and only handed to the run (`turn["messages"].extend(history)` changes it)
        given = made[0] if len(made) == 1 and len(_reads(func, name)) == 1 else None
    if not isinstance(given, ast.Dict) or any(key is None for key in given.keys):
        return False  # (`{"messages": [...], **state}` may replace the messages)
    for key, value in zip(given.keys, given.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "messages":
            return isinstance(value, ast.List) and not any(isinstance(e, ast.Starred) for e in value.elts)
    return False


def _reads(func: FunctionNode, name: str) -> list[ast.Name]:
    """Every read of the local `name` in `func`."""
    return [
        n
        for n in subtree.nodes(func)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
    ]
