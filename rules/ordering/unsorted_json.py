"""`json.dumps` of non-literal data into prompt or tool content without sorting the keys.

## What it does
Flags `json.dumps`, `simplejson.dumps`, `orjson.dumps` (without `OPT_SORT_KEYS`) and
`yaml.dump(..., sort_keys=False)` of a dict whose keys come from an unordered source (a set, a
directory listing) when the result lands in prompt or tool text before content the cache could
reuse. Literal dicts, lists (`sort_keys` changes nothing there), dicts of unknown origin and data that
changes per request anyway are not reported.

## Why is this bad?
Dicts keep insertion order. Keys inserted while iterating a set come out in an order that changes
between processes (string hashing is randomised), so the same data serialises to a different text
and the cache misses even though nothing changed. `sort_keys=True` makes the text canonical.

## Known limitations
A dict of unknown origin is assumed to be built the same way every time: its insertion order is
deterministic in Python, so it is not reported.

## Fix safety
Unsafe: the model sees the keys in a different order.
"""

from promptlint.api import Example, FixAvailability, Severity, VolatileKind, VolatileSlotRule


class UnsortedJson(VolatileSlotRule):
    code = "PC301"
    name = "unsorted-json"
    severity = Severity.WARNING
    message = "`{culprit}` serialises without sorted keys; in the {role} it precedes {tail}, which the cache cannot reuse"
    volatile_kind = VolatileKind.ORDER
    cause_pattern = r"dumps?\(\)$"
    fix_availability = FixAvailability.SOMETIMES
    examples = (
        Example.bad(
            "import json\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'GUIDE = "Use the account settings above to answer billing questions precisely. " * 8\n\n'
            'PLANS = {"free", "pro", "team"}\n\n'
            "def ask(question: str):\n"
            "    limits = {plan: PLAN_LIMITS[plan] for plan in PLANS}\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(limits) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n',
            fixed="import json\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'GUIDE = "Use the account settings above to answer billing questions precisely. " * 8\n\n'
            'PLANS = {"free", "pro", "team"}\n\n'
            "def ask(question: str):\n"
            "    limits = {plan: PLAN_LIMITS[plan] for plan in PLANS}\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(limits, sort_keys=True) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n',
        ),
        Example.good(
            "import json\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'GUIDE = "Use the account settings above to answer billing questions precisely. " * 8\n\n'
            "def ask(question: str):\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(load_settings()) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n'
        ),
        Example.good(
            "import json\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'GUIDE = "Use the account settings above to answer billing questions precisely. " * 8\n\n'
            "def ask(question: str):\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(load_settings(), sort_keys=True) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n'
        ),
    )
