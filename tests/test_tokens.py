"""Token counting works offline from the shipped encoding files and matches tiktoken's ids."""

from __future__ import annotations

from promptlint.tokens import ApproximateCounter, TiktokenCounter, load_encoding


def test_offline_counts_match_known_values() -> None:
    counter = TiktokenCounter("o200k_base")
    assert counter.count("") == 0
    assert counter.count("hello world") == 2
    cl100k = load_encoding("cl100k_base")
    assert cl100k.encode_ordinary("hello world") == [15339, 1917]


def test_approximate_counter_is_deterministic() -> None:
    assert ApproximateCounter().count("abcdefgh") == 2
