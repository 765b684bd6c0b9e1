"""Per-call unique value (uuid, secret, pid, hostname) rendered into early prompt content.

## What it does
Flags `uuid.uuid4()`, `secrets.token_hex()`, `os.getpid()`, `socket.gethostname()` and similar values
that reach prompt text before static text or the conversation history.

## Why is this bad?
A request id in the system prompt makes the prefix unique per request: nothing after it is ever
served from the prefix cache. Ids belong in request metadata or headers, not in the text the model
reads; if the model must see one, put it at the end of the last user message.

## Fix safety
Unsafe, and offered only when the system content is an f-string and the message list is a literal in
the same call: the line holding the value is moved to the end of the last user message, so the model
sees it in a different place. Otherwise the fix is a display-only suggestion.
"""

from promptlint.api import Example, FixAvailability, Severity, VolatileKind, VolatileSlotRule


class VolatileIdInPrefix(VolatileSlotRule):
    code = "PC102"
    name = "volatile-id-in-prefix"
    severity = Severity.ERROR
    message = "Per-call unique value `{culprit}` in the {role} precedes {tail}, which the cache cannot reuse"
    volatile_kind = VolatileKind.ID
    fix_availability = FixAvailability.SOMETIMES
    suggestion = "Move `{culprit}` into request metadata, or to the end of the last user message"
    examples = (
        Example.bad(
            "import uuid\n"
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            'RULES = "You are a careful assistant for our billing team. Follow the rules below. " * 10\n\n'
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5",\n'
            "        max_tokens=512,\n"
            '        cache_control={"type": "ephemeral"},\n'
            '        system=f"Request {uuid.uuid4()}\\n{RULES}",\n'
            '        messages=[{"role": "user", "content": question}],\n'
            "    )\n"
        ),
        Example.good(
            "import uuid\n"
            "import anthropic\n\n"
            "client = anthropic.Anthropic()\n"
            'RULES = "You are a careful assistant for our billing team. Follow the rules below. " * 10\n\n'
            "def ask(question):\n"
            "    return client.messages.create(\n"
            '        model="claude-sonnet-4-5",\n'
            "        max_tokens=512,\n"
            '        cache_control={"type": "ephemeral"},\n'
            "        system=RULES,\n"
            '        messages=[{"role": "user", "content": question}],\n'
            '        metadata={"user_id": str(uuid.uuid4())},\n'
            "    )\n"
        ),
    )
