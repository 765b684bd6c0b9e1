"""vLLM automatic prefix caching: chained hashes of full KV blocks.

Each full block of `block_size` tokens is keyed by (parent hash, its token ids, extra keys); the
request `key` stands for `cache_salt`, which enters the first block. A lookup takes the longest run
of cached blocks from the start, capped so the last prompt token is recomputed:
hit = floor((n - 1) / block) * block at most. Blocks are evicted LRU beyond `capacity` blocks.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from promptlint.simulate.base import Outcome, SimRequest


def block_hashes(tokens: tuple[int, ...], block_size: int, salt: str = "") -> list[bytes]:
    """Chained hash of every full block of `tokens` (the salt is mixed into the first block)."""
    out: list[bytes] = []
    parent = salt.encode()
    for start in range(0, len(tokens) - block_size + 1, block_size):
        parent = hashlib.blake2b(
            parent + repr(tokens[start : start + block_size]).encode(), digest_size=16
        ).digest()
        out.append(parent)
    return out


class VLLMModel:
    """Block-aligned prefix reuse with `block_size` (16) and an optional LRU block capacity."""

    def __init__(self, *, block_size: int = 16, capacity: int | None = None) -> None:
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self.block_size = block_size
        self.capacity = capacity
        self._blocks: OrderedDict[bytes, None] = OrderedDict()

    def serve(self, request: SimRequest) -> Outcome:
        tokens = request.tokens
        hashes = block_hashes(tokens, self.block_size, request.key)
        limit = max(0, (len(tokens) - 1) // self.block_size)
        hit_blocks = 0
        for digest in hashes[:limit]:
            if digest not in self._blocks:
                break
            hit_blocks += 1
        for digest in reversed(hashes):  # freed tail-first, so the tail is evicted first
            self._blocks[digest] = None
            self._blocks.move_to_end(digest)
        if self.capacity is not None:
            while len(self._blocks) > self.capacity:
                self._blocks.popitem(last=False)
        return Outcome(input_tokens=len(tokens), cached_tokens=hit_blocks * self.block_size)
