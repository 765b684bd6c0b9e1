"""`assert_stable_prefix`: a pytest helper that checks a prompt builder keeps its cacheable prefix stable.

Call it from your own tests with your own prompt-building function. It calls the function once per
argument variant (twice with the same arguments when given one variant, which catches clocks, ids and
random picks), serialises each result the way the provider caches it (tools, schema, system, then
messages, in order; JSON key order as built) and asserts that everything before the last user message
is identical, reporting the message index, character offset and excerpts where it first differs.

The builder may return a list of chat messages or a request body dict (OpenAI Chat Completions,
Responses `instructions`/`input`, Anthropic `system`/`messages`/`tools`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from promptlint.trace.diverge import first_divergence
from promptlint.trace.normalise import Item, request_items

Variant = Sequence[Any] | Mapping[str, Any]


def assert_stable_prefix(build_fn: Callable[..., Any], *variants: Variant, calls: int = 2) -> tuple[str, ...]:
    """Assert that `build_fn` produces the same cacheable prefix for every variant.

    Args:
        build_fn: your function that returns messages or a request body.
        variants: argument sets; a tuple/list is positional arguments, a Mapping keyword arguments
            (wrap a single dict argument in a tuple). None given: call with no arguments.
        calls: how many times to call when only one variant is given (default 2).

    Returns:
        The stable prefix items' texts (for further assertions).

    Raises:
        AssertionError: the prefixes differ; the message says where.
    """
    plan: list[Variant] = list(variants) or [()]
    if len(plan) == 1:
        plan = plan * max(2, calls)
    prefixes = [_prefix(_call(build_fn, variant)) for variant in plan]
    base = prefixes[0]
    for n, other in enumerate(prefixes[1:], start=1):
        div = first_divergence(base, other)
        if div is None and len(other) > len(base):
            div = first_divergence(other, base)
        if div is not None:
            raise AssertionError(_describe(base, other, div.item, div.offset, n, plan))
    return tuple(item.text for item in base)


def _call(build_fn: Callable[..., Any], variant: Variant) -> Any:
    if isinstance(variant, Mapping):
        return build_fn(**variant)
    return build_fn(*variant)


def _prefix(result: Any) -> tuple[Item, ...]:
    if isinstance(result, Mapping):
        body: Mapping[str, Any] = result
    elif isinstance(result, Sequence) and not isinstance(result, str | bytes):
        body = {"messages": list(result)}
    else:
        raise TypeError(
            f"build_fn returned {type(result).__name__}; expected a message list or a request dict"
        )
    items = request_items(body)
    last_user = max(
        (i for i, it in enumerate(items) if it.section == "messages" and it.role == "user"), default=None
    )
    if last_user is None:
        return tuple(items)
    index = items[last_user].index
    start = min(i for i, it in enumerate(items) if it.section == "messages" and it.index == index)
    return tuple(items[:start])


def _describe(
    base: tuple[Item, ...], other: tuple[Item, ...], item: int, offset: int, n: int, plan: list[Variant]
) -> str:
    ref = base[item] if item < len(base) else other[item]
    where = ref.section if ref.index is None else f"{ref.section} message {ref.index}"
    if ref.block:
        where += f" block {ref.block}"
    was = base[item].text if item < len(base) else "<missing>"
    now = other[item].text if item < len(other) else "<missing>"
    return (
        f"cacheable prefix differs between call 0 ({_show(plan[0])}) and call {n} ({_show(plan[n])}) "
        f"at {where}, char {offset}:\n  call 0: {_excerpt(was, offset)!r}\n  call {n}: {_excerpt(now, offset)!r}"
    )


def _excerpt(text: str, offset: int) -> str:
    start = max(0, offset - 30)
    return ("…" if start else "") + text[start : offset + 50] + ("…" if offset + 50 < len(text) else "")


def _show(variant: Variant) -> str:
    text = repr(dict(variant)) if isinstance(variant, Mapping) else repr(tuple(variant))
    return text if len(text) < 60 else text[:57] + "..."
