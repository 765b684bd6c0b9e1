"""Stable prefix too short to cache, while the prompt holds enough static text to pass the minimum.

## What it does
Measures the stable prefix of a prompt: the static text before its first value proven to vary per
user or per request (the evidence PC201 needs; a value of unknown origin does not count). When that prefix is below the provider's minimum cacheable length (from the provider
profiles, per model) but the prompt's static text as a whole would reach it, it reports the first
dynamic value.

## Why is this bad?
Providers cache nothing below a minimum prefix length (1024 tokens for OpenAI and Anthropic's larger
models). A greeting or a date on the first line leaves a stable prefix of a few tokens, so the long
instructions after it are never cached. Moving dynamic values after the static text makes the
prefix long enough to cache, at no cost.

## Known limitations
A volatile value (clock, id, random) as the first dynamic part is left to PC101-PC103. A value of
unknown origin before the first dynamic value (a system message a caller passes, text read from a
file) makes the stable prefix's length unknown, so nothing is reported.
Static text is counted wherever it is; text inside template conditionals counts as if always present.
"""

from promptlint.api import (
    Example,
    Prompt,
    PromptRule,
    Role,
    RuleContext,
    Severity,
    Slot,
    Stability,
    Text,
    culprit_location,
    evidence_path,
    in_newest_turn,
)

POLICY = "Refunds are accepted within 30 days with a receipt; store credit is offered otherwise. " * 90


class StaticPrefixBelowMinimum(PromptRule):
    code = "PC202"
    name = "static-prefix-below-minimum"
    severity = Severity.INFO
    message = "Only {prefix} stable tokens precede `{slot}`, below the {minimum}-token cache minimum; moving it after the static text would make {total} tokens cacheable"
    examples = (
        Example.bad(
            "from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n"
            f"POLICY = {POLICY!r}\n\n"
            '@app.post("/chat")\n'
            "def chat(req):\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": f"Hello {req.name}!\\n" + POLICY},\n'
            '        {"role": "user", "content": req.question}])\n'
        ),
        Example.good(
            "from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n"
            f"POLICY = {POLICY!r}\n\n"
            '@app.post("/chat")\n'
            "def chat(req):\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": POLICY + f"\\nYou are talking to {req.name}."},\n'
            '        {"role": "user", "content": req.question}])\n'
        ),
        Example.good("Hello {{ customer_name }}!\n" + POLICY, filename="support.j2"),
    )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        first: tuple[int, Slot] | None = None
        before: list[str] = []
        static: list[str] = []
        unknown_before = False  # a value of unknown size comes before the first dynamic one
        for pi, _si, seg in prompt.walk():
            if prompt.parts[pi].role is Role.HISTORY:
                continue
            if isinstance(seg, Text):
                static.append(seg.text)
                if first is None:
                    before.append(seg.text)
            elif isinstance(seg, Slot) and seg.stability >= Stability.SESSION and first is None:
                first = (pi, seg)
            elif isinstance(seg, Slot) and first is None and seg.stability is Stability.UNKNOWN:
                unknown_before = True
        if first is None or first[1].stability is Stability.VOLATILE:
            return  # a volatile value is PC101-PC103's finding (and the fix is to remove it, not move it)
        if unknown_before:
            return  # the stable prefix holds text promptlint cannot see: its length is not known
        minimum = ctx.profile(prompt).minimum_for(prompt.model)
        prefix = ctx.count_tokens("".join(before))
        if prefix >= minimum:
            return
        total = ctx.count_tokens("".join(static))
        if total < minimum:
            return
        first_part, slot = first
        if in_newest_turn(prompt, first_part):
            return  # after the conversation's own turns, nothing before it is shared with other requests
        if prompt.parts[first_part].role is Role.TOOLS:
            # The tool list goes first in every provider's prefix (Anthropic: tools, system, messages):
            # it cannot be moved after the static text, so the advice would be wrong.
            return
        primary, related = culprit_location(slot, prompt, ctx)
        ctx.report(
            primary.span,
            related=related,
            origin=slot.origin,
            chain=evidence_path(slot, prompt, ctx, first_part),
            prefix=prefix,
            slot=slot.label,
            minimum=minimum,
            total=total,
        )
