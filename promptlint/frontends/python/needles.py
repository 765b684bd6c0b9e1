"""The prompt words, and the one scan per file that finds the lines holding them.

Only statements and expressions on lines with a prompt word are analysed (`walk.py`), so every prompt
site, message list, header dict and history operation must have one on its own lines. Words in
`EXACT_NEEDLES` count as written (`Message`, `role`); those in `ANY_CASE_NEEDLES` in any letter case
(`system`, `System`, `SYSTEM`). The history words are those of `history.HISTORY_NAME`, which ignores
case too (`MESSAGES[-10:]`, `self.chatHistory.pop(0)`).

The scan is one pass of an Aho-Corasick automaton (ahocorasick-rs) over the lower-cased text, which
also notes whether the file names an LLM API (`headers.LLM_MARKERS`); exact-case words are checked
against the original text at each hit, and lines are counted between hits, so the file's line index
is not built for the scan. On the LLM benchmark corpus (11,336 files) this takes 1.2 s, lower-casing
included, against 2.5 s for one `str.find` pass per word over the line index. A text whose lower-cased
form has another length (a few non-ASCII letters lower-case to two characters) is scanned word by word
instead, so offsets stay exact.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import partial

from ahocorasick_rs import AhoCorasick

from promptlint.frontends.python.headers import LLM_MARKERS, is_llm_module
from promptlint.source import SourceFile

EXACT_NEEDLES = (
    "Message",
    "role",
    "cache_control",
    "completion",
    "generate_content",
    "responses",
)
ANY_CASE_NEEDLES = (
    "system",
    "prompt",
    "instruction",
    "header",
    "messages",
    "history",
    "conversation",
    "memory",
    "deque",
    "transcript",
    "chat_log",
    "dialog",
    "turns",
)
# Occurrences that do not count: `turns` right after `re`/`Re` is the docstring word "returns".
NOT_AFTER = {"turns": "re"}

_SPELLINGS = tuple(v for n in ANY_CASE_NEEDLES for v in (n, n.capitalize(), n.upper()))
# The automaton's words, all lower-case: the any-case words, the exact words (checked against the
# original text at each hit) and the LLM markers (which mark no line).
_WORDS = (*ANY_CASE_NEEDLES, *(n.lower() for n in EXACT_NEEDLES), *LLM_MARKERS)
_EXACT_AT = {len(ANY_CASE_NEEDLES) + i: n for i, n in enumerate(EXACT_NEEDLES)}
_FIRST_MARKER = len(ANY_CASE_NEEDLES) + len(EXACT_NEEDLES)
_NOT_AFTER_AT = {ANY_CASE_NEEDLES.index(n): before for n, before in NOT_AFTER.items()}
_MATCHER = AhoCorasick(list(_WORDS))


@dataclass(frozen=True)
class NeedleLines:
    """Which lines contain a prompt word, as prefix counts: `prefix[n]` is the number of such lines in
    lines 1..n, so "does any line of first..last mention one" is `prefix[last] != prefix[first - 1]`.
    `llm` says whether the text names an LLM API (`headers.is_llm_module`)."""

    prefix: list[int]
    llm: bool = False

    @property
    def mentions(self) -> bool:
        """Whether any line contains a prompt word."""
        return self.prefix[-1] > 0

    @classmethod
    def of(cls, source: SourceFile) -> NeedleLines:
        """Scan `source` in one pass, mapping each hit to its line."""
        text = source.text
        lowered = source.lowered
        if len(lowered) != len(text):
            return cls.word_by_word(source)
        # `ast` counts a lone `\r` as a line break too, so such a text maps hits through its line index;
        # any other text counts line breaks between hits and never builds the index.
        starts = source.lines.starts if "\r" in text else ()
        marks = bytearray()
        llm = False
        line_start = 0  # where the line after the last marked one starts: hits before it are done
        next_line = 1  # that line's number
        # Overlapping hits come in the order of their ends, and no word holds a line break, so the
        # lines of the hits never decrease.
        for index, start, _end in _MATCHER.find_matches_as_indexes(lowered, overlapping=True):
            if index >= _FIRST_MARKER:
                llm = True
                continue
            if start < line_start:
                continue  # on a line already marked
            exact = _EXACT_AT.get(index)
            if exact is not None and not text.startswith(exact, start):
                continue
            before = _NOT_AFTER_AT.get(index)
            if (
                before is not None
                and start >= len(before)
                and lowered.startswith(before, start - len(before))
            ):
                continue
            if not marks:
                marks = bytearray((len(starts) if starts else text.count("\n") + 1) + 2)
            if starts:
                line = bisect.bisect_right(starts, start)
                line_start = starts[line] if line < len(starts) else len(text) + 1
            else:
                line = next_line + text.count("\n", line_start, start)
                end_of_line = text.find("\n", start)
                line_start = end_of_line + 1 if end_of_line >= 0 else len(text) + 1
            marks[line] = 1
            next_line = line + 1
        return cls(list(itertools.accumulate(marks)) if marks else [0], llm)

    def with_words(self, source: SourceFile, words: tuple[str, ...]) -> NeedleLines:
        """These lines plus those holding one of `words` as written (the keyword arguments of sinks a
        config adds, `persona=`), found with one `str.find` pass per word."""
        if not words:
            return self
        text = source.text
        marks = bytearray(len(source.lines.starts) + 2)
        for line in range(1, len(self.prefix)):
            if self.prefix[line] != self.prefix[line - 1] and line < len(marks):
                marks[line] = 1
        for word in words:
            position = text.find(word)
            while position >= 0:
                marks[bisect.bisect_right(source.lines.starts, position)] = 1
                position = text.find(word, position + len(word))
        return NeedleLines(list(itertools.accumulate(marks)), self.llm)

    @classmethod
    def word_by_word(cls, source: SourceFile) -> NeedleLines:
        """The same scan, one `str.find` pass per word and spelling over the original text, with the
        line index (any line ending)."""
        text = source.text
        starts: tuple[int, ...] = ()
        marks = bytearray()
        for needle in (*EXACT_NEEDLES, *_SPELLINGS):
            find = text.find if needle.lower() not in NOT_AFTER else partial(_find, text)
            position = find(needle, 0)
            if position >= 0 and not starts:
                starts = source.lines.starts
                marks = bytearray(len(starts) + 2)
            while position >= 0:
                line = bisect.bisect_right(starts, position)
                marks[line] = 1
                position = find(needle, starts[line] if line < len(starts) else len(text))
        return cls(list(itertools.accumulate(marks)) if starts else [0], is_llm_module(source.lowered))


def _find(text: str, needle: str, start: int) -> int:
    """`text.find(needle, start)`, skipping occurrences that `NOT_AFTER` says do not count."""
    position = text.find(needle, start)
    before = NOT_AFTER.get(needle.lower())
    if before is not None:
        while position >= len(before) and text[position - len(before) : position].lower() == before:
            position = text.find(needle, position + 1)
    return position
