"""File that cannot be parsed or decoded.

## What it does
Reports a Python file with a syntax error, a template that does not parse, or a file whose bytes are
not valid in its encoding, at the line and column where parsing failed.

## Why is this bad?
promptlint cannot see the prompts in a file it cannot parse, so their cache problems go unreported.
The run goes on: every other file is still linted.

## Known limitations
On Python 3.11 the parser does not accept syntax introduced in 3.12+ (PEP 695, 701); such files are
reported here with a note that the syntax needs a newer Python.
"""

from promptlint.api import EngineRule, Example, Severity


class ParseError(EngineRule):
    code = "PC001"
    name = "parse-error"
    severity = Severity.ERROR
    message = "Cannot parse file: {error}"
    examples = (
        Example.bad("def build_prompt(:\n    return 'You are helpful'\n"),
        Example.good("def build_prompt():\n    return 'You are helpful'\n"),
    )
