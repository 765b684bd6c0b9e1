"""Parse Python of any version libcst reads into an `ast` tree, whatever interpreter runs promptlint.

The analysis works on `ast`. On an interpreter older than the code (3.11 reading PEP 695 generics or
PEP 701 f-strings, say), `ast.parse` fails on valid code. Then libcst's own parser, which reads Python
3.0 through 3.14, decides whether the file is really broken; if it is valid, the few constructs the
running interpreter lacks are rewritten, line for line, into equivalents it accepts:

- `type X[T] = v` becomes `X = v`; type parameter lists (`def f[T]`, `class C[T]`) are dropped;
- an f-string that only newer grammars accept (the outer quote or a backslash inside a replacement
  field) is requoted with triple quotes and its inner escapes become `chr(...)` calls;
- a PEP 750 t-string is read as the f-string it renders like.

The rewrite keeps every line where it was, so line numbers are exact; columns on a rewritten line may
move, which is why callers treat such a file's positions as approximate (no fixes are offered there).
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Parsed:
    """An `ast` tree, and whether it came from a rewrite of newer syntax (columns approximate)."""

    tree: ast.Module
    rewritten: bool = False


class NewerSyntax(Exception):
    """The file is valid Python (libcst reads it) but could not be rewritten for this interpreter."""


def parse_python(text: str, path: str = "<unknown>") -> Parsed:
    """Parse `text`; raise the interpreter's SyntaxError when the file is really broken."""
    try:
        return Parsed(_ast_parse(text, path))
    except SyntaxError as original:
        if sys.version_info >= (3, 14) or not _libcst_may_read(text, original):
            raise
        from promptlint.frontends.python import downgrade  # libcst costs ~0.2 s to import: only here

        try:
            module = downgrade.parse_module(text)
        except Exception:
            raise original from None
        try:
            rewritten = downgrade.downgraded(module)
            return Parsed(_ast_parse(rewritten, path), rewritten=True)
        except (SyntaxError, ValueError, RecursionError) as exc:
            raise NewerSyntax(str(original.msg)) from exc


def is_valid_python(text: str) -> bool:
    """Whether `text` is valid Python of some version: `compile` on this interpreter, else libcst."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<check>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    try:
        _ast_parse(text, "<check>")
        return False  # the grammar accepts it, the compiler does not (a repeated keyword, say)
    except SyntaxError as exc:
        if not _libcst_may_read(text, exc):
            return False
    except (ValueError, RecursionError, MemoryError):
        return False  # too deep or too big for the interpreter: no other Python reads it either
    from promptlint.frontends.python import downgrade

    try:
        downgrade.parse_module(text)
    except Exception:
        return False
    return True


# libcst's native parser overflows its stack (a segfault, not an exception) on deep nesting, and is
# slow on big files; it is only asked about files the interpreter rejects for their syntax.
LIBCST_MAX_BYTES = 1024 * 1024
_TOO_DEEP = ("too many nested", "too many statically nested", "recursion", "too complex")


def _libcst_may_read(text: str, error: SyntaxError) -> bool:
    message = str(error.msg or "").lower()
    return len(text) <= LIBCST_MAX_BYTES and not any(word in message for word in _TOO_DEEP)


def _ast_parse(text: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, path)


def _parses_alone(code: str) -> bool:
    try:
        _ast_parse(f"(\n{code}\n)", "<fstring>")
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True
