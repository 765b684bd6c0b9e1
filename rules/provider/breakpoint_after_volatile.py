"""`cache_control` breakpoint whose prefix contains a volatile value.

## What it does
Flags a `cache_control` marker when a clock value, unique id or random pick appears before it in
tools, system or messages.

## Why is this bad?
Anthropic writes a cache entry at each breakpoint, keyed by everything before it. With a volatile
value in that prefix every request writes a new entry (billed at 1.25x or 2x) and none is ever read.
Put the breakpoint on the last block that is identical across requests, or move the volatile value
after it.
"""

from promptlint.api import Example, Location, Prompt, PromptRule, RuleContext, Severity, Slot, Span, Stability


class BreakpointAfterVolatile(PromptRule):
    code = "PC503"
    name = "breakpoint-after-volatile"
    severity = Severity.ERROR
    message = "`cache_control` caches a prefix containing `{culprit}`: written on every call, never read"
    examples = (
        Example.bad(
            "from datetime import datetime\n"
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": f"Now: {datetime.now()}. Rules...",\n'
            '                 "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": question}],\n'
            "    )\n"
        ),
        Example.good(
            "from datetime import datetime\n"
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": "Rules...", "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": f"{question}\\n(now: {datetime.now()})"}],\n'
            "    )\n"
        ),
    )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        reported: set[Span] = set()
        for mark in sorted(prompt.breakpoints, key=lambda b: (b.part, b.segment)):
            for _pi, _si, seg in prompt.before(mark.part, mark.segment):
                if isinstance(seg, Slot) and seg.stability is Stability.VOLATILE:
                    if seg.span in reported:
                        break  # one report per culprit: at the first breakpoint it spoils
                    reported.add(seg.span)
                    related = [Location(ctx.path, seg.span, "volatile value enters here")]
                    if seg.origin is not None and seg.origin.span != seg.span:
                        related.append(seg.origin)
                    ctx.report(mark.span, related=tuple(related), culprit=seg.cause or seg.label)
                    break
