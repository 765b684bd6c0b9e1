"""Pathological inputs, generated: each is a small project (relative path -> bytes) that once made a
linter blow up in time, memory or stack depth. Shared by the CI regression test
(`test_pathological.py`: no traceback, the right exit code) and the measuring script
(`run_long.py`: time and peak memory per input within the bounds)."""

from __future__ import annotations

from collections.abc import Callable

Project = dict[str, bytes]

SEND = 'client.chat.completions.create(model="m", messages=messages)\n'


def doubling() -> Project:
    """`p1 = p0 + p0` ... 60 times: 2**59 characters if spelled out."""
    lines = ['p0 = "x"'] + [f"p{i} = p{i - 1} + p{i - 1}" for i in range(1, 60)]
    lines.append('messages = [{"role": "system", "content": p59}]')
    return {"doubling.py": ("\n".join(lines) + "\n" + SEND).encode()}


def doubling_volatile() -> Project:
    """Doubling with a timestamp in the middle: the finding must survive the summary."""
    lines = ["import datetime", 'p0 = "x" * 100']
    lines += [f"p{i} = p{i - 1} + p{i - 1}" for i in range(1, 40)]
    lines += ["def answer(client):", '    now = f"{datetime.datetime.now()}"']
    lines.append('    messages = [{"role": "system", "content": p39 + now + p39}]')
    return {"doubling_volatile.py": ("\n".join(lines) + "\n    " + SEND).encode()}


def fstring_doubling() -> Project:
    """`f"{p0}{p0}"` doubling: slots and text grow together."""
    lines = ["import uuid", "p0 = f'{uuid.uuid4()} x'"] + [
        f"p{i} = f'{{p{i - 1}}}{{p{i - 1}}}'" for i in range(1, 60)
    ]
    lines.append('messages = [{"role": "system", "content": "rules " * 500 + p59}]')
    return {"fstring_doubling.py": ("\n".join(lines) + "\n" + SEND).encode()}


def list_doubling() -> Project:
    """`m1 = m0 + m0` on message lists."""
    lines = ['m0 = [{"role": "system", "content": "x"}]'] + [
        f"m{i} = m{i - 1} + m{i - 1}" for i in range(1, 60)
    ]
    lines.append("messages = m59")
    return {"list_doubling.py": ("\n".join(lines) + "\n" + SEND).encode()}


def growing_chain() -> Project:
    """20,000 assignments each adding a little: quadratic if every step copies everything."""
    lines = ['p0 = "start "'] + [f'p{i} = p{i - 1} + "word {i} "' for i in range(1, 20_000)]
    lines.append('messages = [{"role": "system", "content": p19999}]')
    return {"growing_chain.py": ("\n".join(lines) + "\n" + SEND).encode()}


def deep_nesting() -> Project:
    """5,000 nested brackets (the parser refuses; the file must become PC001, not a crash)."""
    return {"deep_nesting.py": ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode()}


def deep_nesting_parses() -> Project:
    """90 nested calls: parses, but deep for recursive visitors."""
    expr = "f(" * 90 + '"x"' + ")" * 90
    return {"deep_calls.py": (f"messages = [{{'role': 'system', 'content': {expr}}}]\n" + SEND).encode()}


def long_concatenation() -> Project:
    """100,000 terms joined by `+`: an AST 100,000 levels deep on its left spine."""
    expr = " + ".join(f'"t{i}"' for i in range(100_000))
    return {
        "long_concat.py": (
            f"prompt = {expr}\nmessages = [{{'role': 'system', 'content': prompt}}]\n" + SEND
        ).encode()
    }


def long_line() -> Project:
    """A 10 MB string literal on one line, sent as the system prompt."""
    body = "a" * (10 * 1024 * 1024)
    return {"long_line.py": (f'messages = [{{"role": "system", "content": "{body}"}}]\n' + SEND).encode()}


def long_template_line() -> Project:
    """A 10 MB line in a Jinja template."""
    return {"prompts/long.jinja": ("{{ user }} " + "b" * (10 * 1024 * 1024) + "\n").encode()}


def import_cycle() -> Project:
    """Two modules importing each other's prompt pieces."""
    return {
        "a.py": b"from b import B\nA = 'a' + B\nmessages = [{'role': 'system', 'content': A}]\n"
        + SEND.encode(),
        "b.py": b"from a import A\nB = 'b' + A\n",
    }


def recursive_helpers() -> Project:
    """Mutually recursive prompt builders."""
    code = (
        "def f(n):\n    return g(n) + 'x'\n\n"
        "def g(n):\n    return f(n) + 'y'\n\n"
        "messages = [{'role': 'system', 'content': f(3)}]\n" + SEND
    )
    return {"recursive.py": code.encode()}


def recursive_include() -> Project:
    """Templates that include each other, and themselves."""
    return {
        "prompts/a.jinja": b"A {% include 'b.jinja' %} {{ user }}\n",
        "prompts/b.jinja": b"B {% include 'a.jinja' %}\n",
        "prompts/self.jinja": b"S {% include 'self.jinja' %}\n",
    }


def self_including_template() -> Project:
    """A template that includes itself 300 times, rendered from Python (the self-include spelled as
    the loader finds it, not as the file is named): once exponential, found by the fuzz run."""
    body = "Policy text. {% include 'system.j2' %}\n" * 300
    return {
        "prompts/system.j2": ("Date: {{ date }}\n" + body).encode(),
        "app/render.py": (
            b"import jinja2\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
            b"env = jinja2.Environment(loader=jinja2.FileSystemLoader('prompts'))\n\n"
            b"def answer(question):\n"
            b"    system = env.get_template('system.j2').render()\n"
            b"    return client.chat.completions.create(model='gpt-4o', messages=[\n"
            b"        {'role': 'system', 'content': system}, {'role': 'user', 'content': question}])\n"
        ),
    }


def yaml_alias_bomb() -> Project:
    """A billion-laughs alias bomb in Prompty front matter."""
    lines = ["---", "name: bomb", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines += ["model:", "  api: chat", "---", "system:", "You are helpful. {{question}}", ""]
    return {"bomb.prompty": "\n".join(lines).encode()}


def bad_codecs() -> Project:
    """Encoding cookies that name unusable codecs, a lying cookie, mixed encodings."""
    return {
        "punycode.py": b"# -*- coding: punycode -*-\nx = 1\n",
        "rot13.py": b"# coding: rot13\nx = 1\n",
        "unknown.py": b"# coding: no-such-codec\nx = 1\n",
        "lying.py": "# coding: ascii\nx = 'caf\u00e9'\n".encode(),
        "mixed.py": "x = 'caf\u00e9'\n".encode() + "y = 'caf\u00e9'\n".encode("latin-1"),
        "utf16.py": "x = 1\n".encode("utf-16"),
        "ok.py": b"messages = [{'role': 'system', 'content': 'fine'}]\n" + SEND.encode(),
    }


CASES: dict[str, Callable[[], Project]] = {
    fn.__name__: fn
    for fn in (
        doubling,
        doubling_volatile,
        fstring_doubling,
        list_doubling,
        growing_chain,
        deep_nesting,
        deep_nesting_parses,
        long_concatenation,
        long_line,
        long_template_line,
        import_cycle,
        recursive_helpers,
        recursive_include,
        self_including_template,
        yaml_alias_bomb,
        bad_codecs,
    )
}
