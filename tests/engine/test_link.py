"""Linking templates to the Python that renders them, across a realistic small project."""

from __future__ import annotations

from pathlib import Path

from promptlint.engine.runner import Selection, lint_paths

POLICY = (
    "You are a support assistant for ACME Corp. Follow the policy below and always be polite.\n"
    "Refunds are accepted within 30 days with a receipt. Store credit is offered otherwise.\n"
    "Never share internal notes. Escalate legal questions to a human agent.\n"
    "Keep answers short and friendly. Always cite the policy section you rely on.\n"
)
CALL = """    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "system", "content": {var}}}, {{"role": "user", "content": question}}],
    )
"""


def project(root: Path) -> Path:
    app = root / "app"
    (app / "templates").mkdir(parents=True)
    (app / "prompts").mkdir()
    (app / "templates" / "clock.j2").write_text("Current time: {{ now }}\n" + POLICY)
    (app / "templates" / "dated.j2").write_text("Date: {{ date }}\n" + POLICY)
    (app / "templates" / "friendly.j2").write_text(
        POLICY
        + "{% for k, v in faq | dictsort %}{{ k }}: {{ v }}\n{% endfor %}Customer: {{ customer_name }}\n"
    )
    (app / "prompts" / "greet.txt").write_text("Hello {customer_name}!\n" + POLICY * 20)
    (app / "main.py").write_text(
        "from datetime import datetime\nfrom pathlib import Path\n\n"
        "from fastapi import FastAPI\nfrom jinja2 import Environment, FileSystemLoader\nfrom openai import OpenAI\n\n"
        "api = FastAPI()\nclient = OpenAI()\n"
        'env = Environment(loader=FileSystemLoader("templates"), trim_blocks=True)\n'
        'PROMPTS = Path(__file__).parent / "prompts"\n\n\n'
        "def clock(question):\n"
        '    system = env.get_template("clock.j2").render(now=datetime.now())\n'
        + CALL.format(var="system")
        + "\n\ndef dated(question):\n"
        '    system = env.get_template("dated.j2").render(date="2024-06-01")\n'
        + CALL.format(var="system")
        + "\n\ndef friendly(question, customer):\n"
        '    system = env.get_template("friendly.j2").render(faq={}, customer_name=customer.name)\n'
        + CALL.format(var="system")
        # A web handler: `user` is the request body, so `{customer_name}` is per-request with
        # evidence (issue 11); `customer` in `friendly` is a plain parameter of unknown origin.
        + '\n\n@api.post("/greet")\ndef greet(question, user):\n'
        '    text = (PROMPTS / "greet.txt").read_text().format(customer_name=user.name)\n'
        + CALL.format(var="text")
    )
    return app


def test_project_findings_point_into_templates(tmp_path: Path, chdir: Path) -> None:
    project(tmp_path)
    run = lint_paths(["app"], selection=Selection(select=("PC1", "PC2")))
    assert not run.errors
    found = sorted((Path(d.path).name, d.code, d.message.split("`")[1]) for d in run.diagnostics)
    assert ("clock.j2", "PC101", "datetime.now()") in found
    assert ("greet.txt", "PC201", "{customer_name}") in found
    assert not [f for f in found if f[0] in ("dated.j2", "friendly.j2")], found
    clock = next(d for d in run.diagnostics if d.path.endswith("clock.j2"))
    assert run.sources[clock.path].text[clock.span.start : clock.span.end] == "{{ now }}"
    assert [r.message for r in clock.related][0] == "rendered here"
    assert clock.related[0].path.endswith("main.py")
    assert len([d for d in run.diagnostics if d.path.endswith("clock.j2")]) == 1


def test_unknown_origin_values_rendered_into_templates_are_silent(tmp_path: Path, chdir: Path) -> None:
    # Without the web handler, `user` is a parameter of unknown origin: no evidence, no finding
    # (issue 11), although the same template line is PC201 when the value is request input.
    app = project(tmp_path)
    main = app / "main.py"
    main.write_text(main.read_text().replace('@api.post("/greet")\n', ""))
    run = lint_paths(["app"], selection=Selection(select=("PC1", "PC2")))
    assert not run.errors
    found = sorted((Path(d.path).name, d.code) for d in run.diagnostics)
    assert found == [("clock.j2", "PC101")]


def test_template_alone_keeps_by_name_guesses(tmp_path: Path, chdir: Path) -> None:
    app = project(tmp_path)
    run = lint_paths([str(app / "templates")], selection=Selection(select=("PC101",)))
    # `{{ date }}` by name changes once a day: coarser than `clock-granularity` (an hour), silent.
    assert sorted(Path(d.path).name for d in run.diagnostics) == ["clock.j2"]


def test_python_alone_still_reports_in_the_template(tmp_path: Path, chdir: Path) -> None:
    app = project(tmp_path)
    run = lint_paths([str(app / "main.py")], selection=Selection(select=("PC101",)))
    assert [Path(d.path).name for d in run.diagnostics] == ["clock.j2"]
    assert any(p.endswith("clock.j2") for p in run.sources)


def test_template_suppression_applies_to_linked_findings(tmp_path: Path, chdir: Path) -> None:
    app = project(tmp_path)
    (app / "templates" / "clock.j2").write_text("{# promptlint: ignore[PC101] #}\nNow: {{ now }}\n" + POLICY)
    run = lint_paths(["app"], selection=Selection(select=("PC101", "PC002")))
    assert not [d for d in run.diagnostics if d.path.endswith("clock.j2")]


def test_prompty_time_input_in_system_section(tmp_path: Path, chdir: Path) -> None:
    # A declared input whose sample is a timestamp is evidence of a clock; its name alone is not.
    (tmp_path / "support.prompty").write_text(
        "---\nname: s\ninputs:\n  current_time:\n    type: string\n    sample: '2024-05-01T10:00:00'\n"
        "---\nsystem:\nIt is {{ current_time }}.\n" + POLICY + "\nuser:\n{{ question }}\n"
    )
    (tmp_path / "named.prompty").write_text(
        "---\nname: s\ninputs:\n  current_time:\n    type: string\n---\nsystem:\n"
        "It is {{ current_time }}.\n" + POLICY + "\nuser:\n{{ question }}\n"
    )
    run = lint_paths(["support.prompty", "named.prompty"], selection=Selection(select=("PC101",)))
    found = [(d.path, run.sources[d.path].lines.position(d.span.start).line) for d in run.diagnostics]
    assert found == [("support.prompty", 9)]


def test_finding_moved_into_a_template_keeps_the_templates_fix(tmp_path: Path) -> None:
    from promptlint.engine.fixing import apply_fixes
    from promptlint.engine.runner import Selection, lint_paths

    policy = "".join(
        f"Policy line {i}: answer politely, cite the handbook, never guess prices.\n" for i in range(8)
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "greet.j2").write_text("Hello {{ customer.name }}!\n" + policy)
    # `customer` is the body of a POST handler: per-request with evidence (issue 11). Still pending:
    # the template's own lint no longer guesses `customer` per-request, so it finds no PC201 whose
    # line-move fix the moved finding could take, and the finding arrives without the fix that
    # PC201 documents for Jinja templates (a bug, not an old guess; see test_link's PC101 twin).
    (tmp_path / "app.py").write_text(
        "from fastapi import FastAPI\nfrom jinja2 import Environment, FileSystemLoader\n"
        "api = FastAPI()\nenv = Environment(loader=FileSystemLoader('templates'))\n"
        "@api.post('/ask')\ndef ask(client, customer, q):\n"
        "    system = env.get_template('greet.j2').render(customer=customer)\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': system}, {'role': 'user', 'content': q}])\n"
    )
    paths = [str(tmp_path)]
    run = lint_paths(paths)
    (diag,) = [d for d in run.diagnostics if d.code == "PC201"]
    assert diag.path.endswith("greet.j2") and diag.fix is not None and diag.fix.applicability == "unsafe"
    apply_fixes(run, paths, None, Selection(), unsafe=True, write=True)
    assert (tmp_path / "templates" / "greet.j2").read_text() == policy + "Hello {{ customer.name }}!\n"


def test_clock_moved_into_a_template_keeps_the_templates_fix(tmp_path: Path) -> None:
    from promptlint.engine.fixing import apply_fixes

    policy = "".join(
        f"Policy line {i}: answer politely, cite the handbook, never guess prices.\n" for i in range(8)
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "clock.j2").write_text("It is {{ now }}.\n" + policy)
    (tmp_path / "app.py").write_text(
        "from datetime import datetime\nfrom jinja2 import Environment, FileSystemLoader\n"
        "env = Environment(loader=FileSystemLoader('templates'))\n"
        "def ask(client, q):\n"
        "    system = env.get_template('clock.j2').render(now=datetime.now())\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': system}, {'role': 'user', 'content': q}])\n"
    )
    paths = [str(tmp_path)]
    run = lint_paths(paths)
    (diag,) = [d for d in run.diagnostics if d.code == "PC101"]
    assert [r.message for r in diag.related][0] == "rendered here"
    assert diag.path.endswith("clock.j2") and diag.fix is not None and diag.fix.applicability == "unsafe"
    apply_fixes(run, paths, None, Selection(), unsafe=True, write=True)
    assert (tmp_path / "templates" / "clock.j2").read_text() == policy + "It is {{ now }}.\n"


def test_a_renderer_read_for_context_reports_only_the_templates_asked_about(
    tmp_path: Path, chdir: Path
) -> None:
    # app.py renders both templates with a clock; only clock.j2 is on the command line, so what
    # app.py says about other.j2 (or about itself) is not reported.
    (tmp_path / "pyproject.toml").write_text("[tool.promptlint]\n")
    (tmp_path / "templates").mkdir()
    for name in ("clock.j2", "other.j2"):
        (tmp_path / "templates" / name).write_text("It is {{ now }}.\n" + POLICY)
    (tmp_path / "app.py").write_text(
        "from datetime import datetime\nfrom jinja2 import Environment, FileSystemLoader\n"
        "env = Environment(loader=FileSystemLoader('templates'))\n"
        + "".join(
            f"def ask_{n}(client, q):\n"
            f"    system = env.get_template('{n}.j2').render(now=datetime.now())\n"
            "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            "        {'role': 'system', 'content': system}, {'role': 'user', 'content': q}])\n"
            for n in ("clock", "other")
        )
    )
    run = lint_paths(["templates/clock.j2"], selection=Selection(select=("PC101",)))
    assert [Path(d.path).name for d in run.diagnostics] == ["clock.j2"]
