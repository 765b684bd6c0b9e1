"""Name the cause of a prefix break between two related requests (structure first, then content).

Content causes (`timestamp`, `id`, `json-key-order`) win when the text at the divergence says so;
otherwise the section decides: tools or schema -> `tools-changed`, system -> `system-changed`,
messages -> `sliding-window` when the history merely lost its oldest messages, else `history-edited`.
"""

from __future__ import annotations

from promptlint.providers import ProviderProfile
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


def breakpoint_cause(profile: ProviderProfile, prev: Snapshot, new: Snapshot, limit: int) -> str:
    """Why Anthropic served less than the shared prefix (everything before item `limit`) allows.

    `too-many-breakpoints`: more `cache_control` markers than the API accepts; `no-breakpoint`: a
    request without markers writes and reads nothing; `breakpoint-too-late`: every entry the previous
    request wrote ends at or after the first change, so it is written and never read;
    `breakpoint-moved`: this request's markers all sit before the entries written last time;
    `breakpoint-lookback`: an entry was written in the shared prefix but more than the lookback
    window (20 blocks) before each marker; `breakpoint`: anything else (a prefix under the minimum).
    """
    if len(new.breakpoints) > (profile.max_breakpoints or 4):
        return "too-many-breakpoints"
    if not prev.breakpoints or not new.breakpoints:
        return "no-breakpoint"
    usable = [w for w in prev.breakpoints if w < limit]
    if not usable:
        return "breakpoint-too-late"
    if all(bp < min(usable) for bp in new.breakpoints):
        return "breakpoint-moved"
    lookback = profile.lookback_blocks or 20
    if not any(w <= bp < w + lookback for w in usable for bp in new.breakpoints):
        return "breakpoint-lookback"
    return "breakpoint"
