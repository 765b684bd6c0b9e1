"""Clock value rendered into prompt content that precedes other content.

## What it does
Flags `datetime.now()`, `time.time()`, `date.today()`, `strftime(...)` and other clock values (see the
volatile-source table; extend it with `volatile-functions`) that reach the text of a prompt before
static text or the conversation history. The message names the culprit, how often it changes (from the
format string when there is one, also one held in a constant here or in another module:
`%Y-%m-%d` changes every day), the role it lands in and the static tokens after it.

## Why is this bad?
Provider caches (DeepSeek, OpenAI, Anthropic, Gemini, vLLM) reuse only an exact prefix. A timestamp
near the start makes every request a new prefix, so everything after it is billed and computed in full
every time. Real projects saw hit rates fall from ~94% to ~15% from one timestamp.

A clock value is only reported when at least `min-static-tokens` static tokens or the conversation
history follow it before the next value proven to change with every request (the question being
asked): a timestamp at the end of the user's turn, or right before the question, costs nothing. A clock that changes less
often than `clock-granularity` (default `"hour"`) is not reported either: a date costs at most one
miss a day, while provider cache entries live minutes to hours.

## Fix safety
Unsafe, and offered only when the system content is an f-string and the message list is a literal in
the same call: the line holding the value is moved to the end of the last user message, so the model
sees it in a different place. Otherwise the fix is a display-only suggestion.

## Known limitations
Values computed in `__init__` and stored on `self` are treated as per-session, not volatile. Every
`return` of a helper is followed (up to six) and the one that varies most stands for the call.

## References
- DeepSeek context caching: https://api-docs.deepseek.com/guides/kv_cache
- OpenAI prompt caching: https://platform.openai.com/docs/guides/prompt-caching
"""

from promptlint.api import Example, FixAvailability, Severity, VolatileKind, VolatileSlotRule


class VolatileTimeInPrefix(VolatileSlotRule):
    code = "PC101"
    name = "volatile-time-in-prefix"
    severity = Severity.ERROR
    message = "Clock value `{culprit}` (changes every {granularity}) in the {role} precedes {tail}, which the cache cannot reuse"
    volatile_kind = VolatileKind.TIME
    fix_availability = FixAvailability.SOMETIMES
    suggestion = "Move `{culprit}` to the end of the last user message, or drop it"
    examples = (
        Example.bad(
            "from datetime import datetime\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n\n'
            "def answer(question: str) -> str:\n"
            '    system = f"Current time: {datetime.now():%Y-%m-%d %H:%M:%S}\\n{POLICY}"\n'
            "    response = client.chat.completions.create(\n"
            '        model="gpt-4o",\n'
            '        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],\n'
            "    )\n"
            "    return response.choices[0].message.content\n",
            fixed="from datetime import datetime\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n\n'
            "def answer(question: str) -> str:\n"
            '    system = f"{POLICY}"\n'
            "    response = client.chat.completions.create(\n"
            '        model="gpt-4o",\n'
            '        messages=[{"role": "system", "content": system}, {"role": "user", "content": f"{question}\\n\\nCurrent time: {datetime.now():%Y-%m-%d %H:%M:%S}"}],\n'
            "    )\n"
            "    return response.choices[0].message.content\n",
        ),
        Example.good(
            "from datetime import datetime\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n\n'
            "def answer(question: str) -> str:\n"
            '    user = f"{question}\\n\\nCurrent time: {datetime.now():%Y-%m-%d %H:%M:%S}"\n'
            "    response = client.chat.completions.create(\n"
            '        model="gpt-4o",\n'
            '        messages=[{"role": "system", "content": POLICY}, {"role": "user", "content": user}],\n'
            "    )\n"
            "    return response.choices[0].message.content\n"
        ),
    )
