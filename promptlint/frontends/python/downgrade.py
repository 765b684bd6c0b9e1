"""The libcst half of `parse.py`: reading Python newer than the interpreter and rewriting the few
constructs it lacks, line for line (see `parse.py`'s docstring). Imported only when `ast.parse`
fails, because libcst takes a fifth of a second to import.
"""

from __future__ import annotations

import ast

import libcst

from promptlint.frontends.python.parse import _parses_alone


def parse_module(text: str) -> libcst.Module:
    return libcst.parse_module(text)


def downgraded(module: libcst.Module) -> str:
    """The module's code with 3.12+ constructs rewritten for this interpreter."""
    return module.visit(_Downgrade()).code


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
