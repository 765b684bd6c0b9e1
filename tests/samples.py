"""Sample application code shared by the integration tests (LSP, CI formats, pre-commit)."""


def openai_app(system: str, headers: bool) -> str:
    """An OpenAI app whose system prompt is the f-string `system`, optionally with a no-op cache header."""
    return (
        "from datetime import datetime\n"
        "from openai import OpenAI\n"
        "\n"
        "client = OpenAI()\n"
        'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n'
        "\n"
        "\n"
        "def answer(question: str) -> str:\n"
        f'    system = f"{system}\\n{{POLICY}}"\n'
        "    response = client.chat.completions.create(\n"
        '        model="gpt-4o",\n'
        '        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],\n'
        + ('        extra_headers={"X-Cache-Enable": "true", "X-Request-ID": "abc"},\n' if headers else "")
        + "    )\n"
        "    return response.choices[0].message.content\n"
    )


# A clock at the top of the system prompt and a no-op cache header. The emoji (two UTF-16 code units)
# before the clock makes LSP columns differ from character columns.
EMOJI_APP = openai_app("🎉 Time: {datetime.now():%H:%M:%S}", headers=True)

# The same kind of app as a user would write it.
HOSTILE_APP = openai_app("Current time: {datetime.now():%Y-%m-%d %H:%M:%S}", headers=False)


def clock_app(extra: str = "") -> str:
    """A one-function OpenAI app with a minute clock in front of its policy; `extra` goes into the
    create() call (`, extra_headers={...}`)."""
    return (
        "from datetime import datetime\nfrom openai import OpenAI\nclient = OpenAI()\n"
        "POLICY = 'Answer questions about our store. Be concise and polite to everyone. ' * 10\n"
        "def ask(q):\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': f'Now {datetime.now():%H:%M}\\n' + POLICY},\n"
        f"        {{'role': 'user', 'content': q}}]{extra})\n"
    )
