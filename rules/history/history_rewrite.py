"""An early message inserted or rewritten each turn instead of appended.

## What it does
Flags `insert(0, ...)`/`insert(1, ...)` into a history outside set-up code, and assignments to an
early message (`messages[0]["content"] = ...`, `history[1] = {...}`) with a non-constant value.
Inserting once per conversation (in `__init__`, `reset()`, or under an `if not history:` guard) is not
reported. Also flags a head (a system message) put in front of a history the object keeps
(`messages.append(system); messages.extend(self.history.get())`) when the list is sent and then saved
back into that history (`self.history.set(messages)`): the next turn adds another head before the
saved one, so the second message changes every turn. Also flags the whole history re-serialised into one message (`"\\n".join(f"{m['role']}: ..."
for m in history)`, `json.dumps(history)`) when at least `min-static-tokens` static tokens follow it in
the prompt and the history is one kept across requests (`self.x`, a global, or a parameter the
function appends to): that text is recomputed every turn because the transcript before it grows.

## Why is this bad?
The cache reuses an exact prefix. Changing message 0 or 1 changes the prefix of every later message,
so the whole conversation is recomputed and billed in full every turn. Put per-turn context at the end
(the newest user message) and keep earlier messages byte-identical.

## Fix safety
Display-only: the fix is guidance (append per-turn context to the newest message), not an edit.

## Known limitations
A re-serialised history is recognised by the name of the iterated value (history, messages, conversation…).
"""

from promptlint.api import (
    RESERIALISED,
    Applicability,
    Example,
    FactsRule,
    FileFacts,
    Fix,
    FixAvailability,
    HistoryOpKind,
    Prompt,
    PromptRule,
    RuleContext,
    Severity,
    Slot,
    Stability,
    culprit_location,
    evidence_path,
)

_KINDS = {
    HistoryOpKind.EARLY_INSERT: "inserts before earlier messages",
    HistoryOpKind.REWRITE: "rewrites an earlier message",
    HistoryOpKind.HEAD_RESAVED: "is put before the saved messages",
}


class HistoryRewrite(FactsRule, PromptRule):
    code = "PC402"
    name = "history-rewrite"
    severity = Severity.WARNING
    message = "`{detail}` {what} of `{target}` every turn: {impact}"
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
            "class Chat:\n"
            "    def __init__(self):\n"
            "        self.history = []\n\n"
            "    def reply(self, client, notes):\n"
            '        self.history.insert(1, {"role": "user", "content": notes})\n'
            '        return client.chat.completions.create(model="gpt-4o", messages=self.history)\n'
        ),
        Example.good(
            "SYSTEM = 'You answer from the knowledge base. Cite the article you use.'\n\n"
            "def reply(client, items, convert):\n"
            "    # a list rebuilt on every call gets the same system message in front: the prefix is stable\n"
            "    messages = convert(items)\n"
            '    messages.insert(0, {"role": "system", "content": SYSTEM})\n'
            '    return client.chat.completions.create(model="gpt-4o", messages=messages)\n'
        ),
        Example.bad(
            "RULES = 'Answer only from the transcript above. Quote the user exactly when you cite. ' * 8\n\n"
            "def reply(client, history, question):\n"
            "    history.append({'role': 'user', 'content': question})\n"
            "    transcript = '\\n'.join(f\"{m['role']}: {m['content']}\" for m in history)\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            "        {'role': 'system', 'content': 'Transcript:\\n' + transcript + '\\n' + RULES},\n"
            "        {'role': 'user', 'content': question}])\n"
        ),
        Example.good(
            "RULES = 'Answer only from the transcript below. Quote the user exactly when you cite. ' * 8\n\n"
            "def reply(client, history, question):\n"
            "    transcript = '\\n'.join(f\"{m['role']}: {m['content']}\" for m in history)\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            "        {'role': 'system', 'content': RULES},\n"
            "        {'role': 'user', 'content': 'Transcript:\\n' + transcript + '\\n' + question}])\n"
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
                    op.span,
                    fix=self.guidance,
                    chain=op.chain,
                    target=op.target,
                    what=_KINDS[op.kind],
                    detail=detail[:50],
                    impact="the cached prefix of the conversation is lost",
                )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        for pi, si, seg in prompt.walk():
            if not (isinstance(seg, Slot) and seg.cause.startswith(RESERIALISED)):
                continue
            tail = ctx.static_tail(prompt, pi, si, Stability.SESSION)
            if tail.tokens < ctx.settings.min_static_tokens:
                continue  # at the end of the prompt a growing transcript is append-only: still cacheable
            primary, related = culprit_location(seg, prompt, ctx)
            ctx.report(
                primary.span,
                related=related,
                tokens_after=tail.tokens,
                origin=seg.origin,
                chain=evidence_path(seg, prompt, ctx, pi),
                fix=self.guidance,
                target=seg.cause.removeprefix(RESERIALISED),
                what="re-serialises every message",
                detail=seg.label,
                impact=f"the {tail.tokens} static tokens after it are recomputed on every turn",
            )
