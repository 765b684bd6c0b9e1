"""An early message inserted or rewritten each turn instead of appended.

## What it does
Flags `insert(0, ...)`/`insert(1, ...)` into a history outside set-up code, and assignments to an
early message (`messages[0]["content"] = ...`, `history[1] = {...}`) with a non-constant value.
Inserting once per conversation (in `__init__`, `reset()`, or under an `if not history:` guard) is not
reported.

## Why is this bad?
The cache reuses an exact prefix. Changing message 0 or 1 changes the prefix of every later message,
so the whole conversation is recomputed and billed in full every turn. Put per-turn context at the end
(the newest user message) and keep earlier messages byte-identical.

## Fix safety
Display-only: the fix is guidance (append per-turn context to the newest message), not an edit.

## Known limitations
Re-serialising the whole history into one message is not detected yet.
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
    HistoryOpKind.EARLY_INSERT: "inserts before earlier messages",
    HistoryOpKind.REWRITE: "rewrites an earlier message",
}


class HistoryRewrite(FactsRule):
    code = "PC402"
    name = "history-rewrite"
    severity = Severity.WARNING
    message = "`{detail}` {what} of `{target}` every turn: the cached prefix of the conversation is lost"
    fix_availability = FixAvailability.ALWAYS
    guidance = Fix(
        "Keep earlier messages byte-identical; append per-turn context to the newest user message",
        Applicability.DISPLAY_ONLY,
        (),
    )
    examples = (
        Example.bad(
            "def reply(client, messages, question, memory):\n"
            '    messages[0]["content"] = f"Known facts: {memory.facts()}"\n'
            '    messages.append({"role": "user", "content": question})\n'
            '    return client.chat.completions.create(model="gpt-4o", messages=messages)\n'
        ),
        Example.bad(
            "def reply(client, history, notes):\n"
            '    history.insert(1, {"role": "user", "content": notes})\n'
            '    return client.chat.completions.create(model="gpt-4o", messages=history)\n'
        ),
        Example.good(
            "class Chat:\n"
            "    def __init__(self, system):\n"
            "        self.history = []\n"
            '        self.history.insert(0, {"role": "system", "content": system})\n\n'
            "    def reply(self, client, question):\n"
            "        if not self.history:\n"
            '            self.history.insert(0, {"role": "system", "content": "Be brief."})\n'
            '        self.history.append({"role": "user", "content": question})\n'
            '        return client.chat.completions.create(model="gpt-4o", messages=self.history)\n'
        ),
    )

    def check_facts(self, facts: FileFacts, ctx: RuleContext) -> None:
        for op in facts.history:
            if op.kind in _KINDS:
                detail = " ".join(op.detail.split())
                ctx.report(
                    op.span, fix=self.guidance, target=op.target, what=_KINDS[op.kind], detail=detail[:50]
                )
