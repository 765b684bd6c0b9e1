"""Name the cause of a prefix break between two related requests (structure first, then content).

Content causes (`timestamp`, `id`, `json-key-order`) win when the text at the divergence says so;
otherwise the section decides: tools or schema -> `tools-changed`, system -> `system-changed`,
messages -> `sliding-window` when the history merely lost its oldest messages, else `history-edited`.
"""

from __future__ import annotations

from promptlint.trace.diverge import Divergence, content_cause, is_sliding_window
from promptlint.trace.expect import Snapshot
from promptlint.trace.normalise import Item


def slid(prev: Snapshot, new: Snapshot) -> bool:
    """A sliding window seen from outside a conversation: same system, history shifted by k messages."""
    if prev.first_user != new.first_user or prev.items[: prev.first_user] != new.items[: new.first_user]:
        return False
    old = messages_of(prev.items)
    return len(old) > 1 and is_sliding_window(old, messages_of(new.items))


def classify_break(prev: Snapshot, new: Snapshot, div: Divergence) -> str:
    old_item = prev.items[div.item]
    found = content_cause(div.was, div.now, div.offset)
    if found is not None:
        return found
    if old_item.section in ("tools", "schema"):
        return "tools-changed"
    if old_item.section == "system":
        return "system-changed"
    if is_sliding_window(messages_of(prev.items), messages_of(new.items)):
        return "sliding-window"
    return "history-edited"


def messages_of(items: tuple[Item, ...]) -> list[str]:
    """Non-system messages as one string each (blocks joined), in order."""
    out: list[str] = []
    current: int | None = None
    for item in items:
        if item.section != "messages":
            continue
        if item.index != current or not out:
            out.append(f"{item.role}\x1f{item.text}")
            current = item.index
        else:
            out[-1] += "\x1e" + item.text
    return out
