"""Conversation history cut from the front, so the prefix shifts every turn.

## What it does
Flags a sliding window over a history (`messages[-N:]`, `history[start:]` with a variable start),
`pop(0)`/`popleft()`, `del history[0]`/`del history[:k]` and `deque(maxlen=N)` histories.

## Why is this bad?
Once the window is full, every turn drops the oldest message, so the request no longer starts with
what the previous request started with: from the first dropped message on, nothing is a cache hit,
and the whole history is billed at the full price on every turn. Keep history append-only and, when
it gets too long, replace an old stretch with a summary once (compaction), so the prefix then stays
stable for many turns. Compaction inside an `if` that prepends a summary is not reported, nor is
anything inside a function named for compaction (`summarize_history`, `_compress`), nor dropping one
early message (`pop(0)`, `del history[0]`) outside a loop or a size test (`if len(history) > MAX`):
removing a system message from a copy cuts the same message every turn. Nor is a cut written back
far below the size test that triggers it (`if len(h) > 40: h = h[-10:]`, at least twice the kept
count, or a small tail kept when a token budget of 1,000 or more is passed): it fires once in many
turns and costs one miss each time, like a compaction. Nor is a window sent after a value that
changes on every request in the system prompt or the tools (a clock finer than an hour, a value of
the request): no request shares the prefix up to the window, so the cut loses nothing more, and the
earlier value is the finding (PC101/PC201).

## Fix safety
Display-only: the fix is guidance (compact into a summary once, keep appending), not an edit.

## Known limitations
Only names that say history, messages, conversation, memory, transcript or dialog are checked.
"""

from promptlint.api import (
    Applicability,
    Example,
    FactsRule,
    FileFacts,
    Fix,
    FixAvailability,
    HistoryOpKind,
    RuleContext,
    Severity,
)

_KINDS = {
    HistoryOpKind.FRONT_SLICE: "keeps a sliding window",
    HistoryOpKind.POP_FRONT: "drops the oldest message",
    HistoryOpKind.DELETE_EARLY: "deletes an early message",
    HistoryOpKind.BOUNDED_DEQUE: "is a bounded deque that drops the oldest message",
}


class HistoryFrontTruncation(FactsRule):
    code = "PC401"
    name = "history-front-truncation"
    severity = Severity.WARNING
    message = (
        "`{target}` {what} (`{detail}`): the prefix shifts every turn and the history is never a cache hit"
    )
    fix_availability = FixAvailability.ALWAYS
    guidance = Fix(
        "Keep the history append-only; when it is too long, replace old turns with one summary (compaction)",
        Applicability.DISPLAY_ONLY,
        (),
    )
    examples = (
        Example.bad(
            "def reply(client, history, question):\n"
            '    history.append({"role": "user", "content": question})\n'
            "    recent = history[-20:]\n"
            '    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "Hi"}] + recent)\n'
        ),
        Example.bad(
            "from collections import deque\n\nhistory = deque(maxlen=30)\n\n\n"
            "def reply(client, question):\n"
            '    history.append({"role": "user", "content": question})\n'
            '    return client.chat.completions.create(model="gpt-4o", messages=list(history))\n'
        ),
        Example.good(
            "from collections import deque\n\n# a bounded log, never sent to a model\nrecent_events = deque(maxlen=30)\n"
        ),
        Example.good(
            "def reply(client, history, question, summarize):\n"
            '    history.append({"role": "user", "content": question})\n'
            "    if len(history) > 40:\n"
            '        history[:] = [{"role": "system", "content": summarize(history[:-10])}] + history[-10:]\n'
            '    return client.chat.completions.create(model="gpt-4o", messages=history)\n'
        ),
    )

    def check_facts(self, facts: FileFacts, ctx: RuleContext) -> None:
        for op in facts.history:
            if op.kind in _KINDS:
                ctx.report(
                    op.span,
                    fix=self.guidance,
                    chain=op.chain,
                    target=op.target,
                    what=_KINDS[op.kind],
                    detail=_short(op.detail),
                )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "..."
