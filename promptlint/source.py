"""Source files and position conversion.

`SourceFile` is the decoded text of one linted file plus how it was stored on disk (encoding, BOM,
line ending), so fixes can be written back byte-faithfully. `LineIndex` converts character offsets
to 1-based line/column for humans, 0-based line + UTF-16 column for LSP, and UTF-8 byte columns
(what CPython's `ast` reports) back to offsets.
"""

from __future__ import annotations

import bisect
import codecs
import enum
import io
import itertools
import operator
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property


class FileKind(enum.StrEnum):
    """Which frontend reads a file."""

    PYTHON = "python"
    JINJA = "jinja"
    PROMPTY = "prompty"
    TEXT = "text"


class DecodeFailure(Exception):
    """The bytes could not be decoded; `offset` is the first bad byte, `line` its 1-based line."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class SourceFile:
    """One file's decoded text and how to write it back."""

    path: str
    text: str
    kind: FileKind
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    lossless: bool = True  # encoding the text again gives back the bytes read (fixes may be written)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @property
    def line_count(self) -> int:
        """The number of lines, as `LineIndex` counts them, without building the index when it is not."""
        if "lines" in self.__dict__ or "\r" in self.text:
            return self.lines.line_count
        return self.text.count("\n") + 1

    @cached_property
    def lowered(self) -> str:
        """The text lower-cased once, for the case-insensitive word scans of the frontends."""
        return self.text.lower()

    def encode(self, text: str) -> bytes:
        """Encode `text` the way this file was stored (same encoding and BOM).

        Raises:
            UnicodeError: `text` holds a character the file's encoding cannot store.
        """
        data = text.encode(self.encoding)
        return (codecs.BOM_UTF8 + data) if self.bom else data

    def encodes(self, text: str) -> bool:
        """Whether `text` can be written back in this file's encoding, byte-faithfully."""
        if not self.lossless:
            return False
        try:
            self.encode(text)
        except (UnicodeError, LookupError, ValueError, TypeError):
            return False
        return True


def decode_source(path: str, data: bytes, kind: FileKind) -> SourceFile:
    """Decode file bytes (PEP 263 cookie for Python, else UTF-8) into a `SourceFile`.

    Raises:
        DecodeFailure: the bytes are not valid in the declared or default encoding.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    encoding = "utf-8"
    cookie_error = ""
    if kind is FileKind.PYTHON and not bom and b"coding" in _first_two_lines(data):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            encoding = "utf-8"  # no usable cookie: report where UTF-8 decoding fails, if it does
            cookie_error = str(exc)
        if encoding == "utf-8-sig":
            encoding = "utf-8"
    try:
        if not codecs.lookup(encoding)._is_text_encoding:
            raise LookupError(f"{encoding!r} is not a text encoding")
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DecodeFailure(f"cannot decode as {encoding}: {exc}", line, column) from None
    except Exception as exc:  # a codec may raise anything (punycode: a bare UnicodeError)
        where = _cookie_line(data) if encoding != "utf-8" else 1
        detail = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(exc))
        raise DecodeFailure(
            f"cannot decode as {encoding}: {type(exc).__name__}: {detail}", where, 1
        ) from None
    if kind is FileKind.PYTHON and not bom and cookie_error:
        raise DecodeFailure(cookie_error, _cookie_line(data), 1)
    return SourceFile(
        path, text, kind, encoding, bom, detect_newline(text), _round_trips(text, body, encoding)
    )


def _round_trips(text: str, body: bytes, encoding: str) -> bool:
    """Whether encoding `text` again gives exactly `body` (false for lossy or stateful codecs)."""
    if encoding == "utf-8":
        return True  # a successful strict UTF-8 decode always round-trips
    try:
        return text.encode(encoding) == body
    except Exception:  # as above, codecs may raise anything
        return False


def _cookie_line(data: bytes) -> int:
    """The 1-based line of the PEP 263 cookie (1 or 2)."""
    first = data.find(b"\n")
    return 2 if first >= 0 and b"coding" not in data[:first] else 1


def _first_two_lines(data: bytes) -> bytes:
    """Where a PEP 263 encoding cookie may be (lines as `tokenize.detect_encoding` reads them)."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return data if second < 0 else data[:second]


def detect_newline(text: str) -> str:
    """The first line ending in `text` (`\\r\\n`, `\\r` or `\\n`); `\\n` when there is none."""
    newline = text.find("\n")
    carriage = text.find("\r", 0, newline if newline >= 0 else len(text))
    if carriage < 0:
        return "\n"
    return "\r\n" if text.startswith("\n", carriage + 1) else "\r"


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and 1-based character column."""

    line: int
    column: int


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class LineIndex:
    """Offset <-> line/column conversion for one text (lines split at `\\n`, `\\r\\n` or `\\r`)."""

    text: str
    starts: tuple[int, ...] = field(init=False)
    ascii: bool = field(init=False)  # byte columns equal character columns everywhere

    def __post_init__(self) -> None:
        object.__setattr__(self, "ascii", self.text.isascii())
        if "\r" in self.text:
            starts = [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]
        else:  # the common case, at C speed
            # starts[i] = (length of the first i lines) + i line breaks, all at C speed
            lengths = itertools.accumulate(map(len, self.text.split("\n")[:-1]), initial=0)
            starts = list(map(operator.add, lengths, itertools.count()))
        object.__setattr__(self, "starts", tuple(starts))

    def line_of(self, offset: int) -> int:
        """0-based line number containing `offset`."""
        return bisect.bisect_right(self.starts, offset) - 1

    def position(self, offset: int) -> Position:
        """1-based line and column (in characters) of `offset`."""
        line = self.line_of(offset)
        return Position(line + 1, offset - self.starts[line] + 1)

    def line_text(self, line0: int) -> str:
        """Text of 0-based `line0` without its line break."""
        start = self.starts[line0]
        end = self.starts[line0 + 1] if line0 + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def offset(self, line1: int, column0: int) -> int:
        """Offset of 1-based `line1` and 0-based character column."""
        line0 = min(max(line1 - 1, 0), len(self.starts) - 1)
        return min(self.starts[line0] + column0, len(self.text))

    def offset_from_utf8(self, line1: int, byte_col: int) -> int:
        """Offset of 1-based line and 0-based UTF-8 *byte* column (as `ast` reports them)."""
        line0 = min(max(line1 - 1, 0), len(self.starts) - 1)
        if self.ascii:
            end = self.starts[line0 + 1] if line0 + 1 < len(self.starts) else len(self.text)
            return min(self.starts[line0] + byte_col, end)
        text = self.line_text(line0)
        if text.isascii():
            return self.starts[line0] + min(byte_col, len(text))
        prefix = text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")
        return self.starts[line0] + len(prefix)

    def utf16_position(self, offset: int) -> tuple[int, int]:
        """0-based line and UTF-16 code-unit column of `offset` (the LSP convention)."""
        line0 = self.line_of(offset)
        prefix = self.text[self.starts[line0] : offset]
        return line0, len(prefix.encode("utf-16-le")) // 2

    def offset_from_utf16(self, line0: int, character: int) -> int:
        """Offset of a 0-based line and UTF-16 column (clamped to the line)."""
        line0 = min(max(line0, 0), len(self.starts) - 1)
        text = self.line_text(line0)
        units = 0
        for i, ch in enumerate(text):
            if units >= character:
                return self.starts[line0] + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return self.starts[line0] + len(text)
