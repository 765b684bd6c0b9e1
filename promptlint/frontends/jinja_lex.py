"""Jinja tokens with exact character spans, and template syntax checking with a line and column.

jinja2's AST carries line numbers only, so positions come from its lexer: `Lexer.tokeniter` yields
every token (data, tag delimiters, names, whitespace, comments) in source order, and each token's text
is searched for from a cursor in the newline-normalised text. Text that whitespace control removed
(`{%-`, `-%}`, `trim_blocks`, `lstrip_blocks`) is simply skipped by the cursor, so data tokens hold
exactly what a render would output. Offsets are mapped back to the original text by line and column
(normalising `\\r\\n` to `\\n` changes neither). Nothing is rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jinja2
import jinja2.lexer
import jinja2.parser

from promptlint.diagnostics import Span
from promptlint.source import LineIndex


@dataclass(frozen=True, slots=True)
class JinjaOptions:
    """Environment options that change what the lexer produces."""

    trim_blocks: bool = False
    lstrip_blocks: bool = False


@dataclass(frozen=True, slots=True)
class Tok:
    """One lexer token: jinja2's type name, its text, and its span in the original text."""

    kind: str
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """A template that does not parse: jinja2's message and where it points."""

    message: str
    span: Span


def environment(options: JinjaOptions) -> jinja2.Environment:
    """A bare environment used only to lex and parse (never to render)."""
    return jinja2.Environment(
        trim_blocks=options.trim_blocks, lstrip_blocks=options.lstrip_blocks, autoescape=False
    )


class _Positions:
    """Maps offsets in the newline-normalised text back to the original text."""

    def __init__(self, original: str, normalised: str) -> None:
        self._same = original == normalised
        self._norm = LineIndex(normalised)
        self._orig = LineIndex(original)
        self._length = len(original)

    def to_original(self, offset: int) -> int:
        if self._same:
            return min(offset, self._length)
        pos = self._norm.position(offset)
        return self._orig.offset(pos.line, pos.column - 1)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# jinja2's raw tokens (line, type, text), kept from `lex` so the parser does not lex a second time.
RawTokens = list[tuple[int, str, str]]


def lex(
    text: str, options: JinjaOptions, raw: RawTokens | None = None
) -> tuple[list[Tok], SyntaxProblem | None]:
    """Positioned tokens of `text`; on a lexer error, the tokens so far and the problem. jinja2's raw
    tokens are appended to `raw` when one is given (for `check_syntax`)."""
    norm = _normalise(text)
    positions = _Positions(text, norm)
    out: list[Tok] = []
    cursor = 0
    keep = raw.append if raw is not None else None
    same, length = norm == text, len(text)
    try:
        for triple in environment(options).lexer.tokeniter(text, None):
            if keep is not None:
                keep(triple)
            _line, kind, value = triple
            found = norm.find(value, cursor) if value else cursor
            start = cursor if found < 0 else found
            end = start + len(value)
            cursor = end
            if same:  # no `\r` in the text: offsets are the original's
                out.append(Tok(kind, value, Span(start, end if end <= length else length)))
            else:
                out.append(Tok(kind, value, Span(positions.to_original(start), positions.to_original(end))))
    except jinja2.TemplateSyntaxError as exc:
        at = positions.to_original(cursor)
        return out, SyntaxProblem(_message(exc), Span(at, min(at + 1, len(text))))
    return out, None


def check_syntax(
    text: str, tokens: list[Tok], options: JinjaOptions, raw: RawTokens | None = None
) -> SyntaxProblem | None:
    """Parse with jinja2's own parser; a syntax error points at the token the parser stopped on.

    Given the raw tokens `lex` kept, the parser reads them instead of lexing the text again (about
    a third of a template's lint time; the stream is what `Environment._tokenize` would build)."""
    env = environment(options)
    try:
        parser = jinja2.parser.Parser(env, text)
        if raw is not None:
            parser.stream = jinja2.lexer.TokenStream(env.lexer.wrap(iter(raw)), None, None)
    except jinja2.TemplateSyntaxError as exc:  # pragma: no cover - the lexer is lazy
        return SyntaxProblem(_message(exc), Span(0, 0))
    try:
        parser.parse()
    except jinja2.TemplateSyntaxError as exc:
        return SyntaxProblem(_message(exc), _error_span(parser, exc, tokens, text))
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return SyntaxProblem(f"cannot parse template: {exc}", Span(0, 0))
    return None


def _error_span(
    parser: jinja2.parser.Parser, exc: jinja2.TemplateSyntaxError, tokens: list[Tok], text: str
) -> Span:
    current = parser.stream.current
    index = LineIndex(text)
    if current.type == jinja2.lexer.TOKEN_EOF:
        unclosed = _innermost_unclosed(text, exc.message or "")
        if unclosed is not None:
            return unclosed  # `{% for ... %}` never closed: point at it, not at the end of the file
        end = len(text.rstrip())
        return Span(max(end - 1, 0), end) if end else Span(0, 0)
    line0 = max((exc.lineno or current.lineno) - 1, 0)
    want = str(current.value) if current.value is not None else ""
    on_line = [t for t in tokens if index.line_of(t.span.start) == line0 and t.kind != "whitespace"]
    for tok in on_line:
        if tok.kind == current.type and (not want or tok.value == want or want in tok.value):
            return tok.span
    if on_line:
        return on_line[0].span
    start = index.offset(line0 + 1, 0)
    return Span(start, start)


_TAG = re.compile(r"\{%[-+]?\s*(\w+)([^%]*)%\}", re.S)
_BLOCKS = frozenset({"for", "if", "macro", "block", "call", "filter", "with", "autoescape", "trans", "set"})
_INNERMOST = re.compile(r"innermost block that needs to be closed is '(\w+)'")


def _innermost_unclosed(text: str, message: str) -> Span | None:
    """The opening tag of the innermost block left open at the end of the template, as jinja2 names
    it ("The innermost block that needs to be closed is 'for'")."""
    named = _INNERMOST.search(message)
    if named is None:
        return None
    stack: list[tuple[str, Span]] = []
    for match in _TAG.finditer(text):
        word, rest = match.group(1), match.group(2)
        if word in _BLOCKS and not (word == "set" and "=" in rest):
            stack.append((word, Span(match.start(), match.end())))
        elif word.startswith("end"):
            opener = word[3:]
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == opener:
                    del stack[index:]
                    break
    for word, span in reversed(stack):
        if word == named.group(1):
            return span
    return None


def _message(exc: jinja2.TemplateSyntaxError) -> str:
    return f"TemplateSyntaxError: {exc.message or exc}"
