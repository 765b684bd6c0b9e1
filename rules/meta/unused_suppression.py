"""Suppression comment that suppresses nothing.

## What it does
Flags a `# promptlint: ignore[CODE]` comment when no diagnostic of that code is reported on its line
or the line after it.

## Why is this bad?
Stale suppressions hide future findings on that line and make the code say something untrue.
"""

from promptlint.api import EngineRule, Example, Severity


class UnusedSuppression(EngineRule):
    code = "PC002"
    name = "unused-suppression"
    severity = Severity.WARNING
    message = "Suppression of `{suppressed}` is unused"
    examples = (
        Example.bad('SYSTEM = "You are helpful"  # promptlint: ignore[PC101]\n'),
        Example.good(
            "from datetime import datetime\n"
            "POLICY = 'Answer politely. ' * 40\n"
            "def ask(client, q):\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            "        {'role': 'system', 'content': f'Now: {datetime.now()}\\n{POLICY}'},  # promptlint: ignore[PC101]\n"
            "        {'role': 'user', 'content': q}])\n"
        ),
    )
