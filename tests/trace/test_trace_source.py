"""`trace --source`: a miss is linked only to findings whose prompt's static text the request carries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlint.trace.command import trace
from promptlint.trace.lint_link import (
    LinkedFinding,
    PromptLinks,
    Signature,
    prompt_links,
    request_text,
    shared_chars,
)
from promptlint.trace.normalise import Item

SUPPORT_POLICY = "Support rule: quote the order number and never offer refunds above the posted limit."
SUPPORT_INTRO = "You are the support assistant for Acme Anvils; answer only about orders and returns."

SUPPORT_BOT = f'''from datetime import datetime

from openai import OpenAI

client = OpenAI()
POLICY = "{SUPPORT_POLICY}\\n" * 90


def escalate(ticket: str) -> str:
    note = f"Escalation desk, opened {{datetime.now()}}.\\n{{POLICY}}"
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "system", "content": note}}, {{"role": "user", "content": ticket}}],
    )
    return resp.choices[0].message.content or ""


def reply(question: str) -> str:
    system = f"Today is {{datetime.now()}}. {SUPPORT_INTRO}\\n{{POLICY}}"
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "system", "content": system}}, {{"role": "user", "content": question}}],
    )
    return resp.choices[0].message.content or ""
'''

SUMMARISER = """import time

import anthropic

client = anthropic.Anthropic()
RULES = "Condense the meeting notes into three bullet points and keep every figure exact.\\n" * 90


def summarise(notes: str) -> str:
    msg = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=512,
        cache_control={"type": "ephemeral"},
        system=f"Generated at {time.time()}.\\n{RULES}",
        messages=[{"role": "user", "content": notes}],
    )
    return msg.content[0].text
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "support").mkdir(parents=True)
    (root / "summariser").mkdir()
    (root / "support" / "bot.py").write_text(SUPPORT_BOT)
    (root / "summariser" / "notes.py").write_text(SUMMARISER)
    return root


def _line(model: str, system: str, user: str, cached: int) -> str:
    request = {
        "model": model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }
    usage = {"prompt_tokens": 2400, "prompt_tokens_details": {"cached_tokens": cached}}
    return json.dumps({"request": request, "response": {"model": model, "usage": usage}})


def _log(tmp_path: Path, systems: tuple[str, str]) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        _line("gpt-4o", systems[0], "Where is order 1182?", 0)
        + "\n"
        + _line("gpt-4o", systems[1], "And order 1183?", 0)
        + "\n"
    )
    return path


def _support_system(stamp: str) -> str:
    return f"Today is {stamp}. {SUPPORT_INTRO}\n" + f"{SUPPORT_POLICY}\n" * 90


def _run(log: Path, tree: Path, *args: str) -> str:
    result = CliRunner().invoke(trace, [str(log), "--source", str(tree), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_only_the_support_bots_clock_is_linked(tmp_path: Path, tree: Path) -> None:
    links = prompt_links(str(tree))
    clocks = {str(link.finding["location"]).split(":")[0] for link in links.table["timestamp"]}
    assert clocks == {str(tree / "support" / "bot.py"), str(tree / "summariser" / "notes.py")}

    log = _log(
        tmp_path,
        (_support_system("2026-03-01 09:00:00.120311"), _support_system("2026-03-01 09:04:51.002417")),
    )
    (event,) = json.loads(_run(log, tree, "--output-format", "json"))["events"]
    assert event["cause"] == "timestamp"
    found = event["findings"]
    assert [f["code"] for f in found] == ["PC101", "PC101"]
    assert all(f["location"].startswith(str(tree / "support" / "bot.py")) for f in found)
    # best match first: `reply` (all its static text) before `escalate` (written first, shares the policy)
    assert found[0]["location"].endswith(":19:26") and found[1]["location"].endswith(":10:39")
    assert found[0]["shared_chars"] > found[1]["shared_chars"] >= 24
    assert found[0]["prompt"].endswith("bot.py:20:12")


def test_the_installed_command_links_preview_rules_too(tmp_path: Path, tree: Path) -> None:
    # PC101 is a preview rule (off by default); the test suite turns every rule on, so this runs the
    # installed command, where the default selection applies: the cause's rules must still be linked.
    log = _log(
        tmp_path,
        (_support_system("2026-03-01 09:00:00.120311"), _support_system("2026-03-01 09:04:51.002417")),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "promptlint",
            "trace",
            str(log),
            "--source",
            str(tree),
            "--output-format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (event,) = json.loads(done.stdout)["events"]
    assert [f["code"] for f in event["findings"]] == ["PC101", "PC101"]


def test_an_unlinted_app_gets_no_findings(tmp_path: Path, tree: Path) -> None:
    recipes = "You suggest weeknight recipes from the pantry list; metric units, under 40 minutes.\n" * 90
    log = _log(tmp_path, (f"Now: 2026-03-01 09:00\n{recipes}", f"Now: 2026-03-01 09:05\n{recipes}"))
    (event,) = json.loads(_run(log, tree, "--output-format", "json"))["events"]
    assert event["cause"] == "timestamp" and event["findings"] == []
    text = _run(log, tree)
    assert "no finding in the linted tree matches this request's prompt" in text
    assert "PC101" not in text


def _links(*signatures: tuple[str, ...]) -> PromptLinks:
    linked = [
        LinkedFinding({"code": "PC101", "location": f"app.py:{i}:1"}, (Signature(f"app.py:{i}:1", s, s),))
        for i, s in enumerate(signatures, 1)
    ]
    return PromptLinks({"timestamp": linked})


def _system(text: str) -> list[Item]:
    return [Item("system", "system", text), Item("messages", "user", "hello there, how are you")]


def test_a_stock_line_alone_does_not_link() -> None:
    stock = "You are a helpful assistant."
    own = (
        "Reply in French and cite the knowledge-base article you used.",
        "Never reveal internal ticket notes.",
    )
    links = _links((stock, *own), (stock,))
    found = links.for_request(
        "timestamp", _system(f"{stock}\nSummarise the thread in two lines for the agent.")
    )
    assert [f["location"] for f in found] == ["app.py:2:1"]  # a prompt that is only that line still does


def test_templated_text_matches_through_whitespace_changes() -> None:
    pieces = ("Today is", ". You are the support assistant for Acme Anvils.")
    links = _links(pieces)
    request = _system("Today is  2026-03-01.\n   You are the support\nassistant for Acme Anvils.")
    assert [f["shared_chars"] for f in links.for_request("timestamp", request)] == [56]


def test_no_static_text_or_another_cause_links_nothing() -> None:
    links = PromptLinks({"timestamp": [LinkedFinding({"code": "PC101"}, ())]})
    assert links.for_request("timestamp", _system("anything at all, long enough to share")) == ()
    assert links.for_request("id", _system("anything")) == ()


def test_prefix_stops_after_the_first_user_message_unless_the_cause_is_in_the_history() -> None:
    items = [
        Item("system", "system", "sys"),
        Item("messages", "user", "first"),
        Item("messages", "assistant", "reply"),
    ]
    assert request_text(items, whole=False) == "sys\nfirst"
    assert request_text(items, whole=True) == "sys\nfirst\nreply"


@pytest.mark.parametrize(
    ("pieces", "text", "expected"),
    [
        (("a" * 30,), "x" + "a" * 30, 30),
        (("a" * 20,), "a" * 20, 0),  # under 24 characters shared
        (("a" * 30, "b" * 40), "a" * 30, 0),  # under half of the static text
        (("a" * 30, "b" * 30), "a" * 30, 30),
    ],
)
def test_shared_chars(pieces: tuple[str, ...], text: str, expected: int) -> None:
    assert shared_chars(pieces, text) == expected
