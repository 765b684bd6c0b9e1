"""Sample application code shared by the integration tests (LSP, CI formats, pre-commit)."""

# An OpenAI app with a clock at the top of its system prompt and a no-op cache header. The emoji (two
# UTF-16 code units) before the clock makes LSP columns differ from character columns.
EMOJI_APP = (
    "from datetime import datetime\n"
    "from openai import OpenAI\n"
    "\n"
    "client = OpenAI()\n"
    'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n'
    "\n"
    "\n"
    "def answer(question: str) -> str:\n"
    '    system = f"🎉 Time: {datetime.now():%H:%M:%S}\\n{POLICY}"\n'
    "    response = client.chat.completions.create(\n"
    '        model="gpt-4o",\n'
    '        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],\n'
    '        extra_headers={"X-Cache-Enable": "true", "X-Request-ID": "abc"},\n'
    "    )\n"
    "    return response.choices[0].message.content\n"
)

# The same app as a user would write it, without the emoji.
HOSTILE_APP = (
    "from datetime import datetime\n"
    "from openai import OpenAI\n"
    "\n"
    "client = OpenAI()\n"
    'POLICY = "Answer questions about our return policy. Be concise and polite. " * 10\n'
    "\n"
    "\n"
    "def answer(question: str) -> str:\n"
    '    system = f"Current time: {datetime.now():%Y-%m-%d %H:%M:%S}\\n{POLICY}"\n'
    "    response = client.chat.completions.create(\n"
    '        model="gpt-4o",\n'
    '        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],\n'
    "    )\n"
    "    return response.choices[0].message.content\n"
)
