"""OpenAI automatic prompt caching (models up to GPT-5.5), and a generic longest-prefix cache.

A request is routed to a machine by a hash of its first `routing_tokens` tokens plus its
`prompt_cache_key` (optional). Each machine remembers the prompts it computed; the hit is the longest
common prefix with any of them, zero below `minimum` (1,024) and otherwise floored to
`minimum + increment * k` (128-token steps). Above `overflow_rpm` requests per minute for one
routing hash, later requests spill to fresh machines. Entries idle longer than `ttl` are dropped.
With `increment=1` and no routing this is the generic "longest common prefix over a minimum" model
used for Gemini implicit caching, whose granularity is unpublished.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field

from promptlint.simulate.base import Outcome, SimRequest, common_prefix_len


@dataclass(slots=True)
class _Machine:
    prompts: dict[tuple[int, ...], float] = field(default_factory=dict)


@dataclass(slots=True)
class _Route:
    machines: list[_Machine] = field(default_factory=list)
    times: deque[float] = field(default_factory=deque)


def floor_hit(length: int, minimum: int, increment: int) -> int:
    """`length` cached tokens as reported: 0 below `minimum`, else `minimum + increment*k` <= length."""
    if length < minimum:
        return 0
    step = max(1, increment)
    return minimum + ((length - minimum) // step) * step


class OpenAIModel:
    """Longest previously computed prefix per machine, floored to 1,024 + 128k.

    Args:
        minimum: minimum cacheable tokens (1,024).
        increment: hit granularity above the minimum (128; 1 for token granularity).
        routing_tokens: route by a hash of this many leading tokens (+ key); None = one machine.
        overflow_rpm: requests per minute one routing hash takes before spilling (~15); None = never.
        ttl: idle seconds before an entry is dropped (5-10 min in memory).
        memory: prompts remembered per machine (oldest dropped first).
    """

    def __init__(
        self,
        *,
        minimum: int = 1024,
        increment: int = 128,
        routing_tokens: int | None = 256,
        overflow_rpm: float | None = None,
        ttl: float = 600.0,
        memory: int = 256,
    ) -> None:
        self.minimum = minimum
        self.increment = increment
        self.routing_tokens = routing_tokens
        self.overflow_rpm = overflow_rpm
        self.ttl = ttl
        self.memory = memory
        self._routes: dict[str, _Route] = {}

    def serve(self, request: SimRequest) -> Outcome:
        machine = self._machine(request)
        now, tokens = request.time, request.tokens
        for prompt, used in list(machine.prompts.items()):
            if now - used > self.ttl:
                del machine.prompts[prompt]
        longest = 0
        source: tuple[int, ...] | None = None
        for prompt in machine.prompts:
            shared = common_prefix_len(prompt, tokens)
            if shared > longest:
                longest, source = shared, prompt
        hit = floor_hit(longest, self.minimum, self.increment)
        if hit and source is not None:
            machine.prompts[source] = now
        machine.prompts.pop(tokens, None)
        machine.prompts[tokens] = now
        while len(machine.prompts) > self.memory:
            del machine.prompts[next(iter(machine.prompts))]
        return Outcome(input_tokens=len(tokens), cached_tokens=hit)

    def _machine(self, request: SimRequest) -> _Machine:
        digest = ""
        if self.routing_tokens is not None:
            head = request.tokens[: self.routing_tokens]
            digest = hashlib.blake2b(repr((head, request.key)).encode(), digest_size=8).hexdigest()
        route = self._routes.setdefault(digest, _Route())
        index = 0
        if self.overflow_rpm is not None:
            while route.times and request.time - route.times[0] >= 60.0:
                route.times.popleft()
            index = int(len(route.times) // self.overflow_rpm)
            route.times.append(request.time)
        while len(route.machines) <= index:
            route.machines.append(_Machine())
        return route.machines[index]
