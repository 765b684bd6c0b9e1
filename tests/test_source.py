"""Decoding files (PEP 263 cookies, BOMs, bad bytes) and counting their lines."""

from __future__ import annotations

import pytest

from promptlint.source import DecodeFailure, FileKind, LineIndex, SourceFile, decode_source, detect_newline


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        (b"x = 'caf\xc3\xa9'\n", "utf-8", "x = 'caf\u00e9'\n"),
        (
            b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n",
            "iso-8859-1",
            "# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\n",
        ),
        (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n", "cp1252", None),
        (
            b"x = 1\n# coding: latin-1\ny = 'caf\xc3\xa9'\n",
            "utf-8",
            "x = 1\n# coding: latin-1\ny = 'caf\u00e9'\n",
        ),
        (b"\xef\xbb\xbfx = 'caf\xc3\xa9'\n", "utf-8", "x = 'caf\u00e9'\n"),
    ],
    ids=["utf8", "cookie-line-1", "cookie-line-2", "cookie-on-line-3-ignored", "bom"],
)
def test_python_files_are_decoded_by_their_cookie(data: bytes, encoding: str, text: str | None) -> None:
    source = decode_source("m.py", data, FileKind.PYTHON)
    assert source.encoding == encoding
    if text is not None:
        assert source.text == text


def test_a_bad_byte_is_reported_at_its_line_and_column() -> None:
    with pytest.raises(DecodeFailure) as caught:
        decode_source("m.py", b"x = 1\ny = 'caf\xe9'\n", FileKind.PYTHON)
    assert (caught.value.line, caught.value.column) == (2, 9)


def test_an_unknown_cookie_is_a_decode_failure() -> None:
    with pytest.raises(DecodeFailure):
        decode_source("m.py", b"# coding: no-such-codec\nx = 1\n", FileKind.PYTHON)


@pytest.mark.parametrize(
    "text", ["", "x", "x\n", "a\nb", "a\nb\n\n", "a\r\nb\r\n", "a\rb", "a\r\n\rb\n", "\u00e9\n\u2028x\n"]
)
def test_line_count_matches_the_line_index(text: str) -> None:
    counted = SourceFile("m.py", text, FileKind.PYTHON).line_count
    assert counted == LineIndex(text).line_count
    indexed = SourceFile("m.py", text, FileKind.PYTHON)
    _ = indexed.lines
    assert indexed.line_count == counted


@pytest.mark.parametrize(
    ("text", "newline"),
    [
        ("", "\n"),
        ("a", "\n"),
        ("a\nb\r\n", "\n"),
        ("a\r\nb\n", "\r\n"),
        ("a\rb\n", "\r"),
        ("x\r", "\r"),
        ("\r\n", "\r\n"),
    ],
)
def test_the_first_line_ending_is_the_files_line_ending(text: str, newline: str) -> None:
    assert detect_newline(text) == newline


@pytest.mark.parametrize(
    "data",
    [
        b"# -*- coding: punycode -*-\nx = 1\n",  # a real codec that raises a bare UnicodeError
        b"# coding: rot13\nx = 1\n",  # a str-to-str codec, not a text encoding
        b"# coding: hex\nx = 1\n",  # a bytes-to-bytes codec
        b"#!/usr/bin/env python\n# coding: no-such-codec\nx = 1\n",
    ],
)
def test_any_codec_failure_is_a_decode_failure_at_the_cookie(data: bytes) -> None:
    with pytest.raises(DecodeFailure) as info:
        decode_source("x.py", data, FileKind.PYTHON)
    assert info.value.line == data[: data.index(b"coding")].count(b"\n") + 1
    assert "\n" not in str(info.value)


def test_a_codec_that_does_not_round_trip_is_not_written_back() -> None:
    plain = decode_source("x.py", "# coding: latin-1\nx = 'é'\n".encode("latin-1"), FileKind.PYTHON)
    assert plain.lossless and plain.encodes("x = 'ü'\n") and not plain.encodes("x = '€'\n")
    # UTF-7 reads `+AOk-` but writes the same text back as `+AOk`: never rewrite such a file.
    utf7 = decode_source("x.py", b"# coding: utf-7\nx = '+AOk-'\n", FileKind.PYTHON)
    assert utf7.text.endswith("x = '\u00e9'\n") and not utf7.lossless and not utf7.encodes(utf7.text)
