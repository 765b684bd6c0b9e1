"""Random choice, sample or shuffle shaping early prompt content.

## What it does
Flags `random.choice`, `random.sample`, `random.shuffle` (and `numpy.random`, `secrets.choice`) whose
result reaches prompt text before static text or the conversation history: typically few-shot examples
picked or ordered at random. After a seeding call from the volatile table (`random.seed(7)`,
`numpy.random.seed(0)`) that is a statement of the same function's body before the pick, with a
constant, a setting or a defaulted parameter as the seed, the numbers repeat on every call and nothing
is reported; a seed at import only fixes the sequence (each request draws the next values), and a seed
from the clock or the request fixes nothing. A field of one element picked from a collection
promptlint cannot see (`random.choice(self.characters).persona`, `nodes[random.randint(...)]`) is one
of the elements' fields, which may not differ: an unknown value, not a finding.

## Why is this bad?
Each request gets a different prefix, so the cache never hits after the random part. Pick examples
deterministically (a fixed set, or seeded by something stable such as the task type).
"""

from promptlint.api import Example, Severity, VolatileKind, VolatileSlotRule


class RandomInPrefix(VolatileSlotRule):
    code = "PC103"
    name = "random-in-prefix"
    severity = Severity.ERROR
    message = "Random value `{culprit}` in the {role} precedes {tail}, which the cache cannot reuse"
    volatile_kind = VolatileKind.RANDOM
    examples = (
        Example.bad(
            "import random\n"
            "import litellm\n\n"
            'EXAMPLES = ["Q: 2+2? A: 4", "Q: 3+3? A: 6", "Q: 5+1? A: 6", "Q: 9-4? A: 5"]\n'
            'GUIDE = "Solve the arithmetic question. Show only the final number. " * 10\n\n'
            "def solve(question):\n"
            '    shots = "\\n".join(random.sample(EXAMPLES, 2))\n'
            "    return litellm.completion(\n"
            '        model="deepseek/deepseek-chat",\n'
            '        messages=[{"role": "system", "content": shots + "\\n" + GUIDE},\n'
            '                  {"role": "user", "content": question}],\n'
            "    )\n"
        ),
        Example.good(
            "import litellm\n\n"
            'EXAMPLES = ["Q: 2+2? A: 4", "Q: 3+3? A: 6", "Q: 5+1? A: 6", "Q: 9-4? A: 5"]\n'
            'GUIDE = "Solve the arithmetic question. Show only the final number. " * 10\n\n'
            "def solve(question):\n"
            '    shots = "\\n".join(EXAMPLES[:2])\n'
            "    return litellm.completion(\n"
            '        model="deepseek/deepseek-chat",\n'
            '        messages=[{"role": "system", "content": shots + "\\n" + GUIDE},\n'
            '                  {"role": "user", "content": question}],\n'
            "    )\n"
        ),
    )
