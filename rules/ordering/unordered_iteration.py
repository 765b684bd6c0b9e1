"""Set, directory listing, glob or completion-order result iterated into prompt content without `sorted()`.

## What it does
Flags iterating a `set`/`frozenset` (`", ".join(tags)`, a loop or comprehension over it, `list(tags)`),
`os.listdir`, `os.scandir`, `os.walk`, `glob.glob`, `Path.glob/rglob/iterdir` and
`asyncio.as_completed`/`concurrent.futures.as_completed` when the result reaches prompt or tool text
before content the cache could reuse. Membership tests and `len()` are fine.

## Why is this bad?
String hashing is randomised per process, so a set of strings iterates in a different order in every
worker; directory listings come back in filesystem order, which differs between machines; results
taken as they complete (tools gathered from several MCP servers) come in whichever order the servers
answer. Each order is a different prefix: the cache misses for identical requests.

## Fix safety
Unsafe: wrapping in `sorted(...)` changes the order the model sees (once, then it is stable).
"""

from promptlint.api import Example, FixAvailability, Severity, VolatileKind, VolatileSlotRule


class UnorderedIteration(VolatileSlotRule):
    code = "PC302"
    name = "unordered-iteration"
    severity = Severity.WARNING
    message = "`{culprit}` iterates in no fixed order (hash, file-system or completion order); in the {role} it precedes {tail}, which the cache cannot reuse"
    volatile_kind = VolatileKind.ORDER
    cause_exclude = r"dumps?\(\)$"
    fix_availability = FixAvailability.SOMETIMES
    examples = (
        Example.bad(
            "from anthropic import Anthropic\n\n"
            "client = Anthropic()\n"
            'SKILLS = {"refunds", "shipping", "billing", "returns"}\n'
            'RULES = "Only answer questions about the listed skills and say so when you cannot. " * 8\n\n'
            "def ask(question):\n"
            "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=300,\n"
            "        cache_control={'type': 'ephemeral'},\n"
            '        system="Skills: " + ", ".join(SKILLS) + "\\n" + RULES,\n'
            '        messages=[{"role": "user", "content": question}])\n',
            fixed="from anthropic import Anthropic\n\n"
            "client = Anthropic()\n"
            'SKILLS = {"refunds", "shipping", "billing", "returns"}\n'
            'RULES = "Only answer questions about the listed skills and say so when you cannot. " * 8\n\n'
            "def ask(question):\n"
            "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=300,\n"
            "        cache_control={'type': 'ephemeral'},\n"
            '        system="Skills: " + ", ".join(sorted(SKILLS)) + "\\n" + RULES,\n'
            '        messages=[{"role": "user", "content": question}])\n',
        ),
        Example.good(
            "from anthropic import Anthropic\n\n"
            "client = Anthropic()\n"
            'SKILLS = {"refunds", "shipping", "billing", "returns"}\n'
            'RULES = "Only answer questions about the listed skills and say so when you cannot. " * 8\n\n'
            "def ask(question, topic):\n"
            "    note = 'known topic' if topic in SKILLS else 'unknown topic'\n"
            "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=300,\n"
            "        cache_control={'type': 'ephemeral'},\n"
            '        system="Skills: " + ", ".join(sorted(SKILLS)) + "\\n" + RULES,\n'
            '        messages=[{"role": "user", "content": question + note}])\n'
        ),
    )
