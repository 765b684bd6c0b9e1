"""Per-user or per-request value placed before a long static block.

## What it does
Flags a value proven to vary per user/session or per request when at least `min-static-tokens`
(default 64) static tokens follow it. Proof is one of: the value is also sent as the user's message of
the same request, it comes from a web handler's request (`@app.post("/chat")` parameters), or from a
request-reading call (`input()`, `flask.request.json`, …; the table is `data/request_sources.toml`).
A parameter, attribute or template variable of unknown origin is not reported. Per prompt, the first
such value is reported, with the number of later ones. A value that changes every request is also
reported with less static text after it when the conversation history follows it in the same request
(a RAG result or the turn's question in the system prompt): every turn then recomputes the whole
history; a per-session value (the user's name) is not, since the conversation keeps it.

## Why is this bad?
Everything after the first differing token is a cache miss. "Hello {name}!" in front of a long policy
gives each user a private prefix: the policy is recomputed and billed in full for every user. Put the
shared static text first and the per-user or per-request part after it.

## Fix safety
Unsafe, offered for Jinja and plain-text templates: the line holding the value moves to the end of the
template (outside any `if`/`for`), so the model reads it after the static text instead of before.

Moving the value out must also be worth it: unless the conversation history follows, the static text
before the value and after it together must reach the provider's minimum cacheable length (1,024
tokens for OpenAI and for an unknown provider; `providers.<name>.minimum-tokens`). A short one-shot
prompt (an LLM judge with a 150-token rubric) is never cached, wherever its values sit.

## Options
- `min-static-tokens` (default 64): how long the static tail must be to report.
- `provider` / `providers.<name>.minimum-tokens`: the minimum cacheable length used above.
"""

from promptlint.api import Example, FixAvailability, Severity, SlotTailRule, Stability


class DynamicBeforeStatic(SlotTailRule):
    code = "PC201"
    name = "dynamic-before-static"
    severity = Severity.WARNING
    message = "`{slot}` varies per {stability} and precedes {after} that the cache cannot reuse{more}"
    min_stability = Stability.SESSION
    fix_availability = FixAvailability.SOMETIMES
    examples = (
        Example.bad(
            "from langchain_core.messages import HumanMessage, SystemMessage\n\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 80\n\n'
            "def build(question):\n"
            "    return [\n"
            '        SystemMessage(content=f"The customer asks: {question}\\n" + POLICY),\n'
            "        HumanMessage(content=question),\n"
            "    ]\n"
        ),
        Example.bad(
            "from fastapi import FastAPI\n"
            "from openai import OpenAI\n\n"
            "app = FastAPI()\n"
            "client = OpenAI()\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 80\n\n'
            '@app.post("/chat")\n'
            "def chat(req: ChatRequest):\n"
            '    system = f"You are talking to {req.customer_name}.\\n" + POLICY\n'
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": system}, {"role": "user", "content": req.question}])\n'
        ),
        Example.bad(
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n\n"
            "def reply(history, question):\n"
            '    system = f"Be brief.\\nContext for this turn: {question}"\n'
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": system}, *history, {"role": "user", "content": question}])\n'
        ),
        Example.good(
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n\n"
            "def reply(history, question):\n"
            "    # the turn's question goes after the history, in the last user message\n"
            '    system = "Be brief. Answer from the context of the conversation."\n'
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": system}, *history, {"role": "user", "content": question}])\n'
        ),
        Example.good(
            "{# no Python renders this template here: `customer_name` is of unknown origin #}\n"
            "Hello {{ customer_name }}, thanks for contacting ACME support.\n"
            "Refunds are accepted within 30 days with a receipt; store credit otherwise. Shipping is free\n"
            "over 50 euros. Answer in the customer's language, keep answers under 120 words, never promise\n"
            "delivery dates, and escalate legal questions to a human agent. Quote order numbers exactly.\n",
            filename="support.j2",
        ),
        Example.good(
            "from langchain_core.messages import HumanMessage, SystemMessage\n\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 80\n\n'
            "def build(question):\n"
            "    return [\n"
            '        SystemMessage(content=POLICY + f"\\nThe customer asks: {question}"),\n'
            "        HumanMessage(content=question),\n"
            "    ]\n"
        ),
        Example.good(
            "from langchain_core.messages import HumanMessage, SystemMessage\n\n"
            'POLICY = "Refunds are accepted within 30 days with a receipt. Store credit otherwise. " * 80\n\n'
            "def build(customer_name, question):\n"
            "    # `customer_name` comes from a caller promptlint cannot see: unknown, not per-request\n"
            "    return [\n"
            '        SystemMessage(content=f"You are talking to {customer_name}.\\n" + POLICY),\n'
            "        HumanMessage(content=question),\n"
            "    ]\n"
        ),
    )
