"""A short fuzz run in CI: mutated fixtures for every frontend and reader, and generated prompt code.

Each input must end without a traceback and with an exit code the target allows (0/1; 2 only for a
config file, and then as a one-line error). The long run is `tests/fuzz/run_long.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import TARGETS, Outcome, Scratch, inputs, run

SMOKE_INPUTS = 250  # per target: about 3 s each


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    project = Scratch()
    yield project
    project.close()


def check_outcome(name: str, index: int, outcome: Outcome) -> None:
    target = TARGETS[name]
    assert not outcome.traceback, f"{name} input {index}: {outcome.traceback}"
    assert outcome.exit_code in target.exit_codes, f"{name} input {index}: exit {outcome.exit_code}"
    if outcome.exit_code == 2:
        lines = outcome.output.strip().splitlines()
        assert lines and lines[0].startswith("error: ") and len(lines) <= 2, outcome.output


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutated_inputs_never_crash(name: str, scratch: Scratch) -> None:
    for index, data in enumerate(inputs(TARGETS[name], SMOKE_INPUTS, seed=20261206)):
        check_outcome(name, index, run(TARGETS[name], data, scratch))


NAMES = st.sampled_from(["a", "b", "prompt", "system", "history", "messages", "now", "user"])
ATOMS = st.one_of(
    NAMES,
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30).map(repr),
    st.sampled_from(
        [
            "datetime.now()",
            "uuid.uuid4()",
            "random.choice(NAMES)",
            "json.dumps(a)",
            "set(a)",
            "time.time()",
            "self.name",
            "os.environ['X']",
            "f(a)",
        ]
    ),
)


def _expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda t: f"({t[0]} + {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"f'{{{t[0]}}} and {{{t[1]}}}'"),
            st.tuples(inner, st.integers(-3, 2000)).map(lambda t: f"({t[0]} * {t[1]})"),
            st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
            inner.map(lambda x: f"'\\n'.join({x})"),
            inner.map(lambda x: f"{x}[-10:]"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            inner.map(lambda x: f'{{"role": "system", "content": {x}}}'),
        ),
        max_leaves=12,
    )


PROGRAMS = st.lists(st.tuples(NAMES, _expressions()), min_size=1, max_size=8).map(
    lambda stmts: (
        "import datetime, json, random, time, uuid, os\n"
        "def answer(client, a, b, history, user):\n"
        + "".join(f"    {name} = {expr}\n" for name, expr in stmts)
        + "    messages = [{'role': 'system', 'content': system}, *history, {'role': 'user', 'content': user}]\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
    )
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PROGRAMS)
def test_generated_prompt_code_never_crashes_and_is_deterministic(scratch: Scratch, program: str) -> None:
    target = TARGETS["python"]
    first = run(target, program.encode(), scratch)
    check_outcome("python", 0, first)
    again = run(target, program.encode(), scratch)
    assert again.output == first.output and again.exit_code == first.exit_code
