"""Garbage-collector settings for a lint run.

Parsing allocates millions of short-lived `ast` nodes that are freed by reference counting; CPython's
default generation-0 threshold (700 allocations) runs a cyclic collection every few hundred nodes and
rescans every long-lived object (registry, tokenizer tables, cached modules) again and again. Measured
on the LLM benchmark corpus, one core: 46.6 s with the defaults, 34.5 s with a larger threshold, and
the same peak RSS. Cycles are still collected, only less often.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

LINT_THRESHOLDS = (10_000, 10, 10)


def tune_for_lint() -> None:
    """For a process that only lints (a pool worker): move what exists to the permanent generation."""
    gc.freeze()
    gc.set_threshold(*LINT_THRESHOLDS)


@contextmanager
def tuned_for_lint() -> Iterator[None]:
    """Lint-friendly collector settings for the duration of a run, restored afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(*LINT_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
