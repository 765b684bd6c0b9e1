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

import libcst


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
        try:
            module = libcst.parse_module(text)
        except Exception:
            raise original from None
        try:
            rewritten = module.visit(_Downgrade()).code
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
    try:
        libcst.parse_module(text)
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


class _Downgrade(libcst.CSTTransformer):
    """Rewrites the constructs of Python 3.12+ that older `ast` parsers reject, line for line."""

    def leave_TypeAlias(
        self, original_node: libcst.TypeAlias, updated_node: libcst.TypeAlias
    ) -> libcst.Assign:
        return libcst.Assign(
            targets=[libcst.AssignTarget(target=updated_node.name)],
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    def leave_FunctionDef(
        self, original_node: libcst.FunctionDef, updated_node: libcst.FunctionDef
    ) -> libcst.FunctionDef:
        return (
            updated_node.with_changes(type_parameters=None) if updated_node.type_parameters else updated_node
        )

    def leave_ClassDef(
        self, original_node: libcst.ClassDef, updated_node: libcst.ClassDef
    ) -> libcst.ClassDef:
        return (
            updated_node.with_changes(type_parameters=None) if updated_node.type_parameters else updated_node
        )

    def leave_TemplatedString(
        self, original_node: libcst.TemplatedString, updated_node: libcst.TemplatedString
    ) -> libcst.BaseExpression:
        parts: list[libcst.BaseFormattedStringContent] = []
        for part in updated_node.parts:
            if isinstance(part, libcst.TemplatedStringText):
                parts.append(libcst.FormattedStringText(part.value))
            elif isinstance(part, libcst.TemplatedStringExpression):
                parts.append(
                    libcst.FormattedStringExpression(
                        expression=part.expression, conversion=part.conversion, format_spec=None
                    )
                )
        start = updated_node.start.replace("t", "f").replace("T", "f")
        return self._requote(libcst.FormattedString(parts=parts, start=start, end=updated_node.end))

    def leave_FormattedString(
        self, original_node: libcst.FormattedString, updated_node: libcst.FormattedString
    ) -> libcst.BaseExpression:
        return self._requote(updated_node)

    def _requote(self, node: libcst.FormattedString) -> libcst.BaseExpression:
        code = libcst.Module(body=[]).code_for_node(node)
        if _parses_alone(code):
            return node
        parts = [
            part.with_changes(expression=part.expression.visit(_Unescape()))
            if isinstance(part, libcst.FormattedStringExpression)
            else part
            for part in node.parts
        ]
        prefix = node.start.rstrip("'\"")
        quote = node.end[0]
        for triple in (quote * 3, ("'" if quote == '"' else '"') * 3):
            candidate = node.with_changes(parts=parts, start=prefix + triple, end=triple)
            if _parses_alone(libcst.Module(body=[]).code_for_node(candidate)):
                return candidate
        return node


class _Unescape(libcst.CSTTransformer):
    """Replaces string literals that hold a backslash by `chr(...)`-built equivalents."""

    def leave_SimpleString(
        self, original_node: libcst.SimpleString, updated_node: libcst.SimpleString
    ) -> libcst.BaseExpression:
        if "\\" not in updated_node.value or "b" in updated_node.prefix.lower():
            return updated_node
        try:
            value = ast.literal_eval(updated_node.value)  # a literal only: nothing is executed
        except (SyntaxError, ValueError):
            return updated_node
        if not isinstance(value, str):
            return updated_node
        pieces: list[str] = []
        run = ""
        for char in value:
            if char.isprintable() and char not in "\\'\"":
                run += char
                continue
            if run:
                pieces.append(repr(run))
                run = ""
            pieces.append(f"chr({ord(char)})")
        if run or not pieces:
            pieces.append(repr(run))
        return libcst.parse_expression("(" + " + ".join(pieces) + ")")


def _parses_alone(code: str) -> bool:
    try:
        _ast_parse(f"(\n{code}\n)", "<fstring>")
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True
