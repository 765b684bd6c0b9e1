"""Build a Jinja template's prompt segments from its positioned tokens (never rendering it).

Template data becomes `Text` (exactly what a render outputs, whitespace control included), every
`{{ ... }}` a `Slot`, and `if`/`for`/`macro`/`block` tags `Control` markers. `set`, `with`, loop
targets and macro parameters are scoped; macro bodies are not output but make their calls as variable
as the body; `include` and `extends` inline the other template (searched in the project),
`import` binds names. Known simplifications: both branches of an `if` count as text; `super()` and
`caller()` render as stable slots.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from promptlint.diagnostics import Span
from promptlint.frontends.jinja_blocks import BlockNode, Item, blocks, flat, reanchor_tree, substitute
from promptlint.frontends.jinja_expr import Names, expr_slot, expression_source, most_volatile
from promptlint.frontends.jinja_lex import Tok
from promptlint.frontends.template_ir import Placed, reanchor
from promptlint.frontends.template_loader import ParsedTemplate
from promptlint.ir import Control, Slot, Stability, Text

MAX_DEPTH = 8
MAX_INLINED = 64  # included or extended templates inlined into one build
_OPEN = {"if", "for", "macro", "call", "filter", "block", "with", "raw", "autoescape", "trans"}

#: (template name, including file) -> the parsed template, or None when it is not in the project.
Resolver = Callable[[str, str], ParsedTemplate | None]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A data run, an output `{{ }}`, a statement `{% %}` (name + argument tokens) or a comment."""

    kind: str  # data | output | tag
    span: Span
    name: str = ""
    args: tuple[Tok, ...] = ()
    text: str = ""


@dataclass
class BuildContext:
    """Shared by a template and the templates it includes: bindings, declarations, resolver."""

    resolve: Resolver
    bindings: Mapping[str, Slot] = field(default_factory=dict)
    stable: frozenset[str] = frozenset()
    related: set[str] = field(default_factory=set)
    stack: tuple[str, ...] = ()
    # Templates inlined so far in this build, shared by every nested builder: a template that
    # includes others many times over (or itself under another spelling) stays linear.
    inlined: list[int] = field(default_factory=lambda: [0])


def chunks(tokens: tuple[Tok, ...]) -> list[Chunk]:
    out: list[Chunk] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "data":
            out.append(Chunk("data", tok.span, text=tok.value))
            i += 1
            continue
        end_kind = {"variable_begin": "variable_end", "block_begin": "block_end"}.get(tok.kind)
        if end_kind is None:
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].kind != end_kind:
            j += 1
        inner = tuple(t for t in tokens[i + 1 : j] if t.kind != "whitespace")
        stop = tokens[j] if j < len(tokens) else tokens[-1]
        span = Span(tok.span.start, stop.span.start + len(stop.value.rstrip()))
        if tok.kind == "variable_begin":
            out.append(Chunk("output", span, args=inner))
        elif inner and inner[0].kind == "name":
            out.append(Chunk("tag", span, inner[0].value, inner[1:]))
        i = j + 1
    return out


class Builder:
    """Turns one template's chunks into placed segments and blocks."""

    def __init__(self, tpl: ParsedTemplate, ctx: BuildContext, scope: dict[str, Slot] | None = None) -> None:
        self.tpl = tpl
        self.ctx = ctx
        self.scope: dict[str, Slot] = dict(scope or {})
        self.chunks = chunks(tpl.tokens)
        self.pos = 0
        self.parent: str | None = None
        self.parent_span = Span(0, 0)

    def build(self) -> list[Item]:
        items, _ = self.body(frozenset())
        if self.parent is None:
            return items
        return self._extend(items)

    # -- walking ---------------------------------------------------------------------------------
    def body(self, stops: frozenset[str]) -> tuple[list[Item], str]:
        items: list[Item] = []
        while self.pos < len(self.chunks):
            chunk = self.chunks[self.pos]
            self.pos += 1
            if chunk.kind == "data":
                if chunk.text:
                    items.append(self._place(Text(chunk.text, chunk.span, True)))
            elif chunk.kind == "output":
                items.append(self._place(self.slot(chunk.args, chunk.span)))
            elif chunk.name in stops:
                return items, chunk.name
            else:
                items.extend(self.tag(chunk))
        return items, ""

    def tag(self, chunk: Chunk) -> list[Item]:
        name, args = chunk.name, list(chunk.args)
        if name == "if":
            return self._branches(chunk, "if", frozenset({"elif", "else", "endif"}), "endif")
        if name == "for":
            return self._for(chunk)
        if name == "set":
            return self._set(chunk)
        if name == "with":
            saved = dict(self.scope)
            self._assign_pairs(args)
            items, _ = self.body(frozenset({"endwith"}))
            self.scope = saved
            return items
        if name == "macro":
            return self._macro(chunk)
        if name == "call":
            expr = _after_params(args)
            head = self._place(self.slot(expr, chunk.span))
            items, _ = self.body(frozenset({"endcall"}))
            return [head, *items]
        if name == "block":
            label = args[0].value if args else "?"
            items, _ = self.body(frozenset({"endblock"}))
            control = Control("block", chunk.span, label, Stability.STATIC)
            return [BlockNode(label, self.tpl.path, chunk.span, [self._place(control), *items])]
        if name == "extends":
            self.parent = _string_value(args)
            self.parent_span = chunk.span
            return []
        if name == "include":
            return self._include(chunk)
        if name in ("import", "from"):
            self._import(args)
            return []
        if name in _OPEN:
            items, _ = self.body(frozenset({f"end{name}"}))
            return items
        return []

    # -- handlers ----------------------------------------------------------------------------------
    def slot(self, args: list[Tok] | tuple[Tok, ...], span: Span) -> Slot:
        toks = list(args)
        label = expression_source(self.tpl.text, toks) or "?"
        if len(label) > 60:
            label = label[:57] + "..."
        return expr_slot(toks, label, span, self.names())

    def names(self) -> Names:
        return Names(self.scope, self.ctx.bindings, self.ctx.stable | self.tpl.directives.stable)

    def _branches(self, chunk: Chunk, kind: str, stops: frozenset[str], end: str) -> list[Item]:
        items: list[Item] = []
        head: Chunk | None = chunk
        while head is not None:
            cond = self.slot(head.args, head.span) if head.args else None
            label = f"{head.name} {cond.label}" if cond else head.name
            stability = cond.stability if cond else None
            items.append(self._place(Control(head.name, head.span, label, stability)))
            body, stop = self.body(stops)
            items.extend(body)
            if stop in ("", end):
                break
            head = self.chunks[self.pos - 1]
        # Closes the branches: text in one branch is never sent with its siblings' (variants).
        closing = self.chunks[self.pos - 1].span if self.pos else chunk.span
        items.append(self._place(Control("endif", closing, "endif", Stability.STATIC)))
        return items

    def _for(self, chunk: Chunk) -> list[Item]:
        args = list(chunk.args)
        split = next((i for i, t in enumerate(args) if t.kind == "name" and t.value == "in"), len(args))
        targets = [t.value for t in args[:split] if t.kind == "name"]
        rest = args[split + 1 :]
        cut = next((i for i, t in enumerate(rest) if t.value in ("if", "recursive")), len(rest))
        source = self.slot(rest[:cut], chunk.span)
        saved = dict(self.scope)
        for target in [*targets, "loop"]:
            self.scope[target] = source
        label = f"for {expression_source(self.tpl.text, args)}"[:60]
        items: list[Item] = [self._place(Control("for", chunk.span, label, source.stability))]
        body, stop = self.body(frozenset({"else", "endfor"}))
        items.extend(body)
        self.scope = saved
        if stop == "else":
            items.append(
                self._place(Control("else", self.chunks[self.pos - 1].span, "else", source.stability))
            )
            rest_items, _ = self.body(frozenset({"endfor"}))
            items.extend(rest_items)
        return items

    def _set(self, chunk: Chunk) -> list[Item]:
        args = list(chunk.args)
        if any(t.value == "=" for t in args):
            self._assign_pairs(args)
            return []
        saved = dict(self.scope)
        body, _ = self.body(frozenset({"endset"}))
        self.scope = saved
        slots = [p.seg for p in flat(body) if isinstance(p.seg, Slot)]
        for target in _targets(args):
            self.scope[target] = most_volatile(slots, target, chunk.span)
        return []

    def _assign_pairs(self, args: list[Tok]) -> None:
        """`a = expr` and `a, b = expr` (set), `a = x, b = y` (with)."""
        eq = next((i for i, t in enumerate(args) if t.value == "="), None)
        if eq is None:
            return
        value = self.slot(args[eq + 1 :], Span(args[eq].span.start, args[-1].span.end))
        for target in _targets(args[:eq]):
            if "." not in target:
                self.scope[target] = value

    def _macro(self, chunk: Chunk) -> list[Item]:
        args = list(chunk.args)
        name = args[0].value if args else "?"
        saved = dict(self.scope)
        for tok in args[1:]:
            if tok.kind == "name":
                self.scope[tok.value] = Slot(tok.value, tok.span, Stability.STATIC)
        body, _ = self.body(frozenset({"endmacro"}))
        self.scope = saved
        slots = [p.seg for p in flat(body) if isinstance(p.seg, Slot) and p.seg.stability > Stability.STATIC]
        self.scope[name] = most_volatile(slots, name, chunk.span)
        return [self._place(Control("macro", chunk.span, f"macro {name}", Stability.STATIC))]

    def _include(self, chunk: Chunk) -> list[Item]:
        args = list(chunk.args)
        ignore_missing = any(t.value == "ignore" for t in args)
        names = [_unquote(t.value) for t in args if t.kind == "string"]
        for name in names:
            built = self.foreign(name)
            if built is not None:
                return [*reanchor(flat(built), chunk.span)]
        if ignore_missing and names:
            return []
        expr = [t for t in args if t.value not in ("ignore", "missing", "with", "without", "context")]
        slot = self.slot(expr, chunk.span)
        label = f"include {slot.label}"
        stable = max(slot.stability, Stability.DEPLOYMENT)
        return [self._place(replace(slot, label=label, stability=stable, cause=label))]

    def _import(self, args: list[Tok]) -> None:
        names = [t for t in args if t.kind == "name"]
        if args and args[0].kind == "string" and any(t.value == "import" for t in names):
            picked = [t.value for t in names if t.value not in ("import", "as", "with", "without", "context")]
            for name in picked:
                self.scope[name] = Slot(name, args[0].span, Stability.STATIC)
        elif names and names[-1].value not in ("context",):
            self.scope[names[-1].value] = Slot(names[-1].value, args[0].span, Stability.STATIC)

    def foreign(self, name: str) -> list[Item] | None:
        """Items of another template (its own spans), built in this context, or None if not found."""
        if len(self.ctx.stack) >= MAX_DEPTH or self.ctx.inlined[0] >= MAX_INLINED:
            return None
        parsed = self.ctx.resolve(name, self.tpl.path)
        if parsed is None or parsed.problem is not None:
            return None
        here = {os.path.abspath(p) for p in (*self.ctx.stack, self.tpl.path)}
        if os.path.abspath(parsed.path) in here:
            return None  # a template that includes itself, however its path is spelled
        self.ctx.inlined[0] += 1
        self.ctx.related.add(parsed.path)
        inner = BuildContext(
            self.ctx.resolve,
            self.ctx.bindings,
            self.ctx.stable,
            self.ctx.related,
            (*self.ctx.stack, self.tpl.path),
            self.ctx.inlined,
        )
        return Builder(parsed, inner, self.scope).build()

    def _extend(self, own: list[Item]) -> list[Item]:
        parent = self.foreign(self.parent or "")
        if parent is None:
            return own
        overrides = {b.name: b for b in blocks(own)}
        return substitute(reanchor_tree(parent, self.parent_span), overrides)

    def _place(self, seg: Text | Slot | Control) -> Placed:
        return Placed(seg, self.tpl.path, seg.span)


def _after_params(args: list[Tok]) -> list[Tok]:
    """`call(a, b) macro(x)` -> the tokens of `macro(x)`."""
    if args and args[0].value == "(":
        depth = 0
        for i, tok in enumerate(args):
            depth += {"(": 1, ")": -1}.get(tok.value, 0)
            if depth == 0:
                return args[i + 1 :]
    return args


def _targets(args: list[Tok]) -> list[str]:
    return [t.value for t in args if t.kind == "name" and t.value not in ("=",)]


def _string_value(args: list[Tok]) -> str | None:
    for tok in args:
        if tok.kind == "string":
            return _unquote(tok.value)
    return None


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
