"""Anthropic prompt caching with `cache_control` breakpoints.

An entry is a cumulative hash of everything up to the end of a block (tools, system, messages, in
order; scoped by model and workspace `key`). **Writes happen only at breakpoints** whose prefix
reaches the model's minimum. **Reads**, per breakpoint, check the breakpoint's own hash and then walk
back one block at a time, at most `lookback` positions counting the breakpoint itself, for an entry
an earlier request wrote; the lookback never discovers unmarked content. Automatic mode puts one
breakpoint on the last block. More than `max_breakpoints` markers is a 400 from the API.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

from promptlint.simulate.base import Outcome, RejectedRequest, SimRequest


class TooManyBreakpoints(RejectedRequest):
    """The request carries more `cache_control` markers than the API accepts (HTTP 400)."""


def cumulative_hashes(request: SimRequest) -> list[bytes]:
    """One hash per block: of the model, the key and every token up to the block's end."""
    out: list[bytes] = []
    parent = repr((request.model, request.key)).encode()
    start = 0
    for end in request.block_ends:
        parent = hashlib.blake2b(parent + repr(request.tokens[start:end]).encode(), digest_size=16).digest()
        out.append(parent)
        start = end
    return out


class AnthropicModel:
    """Breakpoint writes, 20-block lookback reads, per-model minimum, TTL refreshed on hit.

    Args:
        minimum_for: minimum cacheable tokens for a model name (e.g. `ProviderProfile.minimum_for`).
        lookback: positions checked per breakpoint, counting the breakpoint (20).
        max_breakpoints: markers allowed per request, automatic included (4).
        ttl: seconds an entry lives without a hit (300; 3600 for the 1 h TTL).
    """

    def __init__(
        self,
        *,
        minimum_for: Callable[[str | None], int] = lambda _model: 1024,
        lookback: int = 20,
        max_breakpoints: int = 4,
        ttl: float = 300.0,
    ) -> None:
        self.minimum_for = minimum_for
        self.lookback = lookback
        self.max_breakpoints = max_breakpoints
        self.ttl = ttl
        self._entries: dict[bytes, float] = {}

    def serve(self, request: SimRequest) -> Outcome:
        ends = request.block_ends or ((len(request.tokens),) if request.tokens else ())
        request = dataclasses.replace(request, block_ends=ends)
        points = self._breakpoints(request)
        now = request.time
        for digest, used in list(self._entries.items()):
            if now - used > self.ttl:
                del self._entries[digest]
        hashes = cumulative_hashes(request)
        read_end, read_hash = 0, b""
        for bp in points:
            for j in range(bp, max(-1, bp - self.lookback), -1):
                if hashes[j] in self._entries:
                    if ends[j] > read_end:
                        read_end, read_hash = ends[j], hashes[j]
                    break
        if read_hash:
            self._entries[read_hash] = now
        minimum = self.minimum_for(request.model)
        written_end = 0
        for bp in points:
            if ends[bp] >= minimum and hashes[bp] not in self._entries:
                self._entries[hashes[bp]] = now
                written_end = max(written_end, ends[bp])
        write = max(0, written_end - read_end)
        return Outcome(input_tokens=len(request.tokens), cached_tokens=read_end, write_tokens=write)

    def _breakpoints(self, request: SimRequest) -> list[int]:
        blocks = len(request.block_ends)
        points = {bp for bp in request.breakpoints if 0 <= bp < blocks}
        count = len(points) + (1 if request.automatic else 0)
        if count > self.max_breakpoints:
            raise TooManyBreakpoints(
                f"{count} cache_control breakpoints; the API accepts {self.max_breakpoints}"
            )
        if request.automatic and blocks:
            points.add(blocks - 1)
        return sorted(points)
