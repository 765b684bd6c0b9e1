"""The Python frontend's entry point: `ast` fast path with our own scope resolution (DESIGN §3).

A cheap substring prefilter decides whether a file can hold a prompt site at all; every file is still
parsed so that syntax errors are reported. Nothing is imported or executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.diagnostics import Span
from promptlint.frontends.python import walk
from promptlint.frontends.python.evaluate import Evaluator
from promptlint.frontends.python.history_evidence import sent_history_ops
from promptlint.frontends.python.history_helpers import helper_edits, helper_trims
from promptlint.frontends.python.history_roundtrip import reinserted_heads
from promptlint.frontends.python.marker_loops import repeated_breakpoints
from promptlint.frontends.python.modules import ModuleLoader, build_module
from promptlint.frontends.python.needles import NeedleLines
from promptlint.frontends.python.parse import NewerSyntax, parse_python
from promptlint.frontends.python.sites import SITE_METHODS, SiteBuilder
from promptlint.frontends.python.volatile import VolatileTable
from promptlint.frontends.python.wrappers import SinkTable
from promptlint.frontends.template_ir import template_paths
from promptlint.ir import FileFacts, ParseFailure
from promptlint.source import SourceFile


@dataclass(frozen=True)
class PythonContext:
    """What the Python frontend needs beyond the file: the module loader and the volatile table."""

    loader: ModuleLoader
    volatile: VolatileTable
    sinks: SinkTable | None = None  # None: the packaged table (data/sinks.toml)


def extract_python(source: SourceFile, ctx: PythonContext) -> FileFacts:
    """Facts of one Python file; a syntax error becomes a `ParseFailure` at its position."""
    tree = ctx.loader.parsed(source.path, source.text)  # already parsed as another file's import
    rewritten = ctx.loader.was_rewritten(source.path)
    if tree is None:
        try:
            parsed = parse_python(source.text, source.path)
        except SyntaxError as exc:
            if _is_template(source, exc):
                return FileFacts()  # a project template (cookiecutter, copier): Python only once rendered
            return FileFacts(parse_failure=_syntax_failure(source, exc))
        except NewerSyntax:
            return FileFacts()  # valid Python this interpreter cannot represent: not a parse error
        except (ValueError, RecursionError, MemoryError) as exc:
            return FileFacts(parse_failure=ParseFailure(f"cannot parse: {exc}", Span(0, 0)))
        tree, rewritten = parsed.tree, parsed.rewritten
    lines = NeedleLines.of(source)
    if ctx.sinks is not None and ctx.sinks.extra_words:
        lines = lines.with_words(source, ctx.sinks.extra_words)
    if not lines.mentions:
        return FileFacts()
    spread = spread_request_names(
        source.text, SITE_METHODS | ctx.sinks.framework_names() if ctx.sinks is not None else SITE_METHODS
    )
    if spread:
        lines = lines.with_words(source, spread)
    ctx.loader.begin_file()
    name, is_package = ctx.loader.module_name(source.path)
    module = build_module(source, tree, name, is_package)
    ctx.loader.expand_stars(module)
    evaluator = Evaluator(module, ctx.loader, ctx.volatile, ctx.sinks)
    found = walk.walk(module, lines, evaluator.sinks.runners)
    sites = SiteBuilder(module, evaluator)
    prompts = sites.build(found)
    for op, func, cls in [*helper_edits(module, evaluator, found), *helper_trims(module, evaluator, found)]:
        found.history.append(op)
        found.history_scopes.append((func, cls))
    history = sent_history_ops(
        found.history,
        found.history_scopes,
        sites.sent,
        module,
        evaluator,
        sites.sent_lists,
        sites.history_lists,
        sites.sent_at,
        prompts,
    )
    history = [*history, *reinserted_heads(module, sites.sent)]
    return FileFacts(
        prompts=tuple(prompts),
        headers=tuple(found.headers),
        history=tuple(history),
        repeated_breakpoints=tuple(
            repeated_breakpoints(module, evaluator.sinks.markers, evaluator.sinks.translated_markers)
        ),
        related_paths=template_paths(prompts, source.path),
        approximate_columns=rewritten,
    )


# `model_args = {` / `= dict(` (`model_args: dict[str, Any] = {`), `**model_args`, and `create(...
# **model_args)` (or another request method or framework sink): found in the text, as the prompt
# words are (a walk of every tree cost a tenth of a run).
_SPREAD_NAME = re.compile(r"\*\*([A-Za-z_]\w*)")
_CALLEE_TAIL = re.compile(r"([A-Za-z_]\w*)\s*$")
_DICT_ASSIGNED = re.compile(r"\b([A-Za-z_]\w*)\s*(?::[^=\n]{1,60})?=\s*(?:\{|dict\()")


def spread_request_names(text: str, callees: frozenset[str]) -> tuple[str, ...]:
    """Request dicts: names spread into a call of one of `callees` (a provider request method,
    `create(**model_args)`, or a framework sink, `create_agent(model, **kwargs)`) that the module
    also assigns a dict (`model_args = {"model": ...}`). A line that mentions one (`await
    self._loop(model_args)`, `model_args["tools"] = tools`) builds or passes the request, whatever
    words it uses, so the walk looks at it too. (A function's own `**kwargs` passed on is not one:
    it would mark every line of an SDK.)"""
    if "**" not in text:
        return ()
    spread = set(_SPREAD_NAME.findall(text))
    names = {n for n in _DICT_ASSIGNED.findall(text) if n in spread}
    return tuple(sorted(n for n in names if _spread_into_request(text, n, callees)))


def _spread_into_request(text: str, name: str, callees: frozenset[str]) -> bool:
    """Whether some `**name` is an argument of a call whose callee's final name is one of `callees`
    (the nearest `(` before it, in the text)."""
    needle = f"**{name}"
    at = text.find(needle)
    while at >= 0:
        opening = text.rfind("(", 0, at)
        if opening > 0:
            head = _CALLEE_TAIL.search(text, max(0, opening - 40), opening)
            if head is not None and head.group(1) in callees:
                return True
        at = text.find(needle, at + len(needle))
    return False


_TEMPLATE_TAG = re.compile(r"\{\{-?\s*[\w.|() '\"]+\s*-?\}\}|\{%-?\s*(if|for|raw|set|include|endif|endfor)\b")


def _is_template(source: SourceFile, exc: SyntaxError) -> bool:
    """Whether a `.py` file fails to parse at a Jinja-style tag (`{{ cookiecutter.name }}`,
    `{% if ... %}`) on the error's line or the one before: it is a project template, and generated
    code is linted where it is generated. Any other syntax error stays PC001."""
    line = max(exc.lineno or 1, 1)
    lines = source.text.splitlines()
    nearby = "\n".join(lines[max(line - 2, 0) : line])
    return _TEMPLATE_TAG.search(nearby) is not None


def _syntax_failure(source: SourceFile, exc: SyntaxError) -> ParseFailure:
    """Position a SyntaxError; newer syntax that only 3.12+ accepts is said so in the message."""
    lines = source.lines
    line = max(exc.lineno or 1, 1)
    column = max((exc.offset or 1) - 1, 0)
    start = min(lines.offset(line, column), len(source.text))
    end_line = exc.end_lineno or line
    end_col = max((exc.end_offset or exc.offset or 1) - 1, column)
    end = min(max(lines.offset(end_line, end_col), start), len(source.text))
    return ParseFailure(f"SyntaxError: {exc.msg}", Span(start, end))
