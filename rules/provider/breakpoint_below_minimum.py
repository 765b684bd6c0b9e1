"""`cache_control` breakpoint on a prefix shorter than the model's minimum cacheable length.

## What it does
Counts the tokens before a `cache_control` marker when all of them are known text and compares them
with the minimum cacheable length of the request's model (per-model table in the provider profile;
override it in config).

## Why is this bad?
Below the minimum Anthropic silently caches nothing: no error, both cache counters stay 0, and the
breakpoint only costs one of the four slots. Move the breakpoint later, or add the stable content that
belongs before it.

## Known limitations
Tokens are counted with an OpenAI encoding (o200k_base), an approximation of Anthropic's tokenizer;
prefixes with a value of unknown length are skipped.
"""

from promptlint.api import Example, Location, Prompt, PromptRule, Provider, RuleContext, Severity


class BreakpointBelowMinimum(PromptRule):
    code = "PC504"
    name = "breakpoint-below-minimum"
    severity = Severity.INFO
    message = "`cache_control` prefix is about {tokens} tokens, below the {minimum}-token minimum of `{model}`: nothing is cached"
    examples = (
        Example.bad(
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": question}],\n'
            "    )\n"
        ),
        Example.good(
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            'MANUAL = "Section 1. Every answer cites the manual section it relies on. " * 120\n'
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5", max_tokens=256,\n'
            '        system=[{"type": "text", "text": MANUAL, "cache_control": {"type": "ephemeral"}}],\n'
            '        messages=[{"role": "user", "content": question}],\n'
            "    )\n"
        ),
    )

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        if prompt.provider is not Provider.ANTHROPIC:
            return
        minimum = ctx.profile(prompt).minimum_for(prompt.model)
        for mark in prompt.breakpoints:
            tokens = ctx.static_prefix_tokens(prompt, mark.part, mark.segment)
            if tokens is not None and tokens < minimum:
                ctx.report(
                    mark.span,
                    related=(Location(ctx.path, prompt.site, "request built here"),),
                    tokens=tokens,
                    minimum=minimum,
                    model=prompt.model or "the default model",
                )
