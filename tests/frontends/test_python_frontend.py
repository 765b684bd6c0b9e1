"""The Python frontend turns code into the prompt IR: one test per content form and prompt site."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from promptlint.frontends.python import PythonContext, extract_python
from promptlint.frontends.python.modules import ModuleLoader
from promptlint.frontends.python.volatile import VolatileTable
from promptlint.frontends.python.wrappers import sink_table
from promptlint.ir import FileFacts, Prompt, Slot, Text
from promptlint.source import FileKind, SourceFile, decode_source


def facts_of(
    code: str,
    tmp_path: Path,
    name: str = "app.py",
    volatile: tuple[str, ...] = (),
    public_builders: bool = False,
) -> FileFacts:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    source = decode_source(str(path), path.read_bytes(), FileKind.PYTHON)
    sinks = sink_table().extended((), public_builders=public_builders)
    return extract_python(source, PythonContext(ModuleLoader(), VolatileTable.build(volatile), sinks))


def render(prompt: Prompt) -> str:
    """Compact IR text: `role: text{SLOT:stability[:kind/granularity]}...` per part."""
    lines = []
    for part in prompt.parts:
        pieces = []
        for seg in part.segments:
            if isinstance(seg, Text):
                pieces.append(seg.text)
            elif isinstance(seg, Slot):
                extra = f":{seg.kind}" if seg.kind else ""
                extra += f"/{seg.granularity.label}" if seg.granularity is not None else ""
                pieces.append(f"{{{seg.label}:{seg.stability.name}{extra}}}")
            else:
                pieces.append(f"<{seg.kind}>")
        lines.append(f"{part.role}: {''.join(pieces)}")
    return "\n".join(lines)


def only(facts: FileFacts) -> str:
    assert len(facts.prompts) == 1, [render(p) for p in facts.prompts]
    return render(facts.prompts[0])


HANDLER = "from fastapi import FastAPI\napp = FastAPI()\n@app.post('/ask')"
CHAT = "client.chat.completions.create(model='gpt-4o', messages=[{{'role': 'system', 'content': {sys}}}, {{'role': 'user', 'content': q}}])"


@pytest.mark.parametrize(
    ("setup", "expr", "expected"),
    [
        ("", "f'Today {datetime.now():%Y-%m-%d}. Rules'", "Today {datetime.now():VOLATILE:time/day}. Rules"),
        ("", "f'At {datetime.now():%H:%M}'", "At {datetime.now():VOLATILE:time/minute}"),
        ("", "'Now: ' + datetime.now().isoformat()", "Now: {datetime.now():VOLATILE:time/sub-second}"),
        ("", "'Day %s. Rules' % date.today()", "Day {date.today():VOLATILE:time/day}. Rules"),
        (
            "",
            "'At {t}. Rules'.format(t=time.strftime('%H'))",
            "At {time.strftime():VOLATILE:time/hour}. Rules",
        ),
        ("", "'Run {}'.format(uuid.uuid4())", "Run {uuid.uuid4():VOLATILE:id}"),
        ("", "'\\n'.join(['A', 'B', str(int(time.time()))])", "A\nB\n{time.time():VOLATILE:time/second}"),
        ("", "textwrap.dedent('''\n    Hello\n    World''')", "\nHello\nWorld"),
        ("", "('Implicit '\n 'concatenation')", "Implicit concatenation"),
        ("BASE = 'Act as {role}.'\nROLE = 'a tutor'", "BASE.format(role=ROLE)", "Act as a tutor."),
        ("", "'Pick: ' + random.choice(['a', 'b'])", "Pick: {random.choice():VOLATILE:random}"),
        # A plain parameter is of unknown origin whatever its name (evidence rule, issue 11) ...
        ("", "f'{name}, read this'", "{name:UNKNOWN}, read this"),
        ("", "f'{user_name}, read this'", "{user_name:UNKNOWN}, read this"),
        # ... and per-request with evidence: a web handler's parameter, or the user's message itself.
        (HANDLER, "f'{name}, read this'", "{name:REQUEST}, read this"),
        ("", "f'{q}, read this'", "{q:REQUEST}, read this"),
        ("", "'x' * 3", "xxx"),
    ],
)
def test_content_forms(setup: str, expr: str, expected: str, tmp_path: Path) -> None:
    code = (
        "import time, uuid, random, textwrap\nfrom datetime import datetime, date\n"
        f"{setup}\n"
        f"def ask(client, q, name, user_name):\n    return {CHAT.format(sys=expr)}\n"
    )
    first = only(facts_of(code, tmp_path)).splitlines()
    assert "\n".join(first[: expected.count("\n") + 1]) == f"system: {expected}"


def test_aliases_resolve(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from datetime import datetime as dt
        import datetime as d
        import time as t
        def ask(client, q):
            s = f"{dt.now()} {d.datetime.utcnow()} {t.time()}"
            return client.chat.completions.create(model="m", messages=[{"role": "system", "content": s}])
        """,
        tmp_path,
    )
    assert only(facts).count("VOLATILE:time") == 3


@pytest.mark.parametrize(
    ("decorator", "stability"),
    [
        # A `history` parameter of unknown origin stays unknown (evidence rule, issue 11) ...
        ("", "UNKNOWN"),
        # ... and is per-request when a web handler receives it with the request.
        ("@app.post('/chat')", "REQUEST"),
    ],
)
def test_local_assignments_augassign_and_appends(tmp_path: Path, decorator: str, stability: str) -> None:
    facts = facts_of(
        f"""
        from datetime import datetime
        from fastapi import FastAPI
        app = FastAPI()
        RULES = "Rules."
        {decorator}
        def ask(client, q, history):
            system = "You help. "
            system += f"Now {{datetime.now()}}. "
            system += RULES
            messages = [{{"role": "system", "content": system}}]
            messages.extend(history)
            messages.append({{"role": "user", "content": q}})
            return client.chat.completions.create(model="m", messages=messages)
        """,
        tmp_path,
    )
    assert only(facts) == (
        "system: You help. Now {datetime.now():VOLATILE:time/sub-second}. Rules.\n"
        f"history: {{history:{stability}}}\n"
        "user: {q:REQUEST}"
    )


def test_same_module_function_with_bound_arguments(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from datetime import date
        def build_system(day, tone="calm"):
            return f"Day {day}. Be {tone}."
        def ask(client, q):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": build_system(date.today())}, {"role": "user", "content": q}])
        """,
        tmp_path,
    )
    assert only(facts).splitlines()[0] == "system: Day {date.today():VOLATILE:time/day}. Be calm."


def test_methods_and_properties(tmp_path: Path) -> None:
    facts = facts_of(
        """
        import uuid
        class Bot:
            PERSONA = "You are Bob."
            def __init__(self, client, user):
                self.client = client
                self.user = user
                self.session = uuid.uuid4()
            @property
            def header(self):
                return f"Run {uuid.uuid4()}"
            def system_prompt(self):
                return self.header + " " + self.PERSONA + f" User: {self.user} ({self.session})"
            def ask(self, q):
                return self.client.chat.completions.create(model="m", messages=[
                    {"role": "system", "content": self.system_prompt()}, {"role": "user", "content": q}])
        """,
        tmp_path,
    )
    # `self.user` is assigned a parameter of unknown origin: unknown, not per-session by guess
    # (evidence rule, issue 11); `self.session = uuid4()` is evidence and keeps its volatility.
    assert only(facts).splitlines()[0] == (
        "system: Run {uuid.uuid4():VOLATILE:id} You are Bob. "
        "User: {self.user:UNKNOWN} ({self.session:VOLATILE:id})"
    )
    session = next(
        s for s in facts.prompts[0].parts[0].segments if isinstance(s, Slot) and s.label == "self.session"
    )
    assert [step.message for step in session.steps] == [
        "stored in `self.session`",
        "returned by `system_prompt()`",
    ]


def test_cross_module_constants_and_functions(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "prompts.py").write_text(
        "from datetime import datetime\nPOLICY = 'Be brief.'\n"
        "def header():\n    return f'Now {datetime.now():%Y-%m-%d %H:%M:%S}.'\n"
    )
    facts = facts_of(
        """
        from .prompts import POLICY, header
        def ask(client, q):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": header() + " " + POLICY}, {"role": "user", "content": q}])
        """,
        tmp_path,
        name="app/client.py",
    )
    prompt = facts.prompts[0]
    assert render(prompt).splitlines()[0] == "system: Now {datetime.now():VOLATILE:time/second}. Be brief."
    slot = next(s for s in prompt.parts[0].segments if isinstance(s, Slot))
    assert slot.origin is not None and slot.origin.path.endswith("prompts.py")


def test_config_extends_volatile_table(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from myapp.clock import now
        def ask(client, q):
            return client.chat.completions.create(model="m", messages=[{"role": "system", "content": f"{now()} rules"}])
        """,
        tmp_path,
        volatile=("myapp.clock.now",),
    )
    assert "VOLATILE:time" in only(facts)


def test_anthropic_blocks_tools_and_breakpoints(tmp_path: Path) -> None:
    facts = facts_of(
        """
        import anthropic
        client = anthropic.Anthropic()
        TOOLS = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"},
                  "cache_control": {"type": "ephemeral"}}]
        def ask(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=10, tools=TOOLS,
                system=[{"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": [{"type": "text", "text": q}]}])
        """,
        tmp_path,
    )
    prompt = facts.prompts[0]
    assert prompt.provider == "anthropic" and prompt.model == "claude-sonnet-4-5"
    assert [p.role for p in prompt.parts] == ["tools", "system", "user"]
    assert [(b.part, b.automatic) for b in prompt.breakpoints] == [(0, False), (1, False)]
    assert '"name": "get_weather"' in render(prompt)


@pytest.mark.parametrize(
    ("call", "provider", "roles"),
    [
        (
            "OpenAI(base_url='https://api.deepseek.com').chat.completions.create(model='x', messages=m)",
            "deepseek",
            ["system", "user"],
        ),
        ("client.chat.completions.create(model='deepseek-chat', messages=m)", "deepseek", ["system", "user"]),
        ("client.responses.create(model='gpt-5', instructions=S, input=q)", "openai", ["system", "user"]),
        ("litellm.completion(model='gpt-4o', messages=m)", "litellm", ["system", "user"]),
        (
            "ChatPromptTemplate.from_messages([('system', S), ('human', '{question}')])",
            "langchain",
            ["system", "user"],
        ),
        (
            "client.models.generate_content(model='gemini-2.5-flash', contents=q, "
            "config=types.GenerateContentConfig(system_instruction=S))",
            "gemini",
            ["system", "user"],
        ),
    ],
)
def test_prompt_sites(call: str, provider: str, roles: list[str], tmp_path: Path) -> None:
    facts = facts_of(
        "import litellm\nfrom openai import OpenAI\nfrom langchain_core.prompts import ChatPromptTemplate\n"
        "S = 'Be kind.'\n"
        f"def ask(client, q, types):\n    m = [{{'role': 'system', 'content': S}}, {{'role': 'user', 'content': q}}]\n"
        f"    return {call}\n",
        tmp_path,
    )
    sites = [p for p in facts.prompts if p.provider == provider]
    assert sites, [(p.provider, render(p)) for p in facts.prompts]
    assert [str(p.role) for p in sites[0].parts] == roles


def test_langchain_template_variables_are_slots(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from langchain_core.prompts import ChatPromptTemplate
        prompt = ChatPromptTemplate.from_messages([("system", "Hi {user_name}. Rules."), ("human", "{question}")])
        """,
        tmp_path,
    )
    # The variables are slots at their place in the text, but nothing in this module says where
    # their values come from: unknown, not per-request by name (evidence rule, issue 11).
    assert only(facts) == "system: Hi {user_name:UNKNOWN}. Rules.\nuser: {question:UNKNOWN}"


FALLBACK_SYSTEM = "system: Time {datetime.now():VOLATILE:time/sub-second}. Rules."
FALLBACK_USER = "user: Q: {question:UNKNOWN}"  # a plain parameter: unknown origin (issue 11)


@pytest.mark.parametrize(
    ("module_line", "local_line", "public_builders", "expected"),
    [
        # A prompt-named variable or function is no prompt of its own (issue 11): it is one where its
        # value reaches a known sink, which the sites see; a name is not evidence of a request, not
        # even in a module that names an LLM API. A library that says its callers send what its
        # public builders return sets `public-prompt-builders = true`.
        ("from openai import OpenAI", "", False, []),
        ("from openai import OpenAI", "", True, [FALLBACK_USER]),
        ("", "", False, []),
        ("", "", True, [FALLBACK_USER]),
        # Passed to a callee promptlint does not know (not in `data/sinks.toml`): still no evidence.
        ("", "agent = Agent(instructions=system_prompt)", False, []),
        ("", "agent = Agent(instructions=system_prompt)", True, [FALLBACK_USER]),
        ("", 'text = "{instructions}".format(instructions=system_prompt)', False, []),
    ],
)
def test_prompt_named_fallbacks(
    tmp_path: Path, module_line: str, local_line: str, public_builders: bool, expected: list[str]
) -> None:
    facts = facts_of(
        f"""
        from datetime import datetime
        {module_line}
        def start():
            system_prompt = f"Time {{datetime.now()}}. Rules."
            {local_line}
        def build_user_prompt(question):
            return f"Q: {{question}}"
        """,
        tmp_path,
        public_builders=public_builders,
    )
    assert sorted(render(p) for p in facts.prompts) == expected


def test_role_dict_lists_without_a_known_client(tmp_path: Path) -> None:
    facts = facts_of(
        """
        import uuid
        def build(q):
            return [{"role": "system", "content": f"trace {uuid.uuid4()} rules"}, {"role": "user", "content": q}]
        """,
        tmp_path,
    )
    assert only(facts).startswith("system: trace {uuid.uuid4():VOLATILE:id} rules")


def test_values_outside_prompt_content_are_not_prompts(tmp_path: Path) -> None:
    facts = facts_of(
        """
        import logging, time, uuid
        from datetime import datetime
        log = logging.getLogger(__name__)
        def ask(client, q, db):
            start = time.time()
            log.info("asking at %s", datetime.now())
            r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": q}],
                                               metadata={"sent": str(datetime.now())}, user=str(uuid.uuid4()))
            db.save(created=datetime.now(), elapsed=time.time() - start)
            return r
        """,
        tmp_path,
    )
    assert only(facts) == "user: {q:REQUEST}"


def test_persisted_history_appends_are_frozen(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from datetime import datetime
        SYSTEM = "You are a tutor."
        class Chat:
            def __init__(self, client):
                self.client = client
                self.history = []
            def ask(self, q):
                self.history.append({"role": "user", "content": f"[{datetime.now()}] {q}"})
                reply = self.client.chat.completions.create(model="m",
                    messages=[{"role": "system", "content": SYSTEM}] + self.history)
                self.history.append({"role": "assistant", "content": reply})
                return reply
        """,
        tmp_path,
    )
    # The appended clock is frozen into the persisted history, never a volatile slot. The history
    # itself is an instance attribute with no evidence of its own: unknown (issue 11), not SESSION.
    assert only(facts) == "system: You are a tutor.\nhistory: {self.history:UNKNOWN}"


def test_syntax_error_position(tmp_path: Path) -> None:
    facts = facts_of("x = 1\ndef f(:\n    pass\n", tmp_path)
    assert facts.parse_failure is not None
    text = (tmp_path / "app.py").read_text()
    assert text[: facts.parse_failure.span.start].count("\n") == 1


def test_walk_reaches_a_site_deep_in_a_multiline_statement(tmp_path: Path) -> None:
    # Only nodes whose lines hold a prompt word are visited; the site's own lines must hold one.
    facts = facts_of(
        """
        from datetime import datetime
        def run(client, q):
            results = [
                process(
                    client.chat.completions.create(
                        model="m",
                        messages=[
                            {"role": "system", "content": f"Now {datetime.now()}. Be brief."},
                            {"role": "user", "content": q},
                        ],
                    )
                )
                for _ in range(3)
            ]
            return results
        """,
        tmp_path,
    )
    assert only(facts).startswith("system: Now {datetime.now():VOLATILE:time/sub-second}")


@pytest.mark.parametrize("name", ["transcript", "turns", "dialog", "chat_log"])
def test_walk_reaches_history_windows_named_without_a_prompt_word(tmp_path: Path, name: str) -> None:
    # The window's lines hold no prompt word but the history's name; the window is sent, which is
    # the evidence PC401 needs (issue 11).
    window = f"""
        def context(client, event):
            {name} = event.get("{name}", [])
            recent = []
            for entry in {name}[-6:]:
                recent.append(entry)
            return client.chat.completions.create(model="m", messages=recent)
        """
    assert [op.target for op in facts_of(window, tmp_path).history] == [name]
    # The same window that only prints is no history of a request: nothing to report (issue 11).
    printed = window.replace("recent.append(entry)", "print(entry)").replace("messages=recent", "messages=[]")
    assert facts_of(printed, tmp_path).history == ()


@pytest.mark.parametrize(
    "name",
    [
        "prompt_tokens",
        "prompt_cost",
        "is_system",
        "self.has_system_message",
        "prompt_embedding",
        "num_prompts",
    ],
)
def test_names_of_numbers_and_flags_about_a_prompt_are_not_prompts(tmp_path: Path, name: str) -> None:
    function = name.removeprefix("self.")
    facts = facts_of(
        f"""
        from datetime import datetime
        class Bot:
            def {function}(self):
                return f"{{datetime.now()}} tokens"
            def system_text(self):
                return f"{{datetime.now()}} rules"
        """,
        tmp_path,
        public_builders=True,
    )
    assert [p.parts[0].role.value for p in facts.prompts] == ["system"]
    assert "rules" in render(facts.prompts[0])


@pytest.mark.parametrize(
    "name",
    [
        "build_score_prompt",
        "use_case_prompt",
        "word_count_instruction",
        "summary_length_instruction",
        "cost_estimation_prompt",
        "token_budget_system_prompt",
    ],
)
def test_prompt_builders_named_after_numbers_are_still_prompts(tmp_path: Path, name: str) -> None:
    facts = facts_of(
        f"""
        from datetime import datetime
        def {name}(answer):
            return f"Today is {{datetime.now()}}. Grade the answer carefully. {{answer}}"
        """,
        tmp_path,
        public_builders=True,  # a library's builder: what it returns is its callers' prompt
    )
    assert len(facts.prompts) == 1


def test_walk_of_a_module_without_prompt_words_finds_nothing(tmp_path: Path) -> None:
    import ast

    from promptlint.frontends.python.modules import build_module
    from promptlint.frontends.python.walk import walk

    source = SourceFile(str(tmp_path / "m.py"), "x = 1\ny = 2\n", FileKind.PYTHON)
    found = walk(build_module(source, ast.parse(source.text), "m", False))
    assert not found.calls and not found.functions


def test_returns_in_a_docstring_is_not_a_prompt_word() -> None:
    from promptlint.frontends.python.needles import NeedleLines

    assert not NeedleLines.of(
        SourceFile("a.py", 'def f():\n    """Returns: nothing. returns"""\n', FileKind.PYTHON)
    ).mentions
    assert NeedleLines.of(SourceFile("a.py", "turns = []\n", FileKind.PYTHON)).mentions


HISTORY_SHAPES = """
    def build(MESSAGES, q):
        return [
            {"role": "system", "content": SYSTEM},
            *MESSAGES[-10:],
        ]
    class Bot:
        def drop(self):
            if len(self.chatHistory) > 40:  # every turn once the limit is reached
                return {
                    "role": "system",
                    "dropped": self.chatHistory.pop(0),
                }
    """


def test_history_names_in_any_letter_case_are_reached_inside_multiline_statements(tmp_path: Path) -> None:
    # Both histories are sent, by a provider call and by a project wrapper given `messages=`: the
    # evidence PC401 needs (issue 11).
    sinks = """
    def ask(client, MESSAGES, q):
        return client.chat.completions.create(model="m", messages=build(MESSAGES, q))
    """
    sent = HISTORY_SHAPES.replace(
        "    class Bot:\n",
        "    class Bot:\n        def reply(self):\n            return self.llm.chat(messages=self.chatHistory)\n",
    )
    facts = facts_of(sent + sinks, tmp_path)
    assert sorted(op.target for op in facts.history) == ["MESSAGES", "self.chatHistory"]
    # The same operations on histories no code of the module sends are not reported (issue 11).
    assert facts_of(HISTORY_SHAPES, tmp_path).history == ()


def test_synthetic_nodes_get_the_span_of_their_own_location(tmp_path: Path) -> None:
    import ast

    from promptlint.frontends.python.modules import build_module

    source = decode_source("m.py", b"a.b\ncc.dd\n", FileKind.PYTHON)
    module = build_module(source, ast.parse(source.text), "m", False)
    texts = []
    for stmt in ast.parse(source.text).body:
        fake = ast.copy_location(ast.Call(func=stmt.value, args=[], keywords=[]), stmt.value)  # type: ignore[attr-defined]
        texts.append(module.text_of(fake))
        del fake
    assert texts == ["a.b", "cc.dd"]


def test_an_import_cycle_back_into_the_linted_file_is_reported_the_same_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The linted file and its copy reached through the cycle share a tree; the result must not depend
    # on which of them is evaluated first.
    from promptlint.engine.runner import lint_paths

    monkeypatch.chdir(tmp_path)

    # The clock is read per call (in a function): a module-level `time.time()` runs once, at import.
    (tmp_path / "b.py").write_text(
        'from a import stamp\ndef prompt():\n    return stamp() + "You are a helpful assistant. " * 30\n'
    )
    (tmp_path / "a.py").write_text(
        "import time\nfrom openai import OpenAI\nfrom b import prompt\n"
        'def stamp():\n    return f"Today is {time.time()}."\nclient = OpenAI()\n'
        "def ask(q):\n    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': prompt()}, {'role': 'user', 'content': q}])\n"
    )
    first = lint_paths(["a.py"], jobs=1).diagnostics
    again = lint_paths(["a.py"], jobs=1).diagnostics
    assert [(d.code, d.span) for d in first] == [(d.code, d.span) for d in again]
    assert [d.code for d in first] == ["PC101"]


@pytest.mark.parametrize(
    ("test", "guard"),
    [
        ("not history", True),
        ("len(self.history) == 0", True),
        ("history == []", True),
        ("ready and not messages", True),
        ("history", False),
        ("check('do not stop')", False),  # words in a string are no guard
        ("len(history) > 10", False),
    ],
)
def test_guards_emptiness(test: str, guard: bool) -> None:
    import ast

    from promptlint.frontends.python.history import guards_emptiness

    expr = ast.parse(test, mode="eval").body
    assert guards_emptiness(expr) is guard


def test_parameter_defaults_are_not_walked(tmp_path: Path) -> None:
    facts = facts_of(
        """
        from datetime import datetime
        def build(question, messages=[{"role": "system", "content": f"Started {datetime.now()}. Rules."}]):
            return question
        """,
        tmp_path,
    )
    assert facts.prompts == ()  # a default is evaluated once, when the function is defined
