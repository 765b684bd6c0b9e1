"""The PC101/PC102 fix: move a clock or id fragment from the system f-string to the last user message.

Only built when everything is literal in one function: the system content is an f-string (directly,
or through a local name assigned once), the messages list is a list literal in the call, and its last
element is a `{"role": "user", "content": ...}` dict. The fragment is the line of the f-string holding
the value (`Current time: {now}\\n`); it is removed there and appended to the user content after a
blank line. Anything less regular gets no edit (the rule then offers a display-only suggestion).
"""

from __future__ import annotations

import ast
import re

from promptlint.diagnostics import Applicability, Edit, Fix, Location, Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.evaluate import Evaluator, Scope
from promptlint.frontends.python.modules import ModuleInfo, dotted, role_content
from promptlint.frontends.python.values import Opaque
from promptlint.ir import Stability, VolatileKind

_QUOTE = re.compile(r"([rRbBuUfF]*)('''|\"\"\"|'|\")")
# One single-line literal, optionally f-prefixed: `"..."`, `'...'`, `f"..."` (escapes allowed).
_SINGLE_LITERAL = re.compile(r"[fF]?(?P<q>[\"'])(?:\\.|(?!(?P=q))[^\\\n])*(?P=q)")
_MOVABLE = (VolatileKind.TIME, VolatileKind.ID)


def move_fixes(call: ast.Call, ev: Evaluator, scope: Scope) -> dict[Location, Fix]:
    """Fixes keyed by the culprit's origin, for volatile values in the system f-string of `call`."""
    module = scope.module
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    messages = keywords.get("messages")
    systems: list[ast.expr] = [keywords[k] for k in ("system", "instructions") if k in keywords]
    user: ast.expr | None = None
    if isinstance(messages, ast.List) and messages.elts:
        for element in messages.elts:
            role, content = role_content(element)
            if role in ("system", "developer") and content is not None:
                systems.append(content)
        role, content = role_content(messages.elts[-1])
        user = content if role == "user" else None
    fixes: dict[Location, Fix] = {}
    for node in systems:
        fstring = _as_fstring(node, module, scope)
        if fstring is None:
            continue
        for part in fstring.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            value = ev.eval(part.value, scope)
            if not (
                isinstance(value, Opaque) and value.stability is Stability.VOLATILE and value.kind in _MOVABLE
            ):
                continue
            if value.origin is None or user is None:
                continue
            fix = _build(fstring, part, user, module)
            if fix is not None:
                fixes[value.origin] = fix
    return fixes


def _as_fstring(node: ast.expr, module: ModuleInfo, scope: Scope) -> ast.JoinedStr | None:
    if isinstance(node, ast.JoinedStr):
        return node
    if isinstance(node, ast.Name) and scope.func is not None:
        bindings = module.function_bindings(scope.func).get(node.id, [])
        uses = sum(1 for n in subtree.nodes(scope.func) if isinstance(n, ast.Name) and n.id == node.id)
        # Assigned once and read only here (2 = the target and this read): editing it cannot change
        # another request's prompt.
        if (
            len(bindings) == 1
            and bindings[0].kind == "assign"
            and isinstance(bindings[0].value, ast.JoinedStr)
            and uses == 2
        ):
            return bindings[0].value
    return None


def _build(
    fstring: ast.JoinedStr, part: ast.FormattedValue, user: ast.expr, module: ModuleInfo
) -> Fix | None:
    text = module.source.text
    whole = module.span(fstring)
    quoted = _QUOTE.match(text, whole.start, whole.end)
    if quoted is None or "r" in quoted.group(1).lower():
        return None
    quote = quoted.group(2)
    body = (quoted.end(), whole.end - len(quote))
    expr = module.span(part.value)
    opening = text.rfind("{", body[0], expr.start)
    closing = _closing_brace(text, expr.end, body[1])
    if opening < 0 or closing < 0:
        return None
    start = max(
        text.rfind("\\n", body[0], opening) + 2 if text.rfind("\\n", body[0], opening) >= 0 else body[0],
        text.rfind("\n", body[0], opening) + 1,
    )
    ends = [i + 2 for i in [text.find("\\n", closing, body[1])] if i >= 0]
    ends += [i + 1 for i in [text.find("\n", closing, body[1])] if i >= 0]
    end = min(ends) if ends else body[1]
    if re.search(r"[{}]", text[start:opening] + text[closing + 1 : end]):
        return None  # another field on the same line: not a clean fragment
    fragment = text[start:end]
    if quote[0] in fragment:
        return None  # the line crosses into another literal of an implicit concatenation
    core = fragment.removesuffix("\\n").removesuffix("\n").removesuffix("\r")
    if start == body[0]:
        # The value's line opens the text: a blank line after it separated it from the rest, and
        # would now open the text (`f"\\n{RULES}"`), so it goes too.
        for gap in ("\\n", "\r\n", "\n"):
            if text.startswith(gap, end) and end + len(gap) <= body[1]:
                end += len(gap)
                break
    appended = _append_edit(user, core, quote, module)
    if appended is None or not core.strip():
        return None
    label = " ".join(core.split())
    removal = Edit(Span(start, end), "")
    q = len(quote)
    if text[start - q : start] == quote and text[end : end + q] == quote:
        prefix = start - q
        while prefix > 0 and text[prefix - 1] in "fFuU":
            prefix -= 1
        removal = Edit(Span(prefix, end + q), quote * 2)  # the literal is emptied: `f""` would be F541
    edits = (removal, *appended)
    return Fix(f"Move `{label}` to the end of the last user message", Applicability.UNSAFE, edits)


def _closing_brace(text: str, position: int, limit: int) -> int:
    depth = 0
    for index in range(position, limit):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
    return -1


def _append_edit(user: ast.expr, core: str, quote: str, module: ModuleInfo) -> tuple[Edit, ...] | None:
    """Edits that append `\\n\\n` + `core` (f-string source written for `quote`) to the user content."""
    text = module.source.text
    span = module.span(user)
    source = text[span.start : span.end]
    if isinstance(user, ast.JoinedStr | ast.Constant) and isinstance(getattr(user, "value", ""), str | list):
        if not _SINGLE_LITERAL.fullmatch(source):
            return None  # triple quotes, implicit concatenation, raw or u-prefixed: no safe place to append
        quoted = _QUOTE.match(source)
        if quoted is None or len(quoted.group(2)) != len(quote):
            return None
        if quoted.group(2) != quote and quoted.group(2)[0] in core:
            return None
        edits = [
            Edit(Span(span.end - len(quoted.group(2)), span.end - len(quoted.group(2))), "\\n\\n" + core)
        ]
        if "f" not in quoted.group(1).lower():
            if re.search(r"[{}]", source):
                return None
            edits.insert(0, Edit(Span(span.start, span.start), "f"))
        return tuple(edits)
    if not isinstance(user, ast.Name | ast.Attribute) or dotted(user) is None:
        return None  # only plain names go inside the new f-string field (no walrus, calls or quotes)
    return (Edit(span, f"f{quote}{{{source}}}\\n\\n{core}{quote}"),)
