"""The prompt-word scan: the one-pass automaton agrees with one `str.find` pass per word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlint.frontends.python.needles import ANY_CASE_NEEDLES, EXACT_NEEDLES, NeedleLines
from promptlint.source import FileKind, SourceFile


def _lines(text: str) -> NeedleLines:
    return NeedleLines.of(SourceFile("m.py", text, FileKind.PYTHON))


def _marked(text: str) -> list[int]:
    prefix = _lines(text).prefix
    return [n for n in range(1, len(prefix)) if prefix[n] != prefix[n - 1]]


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("x = 1\nSYSTEM = 'a'\ny = 2\n", [2]),
        ("msg = Message()\nmessage = 1\n", [1]),  # `Message` counts only as written
        ("r = 'Role'\nrole = 1\n", [2]),
        ('"""Returns: x"""\nturns = []\n', [2]),  # `turns` in "returns" does not count
        ("a\r\nchatHistory.pop(0)\r\n", [2]),
        ("x = 1\n", []),
        ("", []),
    ],
)
def test_marked_lines(text: str, marked: list[int]) -> None:
    assert _marked(text) == marked


def test_llm_markers_are_noted_without_marking_lines() -> None:
    found = _lines("import openai\nx = 1\n")
    assert found.llm and not found.mentions
    assert not _lines("import requests\nsystem = 1\n").llm


def test_a_text_whose_lower_case_is_longer_is_scanned_word_by_word() -> None:
    text = "name = '\u0130stanbul'\nsystem = 1\n"  # U+0130 lower-cases to two characters
    assert len(text.lower()) != len(text)
    assert _marked(text) == [2]


_PIECES = st.sampled_from(
    [
        *EXACT_NEEDLES,
        *ANY_CASE_NEEDLES,
        *(n.upper() for n in ANY_CASE_NEEDLES),
        *(n.capitalize() for n in ANY_CASE_NEEDLES),
        *(n.upper() for n in EXACT_NEEDLES),
        "re",
        "Re",
        "x",
        " ",
        "\n",
        "\r\n",
        "\r",
        "_",
        "\u00e9",
        "openai",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_the_automaton_agrees_with_one_pass_per_word(pieces: list[str]) -> None:
    source = SourceFile("m.py", "".join(pieces), FileKind.PYTHON)
    assert NeedleLines.of(source) == NeedleLines.word_by_word(source)
