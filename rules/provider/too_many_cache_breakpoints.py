"""More `cache_control` breakpoints in one Anthropic request than the API allows.

## What it does
Counts `cache_control` markers across `tools`, `system` and `messages` of one Anthropic request (a
top-level automatic `cache_control` uses one slot too) and flags every marker beyond the provider's
limit (4, from the provider profile).

## Why is this bad?
Anthropic rejects requests with more than four breakpoints (HTTP 400). Keep the breakpoints at the
ends of the stable stretches: after tools, after the system prompt, and on the last stable message.

## Fix safety
Display-only: the fix names the marker to drop; which stretch to keep cached is your decision.

## References
- https://docs.claude.com/en/docs/build-with-claude/prompt-caching
"""

from promptlint.api import (
    Applicability,
    Example,
    Fix,
    FixAvailability,
    Location,
    Prompt,
    PromptRule,
    Provider,
    RuleContext,
    Severity,
)


class TooManyCacheBreakpoints(PromptRule):
    code = "PC502"
    name = "too-many-cache-breakpoints"
    severity = Severity.ERROR
    message = "Breakpoint {index} of {count} exceeds the limit of {limit} `cache_control` markers per request"
    fix_availability = FixAvailability.ALWAYS
    examples = (
        Example.bad(
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            'EPHEMERAL = {"type": "ephemeral"}\n'
            "def ask(docs, question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral"}},\n'
            '                {"type": "text", "text": "Style", "cache_control": {"type": "ephemeral"}},\n'
            '                {"type": "text", "text": "Glossary", "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": [\n'
            '            {"type": "text", "text": "Doc A", "cache_control": {"type": "ephemeral"}},\n'
            '            {"type": "text", "text": "Doc B", "cache_control": {"type": "ephemeral"}},\n'
            '            {"type": "text", "text": question}]}],\n'
            "    )\n",
            count=1,
        ),
        Example.good(
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": question}],\n'
            "    )\n"
        ),
    )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        if prompt.provider is not Provider.ANTHROPIC:
            return
        limit = ctx.profile(prompt).max_breakpoints
        marks = sorted(prompt.breakpoints, key=lambda b: (b.part, b.segment, b.span.start))
        if limit is None or len(marks) <= limit:
            return
        for index, mark in enumerate(marks[limit:], start=limit + 1):
            guidance = Fix(
                f"Drop this `cache_control`; keep at most {limit}, on the last block of each stable stretch "
                "(tools, system, last stable message)",
                Applicability.DISPLAY_ONLY,
                (),
            )
            ctx.report(
                mark.span,
                fix=guidance,
                related=(Location(ctx.path, prompt.site, "request built here"),),
                index=index,
                count=len(marks),
                limit=limit,
            )
