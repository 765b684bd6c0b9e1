"""Patterns that look cache-hostile but are not: each must stay silent (and its twin must fire)."""

from __future__ import annotations

import pytest

POLICY = (
    "POLICY = 'Answer questions about orders, refunds and shipping. Keep answers short and factual. ' * 80\n"
)
HEAD = (
    "import time, uuid, random, logging, json\nfrom datetime import datetime\nfrom openai import OpenAI\nclient = OpenAI()\n"
    + POLICY
)


def chat(system: str, user: str = "q", extra: str = "") -> str:
    return (
        f"def ask(q, user_name, history):\n{extra}"
        f"    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        f"        {{'role': 'system', 'content': {system}}}, {{'role': 'user', 'content': {user}}}])\n"
    )


# A web handler: its parameters are the request's input.
HANDLER = "from fastapi import FastAPI\napp = FastAPI()\n@app.post('/ask')\n"

SILENT = {
    "clock used for logging": chat("POLICY", extra="    logging.info('at %s', datetime.now())\n"),
    "clock in metadata": HEAD.replace("client = OpenAI()", "client = OpenAI()")
    + "def ask(q):\n    return client.chat.completions.create(model='m', messages=[{'role': 'system', 'content': POLICY},"
    " {'role': 'user', 'content': q}], metadata={'ts': str(datetime.now())}, user=str(uuid.uuid4()))\n",
    "timing around the call": chat(
        "POLICY", extra="    start = time.time()\n    elapsed = time.time() - start\n"
    ),
    "timestamp at end of last user message": chat("POLICY", "f'{q}\\n\\nCurrent time: {datetime.now()}'"),
    "constants composed with format": "BASE = 'You work for {company}. ' + 'Be polite. ' * 30\nCOMPANY = 'ACME'\n"
    + chat("BASE.format(company=COMPANY)"),
    "constants composed with join": chat("'\\n'.join([POLICY, 'Be brief.'])"),
    "dynamic text after the static part": HANDLER + chat("POLICY + f'\\nCustomer: {user_name}'"),
    "seeded random": chat("POLICY", extra="    rng = random.Random(42)\n"),
    "short static tail after a request value": HANDLER + chat("f'Customer: {user_name}. Be brief.'"),
    # `user_name` is a plain parameter: unknown origin, never reported (evidence rule, issue 11).
    "unknown-origin name before policy": chat("f'Customer: {user_name}\\n' + POLICY"),
}

FIRING = {
    "clock in system": (chat("f'Now {datetime.now()}\\n' + POLICY"), "PC101"),
    "name before policy": (HANDLER + chat("f'Customer: {user_name}\\n' + POLICY"), "PC201"),
    "question before policy": (chat("f'Customer asks: {q}\\n' + POLICY"), "PC201"),
    "uuid before history": (
        "import uuid\nfrom openai import OpenAI\nclient = OpenAI()\n"
        "def ask(q, history):\n    return client.chat.completions.create(model='m', messages=[\n"
        "        {'role': 'system', 'content': f'trace={uuid.uuid4()}'}, *history, {'role': 'user', 'content': q}])\n",
        "PC102",
    ),
    "timestamp early in the last message before a long tail": (
        chat("'Hi'", "f'Now {datetime.now()}\\n' + POLICY + q"),
        "PC101",
    ),
}


@pytest.mark.parametrize("name", sorted(SILENT))
def test_near_miss_is_silent(name: str, lint) -> None:  # type: ignore[no-untyped-def]
    code = (
        SILENT[name]
        if SILENT[name].startswith(("import", "BASE")) is False or "def ask" in SILENT[name]
        else SILENT[name]
    )
    if not code.startswith("import"):
        code = HEAD + code
    assert [d.message for d in lint(code)] == []


@pytest.mark.parametrize("name", sorted(FIRING))
def test_twin_fires(name: str, lint) -> None:  # type: ignore[no-untyped-def]
    code, expected = FIRING[name]
    if not code.startswith("import"):
        code = HEAD + code
    assert expected in {d.code for d in lint(code)}


def test_cache_impact_counts_static_tokens(lint) -> None:  # type: ignore[no-untyped-def]
    diags = lint(HEAD + chat("f'Now {datetime.now()}\\n' + POLICY"))
    (diag,) = [d for d in diags if d.code == "PC101"]
    assert diag.cache_impact is not None and 1000 < diag.cache_impact.tokens_after < 2000
    assert "changes every call" in diag.message and "system message" in diag.message


def test_granularity_in_message(lint) -> None:  # type: ignore[no-untyped-def]
    diags = lint(HEAD + chat("f'Hour {datetime.now():%Y-%m-%d %H}\\n' + POLICY"))
    assert any("changes every hour" in d.message for d in diags)


def test_a_date_is_coarser_than_the_cache_lifetime(lint) -> None:  # type: ignore[no-untyped-def]
    # A value that changes once a day costs at most one miss a day; `clock-granularity` (default
    # "hour") is the coarsest clock still reported.
    assert not lint(HEAD + chat("f'Today {datetime.now():%Y-%m-%d}\\n' + POLICY"))
    assert not lint(HEAD + chat("f'Weekday {datetime.now().strftime(\"%A\")}\\n' + POLICY"))
