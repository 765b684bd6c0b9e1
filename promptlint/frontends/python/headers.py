"""Header facts: header names sent with requests or read from responses.

A dict is a headers dict when it is passed as `*headers=`, assigned to a name that says header,
merged with `<headers>.update(...)`; a read is `<x>.headers.get("...")` or `<x>.headers["..."]`.
Rules decide which names matter (PC501 matches `X-Cache-*`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from promptlint.diagnostics import Span
from promptlint.frontends.python.modules import ModuleInfo, dotted
from promptlint.ir import HeaderKind, HeaderUse

_HEADERISH = re.compile(r"(?i)header")


def header_dict_uses(node: ast.Dict, module: ModuleInfo) -> list[HeaderUse]:
    """Every constant string key of a headers dict literal, with the span that removes its entry."""
    text = module.source.text
    keys = node.keys
    out: list[HeaderUse] = []
    # Removing an entry next to a `**spread` could merge tokens (`"1" **extra`): no edit then.
    editable = all(k is not None for k in keys)
    for i, key in enumerate(keys):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if not editable:
            out.append(HeaderUse(key.value, module.span(key), HeaderKind.REQUEST))
            continue
        start = module.span(key).start
        end = module.span(node.values[i]).end
        if i + 1 < len(keys) and keys[i + 1] is not None:
            end = module.span(keys[i + 1]).start  # type: ignore[arg-type]
        else:
            tail = re.match(r"\s*,", text[end:])
            if tail:
                end += tail.end()
            if i > 0:
                start = module.span(node.values[i - 1]).end
        out.append(HeaderUse(key.value, module.span(key), HeaderKind.REQUEST, Span(start, end)))
    return out


# Words that say a module talks to an LLM API; without one, only the SDKs' `extra_headers=` and
# `default_headers=` count, so plain HTTP code (`requests.get(url, headers=...)`) is left alone.
LLM_MARKERS = ("openai", "anthropic", "deepseek", "litellm", "chat/completions", "/v1/messages", "gemini")
_SDK_HEADER_ARGS = frozenset({"extra_headers", "default_headers"})


def is_llm_module(lowered: str) -> bool:
    """Whether a module's lower-cased text names an LLM API."""
    return any(marker in lowered for marker in LLM_MARKERS)


def headers_in_call(call: ast.Call, module: ModuleInfo, llm: bool = True) -> list[HeaderUse]:
    """Header dicts passed as keyword arguments, `headers.update({...})` and response header reads."""
    out: list[HeaderUse] = []
    for kw in call.keywords:
        if kw.arg and kw.arg.endswith("headers") and isinstance(kw.value, ast.Dict):
            if not llm and kw.arg not in _SDK_HEADER_ARGS:
                continue
            arguments: list[ast.expr | ast.keyword] = sorted(
                [*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset)
            )
            uses = header_dict_uses(kw.value, module)
            whole = _argument_removal(kw, arguments, module)
            # A key that is not a string literal (a constant name, a spread) never matches a pattern,
            # so the whole argument is only removed when every entry is a matching literal.
            names = tuple(
                k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else ""
                for k in kw.value.keys
            )
            out.extend(replace(u, siblings=names, container_removal=whole) for u in uses)
    func = call.func
    if not llm:
        return out
    if isinstance(func, ast.Attribute) and func.attr in ("update", "get"):
        owner = dotted(func.value) or ""
        if (
            func.attr == "update"
            and _HEADERISH.search(owner)
            and call.args
            and isinstance(call.args[0], ast.Dict)
        ):
            out.extend(header_dict_uses(call.args[0], module))
        if func.attr == "get" and owner.endswith("headers") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append(HeaderUse(first.value, module.span(first), HeaderKind.RESPONSE))
    return out


def _argument_removal(kw: ast.keyword, arguments: list[ast.expr | ast.keyword], module: ModuleInfo) -> Span:
    """The span that deletes keyword argument `kw` together with one separating comma."""
    index = next(i for i, a in enumerate(arguments) if a is kw)
    span = module.span(kw)
    if index > 0:
        return Span(module.span(arguments[index - 1]).end, span.end)
    if index + 1 < len(arguments):
        return Span(span.start, module.span(arguments[index + 1]).start)
    tail = re.match(r"\s*,?", module.source.text[span.end :])
    return Span(span.start, span.end + (tail.end() if tail else 0))


def headers_in_assign(stmt: ast.Assign | ast.AnnAssign, module: ModuleInfo) -> list[HeaderUse]:
    """`headers = {...}` and `headers["X"] = v`."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    out: list[HeaderUse] = []
    for target in targets:
        if isinstance(target, ast.Subscript):
            owner = dotted(target.value) or ""
            key = target.slice
            if _HEADERISH.search(owner) and isinstance(key, ast.Constant) and isinstance(key.value, str):
                # No removal edit: deleting a statement can empty a block or drop a chained assignment.
                out.append(HeaderUse(key.value, module.span(key), HeaderKind.REQUEST))
        elif _HEADERISH.search(dotted(target) or "") and isinstance(stmt.value, ast.Dict):
            out.extend(header_dict_uses(stmt.value, module))
    return out


def header_read(node: ast.Subscript, module: ModuleInfo) -> HeaderUse | None:
    """`response.headers["X-..."]` read in a load context."""
    owner = dotted(node.value) or ""
    key = node.slice
    if isinstance(node.ctx, ast.Load) and owner.endswith("headers") and isinstance(key, ast.Constant):
        if isinstance(key.value, str):
            return HeaderUse(key.value, module.span(key), HeaderKind.RESPONSE)
    return None
