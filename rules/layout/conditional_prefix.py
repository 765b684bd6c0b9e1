"""Conditional or loop early in a prompt that forks the prefix before a large static tail.

## What it does
Flags an `if`/`for` (a Jinja tag or a Python conditional) whose condition or iterable is proven to
vary per user or per request (the evidence PC201 needs) when at least `min-static-tokens` static
tokens follow it. A condition of unknown origin (`if agent.use_markdown:`, a template variable no
Python renders) only selects one of a few stable prompts, each cached on its own: not reported.

## Why is this bad?
Each branch (and each loop length) renders a different prefix, so the static text after the fork is
cached once per variant instead of once. An optional paragraph for premium users at the top of a
system prompt splits the cache in two; a per-request loop splits it many ways. Put the shared static
text first and the conditional parts after it.

## Known limitations
Loops and conditions over values declared stable (`{# promptlint: stable=... #}`) or literals are not
reported. Text inside the branch counts towards the static tail.

## Options
- `min-static-tokens` (default 64): how long the static tail must be to report.
"""

from promptlint.api import (
    Control,
    Example,
    Location,
    Prompt,
    PromptRule,
    RuleContext,
    Severity,
    Slot,
    Stability,
    dynamic_slots,
)

POLICY = "Refunds are accepted within 30 days with a receipt; store credit is offered otherwise. " * 8
FORKING = frozenset({"if", "elif", "for"})


class ConditionalPrefix(PromptRule):
    code = "PC203"
    name = "conditional-prefix"
    severity = Severity.INFO
    message = "`{control}` varies per {stability} and forks the prefix before {tokens_after} static tokens"
    examples = (
        Example.bad(
            "from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n"
            f"POLICY = {POLICY!r}\n\n"
            '@app.post("/chat")\n'
            "def chat(req):\n"
            '    system = "You are the support assistant.\\n"\n'
            "    if req.premium:\n"
            '        system += "Priority support applies.\\n"\n'
            "    system += POLICY\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": system}, {"role": "user", "content": req.question}])\n'
        ),
        Example.good(
            "{# no Python renders this template here: `is_premium` is of unknown origin #}\n"
            "{% if is_premium %}Priority support applies.{% endif %}\n" + POLICY,
            filename="support.j2",
        ),
        Example.good(
            POLICY + "\n{% if is_premium %}Priority support applies.{% endif %}", filename="support.j2"
        ),
        Example.good(
            "{% for rule in rules | sort %}- {{ rule }}\n{% endfor %}"
            + POLICY
            + "\n{# promptlint: stable=rules #}",
            filename="support.j2",
        ),
    )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        segments = [(pi, si, seg) for pi, si, seg in prompt.walk()]
        first_slot = next(iter(dynamic_slots(prompt)), None)
        for index, (pi, si, seg) in enumerate(segments):
            if first_slot is not None and (pi, si) > first_slot[:2]:
                return  # a varying value came first: it is the root cause (PC201), one finding per prompt
            if not isinstance(seg, Control) or seg.kind not in FORKING:
                continue
            stability = seg.stability if seg.stability is not None else Stability.UNKNOWN
            if not Stability.SESSION <= stability < Stability.VOLATILE:
                continue
            following = segments[index + 1][2] if index + 1 < len(segments) else None
            if isinstance(following, Slot) and following.stability >= Stability.SESSION:
                continue  # the varying value right after is dynamic-before-static's finding
            tail = ctx.static_tail(prompt, pi, si, min(stability, Stability.REQUEST))
            if tail.tokens < ctx.settings.min_static_tokens:
                continue
            related: tuple[Location, ...] = ()
            if seg.origin is not None and seg.origin.path != ctx.path:
                related = (Location(seg.origin.path, seg.origin.span, "the condition is written here"),)
            ctx.report(
                seg.span,
                related=related,
                origin=seg.origin,
                tokens_after=tail.tokens,
                control=seg.label or seg.kind,
                stability=stability.label,
                chain=(
                    Location(
                        seg.origin.path if seg.origin else ctx.path,
                        seg.origin.span if seg.origin else seg.span,
                        f"the condition varies per {stability.label}",
                    ),
                    Location(ctx.path, prompt.site, "the request is built here"),
                ),
            )
            return  # the first fork is the root cause: one finding per prompt
