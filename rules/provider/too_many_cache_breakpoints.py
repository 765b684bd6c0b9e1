"""More `cache_control` breakpoints in one Anthropic request than the API allows.

## What it does
Counts `cache_control` markers across `tools`, `system` and `messages` of one Anthropic request (a
top-level automatic `cache_control` uses one slot too) and flags every marker beyond the provider's
limit (4, from the provider profile). Also flags a marker written once per item of a loop over
messages, content blocks or tools (`for idx in user_indices: mark(messages[idx])`, a
`TextBlockParam(..., cache_control=...)` made for every text part) when the code does not keep the
number of items at or under the limit: a long enough conversation then sends too many. A loop over a
short literal or a constant slice (`messages[-2:]`), one that stops after marking (`break`), and a
mark under a test that picks a few items (`if i == len(messages) - 1`, a counter, `role ==
"system"`) are not reported, and neither is a marker value of unknown origin (a parameter).

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
    FactsRule,
    FileFacts,
    Fix,
    FixAvailability,
    Location,
    Prompt,
    PromptRule,
    Provider,
    RepeatedBreakpoint,
    RuleContext,
    Severity,
    Span,
)


class TooManyCacheBreakpoints(FactsRule, PromptRule):
    code = "PC502"
    name = "too-many-cache-breakpoints"
    severity = Severity.ERROR
    message = "Too many `cache_control` markers: {what} exceeds the limit of {limit} per request{when}"
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
        Example.bad(
            "import litellm\n\n"
            "def mark_turns(messages):\n"
            "    for message in messages:\n"
            '        if message["role"] == "user":\n'
            '            message["cache_control"] = {"type": "ephemeral"}\n'
            "    return messages\n\n"
            "def ask(messages):\n"
            '    return litellm.completion(model="claude-sonnet-4-5", messages=mark_turns(messages))\n',
            count=1,
        ),
        Example.good(
            "import litellm\n\n"
            "def mark_last_turn(messages):\n"
            "    for i, message in enumerate(messages):\n"
            "        if i == len(messages) - 1:\n"
            '            message["cache_control"] = {"type": "ephemeral"}\n'
            "    return messages\n\n"
            "def ask(messages):\n"
            '    return litellm.completion(model="claude-sonnet-4-5", messages=mark_last_turn(messages))\n'
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
                what=f"breakpoint {index} of {len(marks)}",
                limit=limit,
                when="",
            )

    def check_facts(self, facts: FileFacts, ctx: RuleContext) -> None:
        limit = ctx.provider_profile(Provider.ANTHROPIC).max_breakpoints
        if limit is None:
            return
        done: set[Span] = set()
        counted = [  # markers a request's own count already reports (a comprehension in `system=`)
            mark.span
            for prompt in facts.prompts
            if prompt.provider is Provider.ANTHROPIC and len(prompt.breakpoints) > limit
            for mark in prompt.breakpoints
        ]
        for found in facts.repeated_breakpoints:
            if found.scope in done or (found.items is not None and found.items <= limit):
                continue
            if any(found.loop.start <= span.start and span.end <= found.loop.end for span in counted):
                continue
            done.add(found.scope)
            self._report_loop(found, limit, ctx)

    def _report_loop(self, found: RepeatedBreakpoint, limit: int, ctx: RuleContext) -> None:
        if found.kept_in:
            chain = [
                Location(
                    ctx.path,
                    found.loop,
                    f"each round of `{found.iterable}` sends `{found.kept_in}` and adds the newly marked block to it",
                )
            ]
            unbounded = (
                f"one more kept in `{found.kept_in}` every round of `{found.iterable}`",
                f" after {limit} rounds (with any other marker, sooner)",
            )
            bounded = (
                f"one more kept in `{found.kept_in}` every round, {found.items} after `{found.iterable}`"
            )
            advice = (
                "Before adding the marker to the newest block, remove the one set in the previous round, "
                f"so `{found.kept_in}` carries one moving breakpoint"
            )
        else:
            chain = [Location(ctx.path, found.loop, f"one marker per item of `{found.iterable}`")]
            if found.helper and found.helper_span is not None:
                chain.append(Location(ctx.path, found.helper_span, f"the marker `{found.helper}()` sets"))
            unbounded = (
                f"one set on every item of `{found.iterable}`",
                f" once it has more than {limit} items",
            )
            bounded = f"one set on each of the {found.items} items of `{found.iterable}`"
            advice = (
                f"Mark only the end of each stable stretch (at most {limit} per request): the last block of "
                "the system prompt and the last message, e.g. `if i == len(messages) - 1`"
            )
        what, when = unbounded if found.items is None else (bounded, "")
        guidance = Fix(advice, Applicability.DISPLAY_ONLY, ())
        ctx.report(found.span, fix=guidance, chain=tuple(chain), what=what, limit=limit, when=when)
