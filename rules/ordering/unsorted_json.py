"""`json.dumps` of non-literal data into prompt or tool content without sorting the keys.

## What it does
Flags `json.dumps`, `simplejson.dumps`, `orjson.dumps` (without `OPT_SORT_KEYS`) and
`yaml.dump(..., sort_keys=False)` of data that is not a literal written in the code, when the result
lands in prompt or tool text before content the cache could reuse. Literal dicts and data that changes
per request anyway are not reported.

## Why is this bad?
Dicts keep insertion order, and insertion order depends on where the data came from (a database row,
an API response, a merge of settings). The same data serialised in a different key order is a
different prefix, so the cache misses even though nothing changed. `sort_keys=True` makes the text
canonical.

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
            "def ask(settings_row: dict, question: str):\n"
            "    system_settings = dict(settings_row)\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(load_settings()) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n',
            fixed="import json\n"
            "from openai import OpenAI\n\n"
            "client = OpenAI()\n"
            'GUIDE = "Use the account settings above to answer billing questions precisely. " * 8\n\n'
            "def ask(settings_row: dict, question: str):\n"
            "    system_settings = dict(settings_row)\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            '        {"role": "system", "content": json.dumps(load_settings(), sort_keys=True) + GUIDE},\n'
            '        {"role": "user", "content": question}])\n',
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
