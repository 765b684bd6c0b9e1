"""`cache_control` breakpoint whose prefix contains a volatile value.

## What it does
Flags a `cache_control` marker when a clock value, unique id or random pick appears before it in
tools, system or messages, or a value proven to change with every request (the turn's question, a
step counter of the agent loop) appears before it in the tools, the system prompt or an earlier
message. The newest user message is not such a place: cached with it, the turn is read back on the
next request, where it has become history.

## Why is this bad?
Anthropic writes a cache entry at each breakpoint, keyed by everything before it. With a volatile
value in that prefix every request writes a new entry (billed at 1.25x or 2x) and none is ever read.
Put the breakpoint on the last block that is identical across requests, or move the volatile value
after it.
"""

from promptlint.api import (
    Example,
    Location,
    Prompt,
    PromptRule,
    Role,
    RuleContext,
    Severity,
    Slot,
    Span,
    Stability,
    evidence_path,
)


def _spoils(seg: Slot, role: Role, in_last_user: bool) -> bool:
    """A value that differs in the next request: volatile anywhere; per-request outside the newest
    user message and the history (the turn's question cached with it is read back next turn, when
    it has become history; a per-request value in the system prompt or tools never is)."""
    if seg.stability is Stability.VOLATILE:
        return True
    return seg.stability is Stability.REQUEST and role is not Role.HISTORY and not in_last_user


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
        last_user = max((i for i, p in enumerate(prompt.parts) if p.role is Role.USER), default=-1)
        for mark in sorted(prompt.breakpoints, key=lambda b: (b.part, b.segment)):
            for pi, _si, seg in prompt.before(mark.part, mark.segment):
                if isinstance(seg, Slot) and _spoils(seg, prompt.parts[pi].role, pi == last_user):
                    if seg.span in reported:
                        break  # one report per culprit: at the first breakpoint it spoils
                    reported.add(seg.span)
                    what = "volatile" if seg.stability is Stability.VOLATILE else "per-request"
                    related = [Location(ctx.path, seg.span, f"{what} value enters here")]
                    if seg.origin is not None and seg.origin.span != seg.span:
                        related.append(seg.origin)
                    cause = seg.cause or seg.label
                    ctx.report(
                        mark.span,
                        related=tuple(related),
                        chain=evidence_path(seg, prompt, ctx, pi),
                        culprit=seg.label if "`" in cause else cause,  # a described source: its value
                    )
                    break
