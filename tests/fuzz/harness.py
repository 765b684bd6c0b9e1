"""The fuzzing harness: seed inputs per frontend, a mutator, and one in-process run of the CLI.

Shared by the CI smoke (`test_fuzz_smoke.py`, a few hundred inputs, under a minute) and the long run
(`run_long.py`, 10,000+ inputs per target, with time and memory measured per input). Each target
names where its input goes in a scratch project, the command that reads it and the exit codes a
correct run may end with; a traceback (an exception escaping the CLI) is always a failure.
"""

from __future__ import annotations

import ast
import os
import random
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

from click.testing import CliRunner

from promptlint.cli import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
REALWORLD_FPS = ROOT.parent / "shared" / "realworld" / "false-positives"


@dataclass(frozen=True)
class Target:
    """One frontend (or reader) under fuzz."""

    name: str
    path: str  # where the mutated input is written in the scratch project
    suffixes: tuple[str, ...]  # seed files of these kinds
    command: tuple[str, ...]  # the CLI arguments; `{path}` is replaced by the input's path
    exit_codes: frozenset[int]
    extra_seeds: tuple[bytes, ...] = ()


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("python", "app/bot.py", (".py",), ("check", "--preview", "."), frozenset({0, 1})),
        Target(
            "jinja",
            "prompts/system.j2",
            (".j2", ".jinja", ".jinja2"),
            ("check", "--preview", "."),
            frozenset({0, 1}),
        ),
        Target(
            "prompty",
            "prompts/chat.prompty",
            (".prompty",),
            ("check", "--preview", "."),
            frozenset({0, 1}),
            (
                b"---\nname: x\nmodel:\n  api: chat\n  configuration:\n    type: openai\n---\n"
                b"system:\nYou help. Today is {{date}}.\n\nuser:\n{{question}}\n",
                b"---\nname: &a [1, 2]\nb: *a\ninputs:\n  q: {type: string}\n---\nsystem:\n{{q}}\n",
            ),
        ),
        Target(
            "text",
            "prompts/system.txt",
            (".txt", ".md", ".prompt"),
            ("check", "--preview", "."),
            frozenset({0, 1}),
            (
                b"You are a support agent for {company}. Today is {date}.\nAnswer: {question}\n",
                b"# Role\nYou are {{ name }}.\n\n## Rules\n- be brief\n",
                b"key: value\nlist:\n  - {a}\n  - b\n",
            ),
        ),
        Target("trace", "requests.jsonl", (".jsonl",), ("trace", "{path}"), frozenset({0, 1})),
        Target(
            "config",
            "promptlint.toml",
            (".toml",),
            ("check", "."),
            frozenset({0, 1, 2}),  # a bad config is a one-line error with exit code 2
            (
                b'preview = true\nselect = ["PC1"]\nignore = ["PC203"]\n[per-file-ignores]\n"x/*" = ["PC101"]\n',
                b'[lint]\nclock-granularity = "day"\nvolatile-functions = { "a.b" = "time" }\n',
                b'[[sinks]]\ncall = "myapp.llm.send"\nsystem = "system"\nmessages = "history"\n',
            ),
        ),
    )
}

# What the other files of the scratch project are: a Python file that renders the template, so the
# template targets also go through linking, and a config that turns on every rule.
BASE_PROJECT: dict[str, bytes] = {
    "promptlint.toml": b"preview = true\n",
    "app/render.py": (
        b"import jinja2\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
        b"env = jinja2.Environment(loader=jinja2.FileSystemLoader('prompts'))\n\n"
        b"def answer(question, user):\n"
        b"    system = env.get_template('system.j2').render(user=user)\n"
        b"    messages = [{'role': 'system', 'content': system}, {'role': 'user', 'content': question}]\n"
        b"    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
    ),
}

# Fragments a mutation inserts: what breaks parsers, lexers and the evaluator's assumptions.
TOKENS: tuple[bytes, ...] = (
    b"{{",
    b"}}",
    b"{%",
    b"%}",
    b"{#",
    b"#}",
    b"{",
    b"}",
    b"(",
    b")",
    b"[",
    b"]",
    b'"""',
    b"'''",
    b'"',
    b"'",
    b"\\",
    b"\x00",
    b"\r",
    b"\r\n",
    b"\n",
    b"\t",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"\xef\xbb\xbf",
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: punycode\n",
    b"---\n",
    b"*a",
    b"&a ",
    b": ",
    b"- ",
    b"datetime.now()",
    b"uuid.uuid4()",
    b"random.choice(x)",
    b"json.dumps(d)",
    b"messages",
    b"system",
    b"+",
    b"f'",
    b'f"',
    b"lambda",
    b"yield",
    b"await ",
    b"async ",
    b"match x:\n",
    b"**",
    b"*",
    b":=",
    b"{% for x in y %}",
    b"{% endfor %}",
    b"{% if a %}",
    b"{% endif %}",
    b"{% include 'system.j2' %}",
    b'{"role": "system", "content": ',
    b'"cache_control": {"type": "ephemeral"}',
    b"9" * 40,
)


def seeds(target: Target) -> list[bytes]:
    """The seed inputs of a target: the project's fixtures of its kinds, real-code reductions, extras."""
    found: list[bytes] = list(target.extra_seeds)
    for base in (FIXTURES, REALWORLD_FPS):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.name.endswith(target.suffixes) and path.stat().st_size < 200_000:
                found.append(path.read_bytes())
    return found or [b""]


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """One to four random edits: byte flips, insertions of parser-hostile tokens, deletions,
    duplications, truncation, splicing another seed in, repeating a line many times."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        at = rng.randint(0, len(out))
        if op == 0 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op in (1, 2):
            out[at:at] = rng.choice(TOKENS)
        elif op == 3 and out:
            end = min(len(out), at + rng.randint(1, 64))
            del out[at:end]
        elif op == 4 and out:
            end = min(len(out), at + rng.randint(1, 200))
            out[at:at] = out[at:end] * rng.randint(1, 8)
        elif op == 5:
            del out[at:]
        elif op == 6:
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            out[at:at] = other[start : start + rng.randint(1, 400)]
        elif op == 7:
            line_start = out.rfind(b"\n", 0, at) + 1
            line_end = out.find(b"\n", at)
            line = bytes(out[line_start : line_end if line_end >= 0 else len(out)]) + b"\n"
            out[line_start:line_start] = line * rng.randint(2, 300)
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


HOSTILE_EXPRESSIONS = (
    "x + x",
    "f'{x}{x}'",
    "x * 999",
    "[x] * 999",
    "{**x, **x}",
    "datetime.datetime.now()",
    "uuid.uuid4().hex",
    "random.sample(x, 3)",
    "json.dumps(x)",
    "sorted(set(x))",
    "(lambda: x)()",
    "x[::-1]",
    "x[-20:]",
    "x if x else x",
    "(y := x)",
    "''.join(x for x in x)",
    "x.format(**x)",
    "x % x",
    "await x",
    "self.x",
    "f(*x, **x)",
)


def mutate_python(data: bytes, rng: random.Random, donors: list[ast.expr]) -> bytes:
    """Mutations that keep the file parsing, so the evaluator (not just the parser) is exercised:
    expressions replaced by others from the seeds or by hostile ones, statements duplicated, deleted
    or moved into a loop or a function."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return mutate(data, rng, [data])
    expressions = [n for n in ast.walk(tree) if isinstance(n, ast.expr) and not isinstance(n, ast.Name)]
    bodies = [n for n in ast.walk(tree) if isinstance(getattr(n, "body", None), list) and n.body]
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        if op <= 1 and expressions:
            victim = rng.choice(expressions)
            source = (
                rng.choice(donors)
                if donors and op == 0
                else ast.parse(rng.choice(HOSTILE_EXPRESSIONS)).body[0]
            )
            new = source.value if isinstance(source, ast.Expr) else source
            _replace_child(tree, victim, new)
        elif op == 2 and bodies:
            body = rng.choice(bodies).body
            i = rng.randrange(len(body))
            body.insert(i, body[i]) if rng.random() < 0.7 else (len(body) > 1 and body.pop(i))
        elif bodies:
            body = rng.choice(bodies).body
            i = rng.randrange(len(body))
            wrapper = ast.parse(
                "for x in y:\n    pass" if rng.random() < 0.5 else "def g(x):\n    pass"
            ).body[0]
            wrapper.body = [body[i]]  # type: ignore[attr-defined]
            body[i] = wrapper
    try:
        return ast.unparse(ast.fix_missing_locations(tree)).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError, TypeError, AttributeError):
        return data


def _replace_child(tree: ast.AST, victim: ast.AST, new: ast.expr) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is victim:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is victim:
                        value[i] = new
                        return


def donor_expressions(pool: list[bytes]) -> list[ast.expr]:
    out: list[ast.expr] = []
    for data in pool:
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        out.extend(n for n in ast.walk(tree) if isinstance(n, ast.expr) and not isinstance(n, ast.Name))
    return out


def inputs(target: Target, count: int, seed: int) -> Iterator[bytes]:
    """`count` inputs for `target`: every seed once, then mutations of random seeds (for Python, half
    of them structural, so most inputs still parse)."""
    rng = random.Random(seed)
    pool = seeds(target)
    donors = donor_expressions(pool) if target.name == "python" else []
    for i in range(count):
        if i < len(pool):
            yield pool[i]
        elif donors and rng.random() < 0.5:
            yield mutate_python(rng.choice(pool), rng, donors)
        else:
            yield mutate(rng.choice(pool), rng, pool)


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    traceback: str  # empty unless an exception escaped the CLI
    output: str
    seconds: float
    peak_bytes: int  # peak of Python allocations during the run (tracemalloc), 0 when not measured


class Scratch:
    """A scratch project directory reused across runs (files rewritten per input)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="promptlint-fuzz-"))

    def write(self, files: dict[str, bytes]) -> None:
        for child in self.root.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        for rel, data in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run(target: Target, data: bytes, scratch: Scratch, measure: bool = False) -> Outcome:
    """Write `data` as the target's input in the scratch project and run the CLI on it in process."""
    files = dict(BASE_PROJECT)
    files[target.path] = data
    scratch.write(files)
    return invoke(scratch.root, [arg.replace("{path}", target.path) for arg in target.command], measure)


def _forget_click_streams() -> None:
    """Clear click's cache of text-stream wrappers. Keyed weakly by `sys.stdout`, its value is that
    same stream, so every CliRunner invocation's output buffers stay alive: in one process running
    thousands of inputs that grew to gigabytes (the RSS the long runs saw; the CLI, one process per
    run, and the language server, which does not echo, are not affected)."""
    from click import _compat

    for func in (_compat._default_text_stdout, _compat._default_text_stderr, _compat._default_text_stdin):
        for cell in func.__closure__ or ():
            contents = cell.cell_contents
            if isinstance(contents, WeakKeyDictionary):
                contents.clear()


def invoke(root: Path, args: list[str], measure: bool = False) -> Outcome:
    """Run `promptlint ARGS` in `root`, in this process, catching anything that escapes."""
    previous = os.getcwd()
    os.chdir(root)
    if measure:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=True)
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if measure else 0
        if measure:
            tracemalloc.stop()
        os.chdir(previous)
    _forget_click_streams()
    trace = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
    return Outcome(result.exit_code, trace, result.output, seconds, peak)
