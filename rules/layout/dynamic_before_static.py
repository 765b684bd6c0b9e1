"""Per-user or per-request value placed before a long static block.

## What it does
Flags a slot that varies per user/session or per request (a parameter, `self.user_name`, a template
variable) when at least `min-static-tokens` (default 64) static tokens follow it before the next
equally variable value.

## Why is this bad?
Everything after the first differing token is a cache miss. "Hello {name}!" in front of a long policy
gives each user a private prefix: the policy is recomputed and billed in full for every user. Put the
shared static text first and the per-user or per-request part after it.

## Fix safety
Unsafe, offered for Jinja and plain-text templates: the line holding the value moves to the end of the
template (outside any `if`/`for`), so the model reads it after the static text instead of before.

## Options
- `min-static-tokens` (default 64): how long the static tail must be to report.
"""

from promptlint.api import Example, FixAvailability, Severity, SlotTailRule, Stability


class DynamicBeforeStatic(SlotTailRule):
    code = "PC201"
    name = "dynamic-before-static"
    severity = Severity.WARNING
    message = "`{slot}` varies per {stability} and precedes {tokens_after} static tokens in the {role} that the cache cannot reuse"
    min_stability = Stability.SESSION
    fix_availability = FixAvailability.SOMETIMES
    examples = (
        Example.bad(
            "from langchain_core.messages import HumanMessage, SystemMessage\n\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 8\n\n'
            "def build(customer_name, question):\n"
            "    return [\n"
            '        SystemMessage(content=f"You are talking to {customer_name}.\\n" + POLICY),\n'
            "        HumanMessage(content=question),\n"
            "    ]\n"
        ),
        Example.bad(
            "Hello {{ customer_name }}, thanks for contacting ACME support.\n"
            "Refunds are accepted within 30 days with a receipt; store credit otherwise. Shipping is free\n"
            "over 50 euros. Answer in the customer's language, keep answers under 120 words, never promise\n"
            "delivery dates, and escalate legal questions to a human agent. Quote order numbers exactly.\n",
            fixed="Refunds are accepted within 30 days with a receipt; store credit otherwise. Shipping is free\n"
            "over 50 euros. Answer in the customer's language, keep answers under 120 words, never promise\n"
            "delivery dates, and escalate legal questions to a human agent. Quote order numbers exactly.\n"
            "Hello {{ customer_name }}, thanks for contacting ACME support.\n",
            filename="support.j2",
        ),
        Example.good(
            "from langchain_core.messages import HumanMessage, SystemMessage\n\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 8\n\n'
            "def build(customer_name, question):\n"
            "    return [\n"
            '        SystemMessage(content=POLICY + f"\\nYou are talking to {customer_name}."),\n'
            "        HumanMessage(content=question),\n"
            "    ]\n"
        ),
    )
