"""Shared fixtures: one LintState per session, a `lint` helper, and the `--update-snapshots` flag."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promptlint.config.schema import Settings
from promptlint.diagnostics import Diagnostic
from promptlint.engine.lint import LintState, lint_source
from promptlint.engine.runner import new_state
from promptlint.source import FileKind, decode_source

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots", action="store_true", help="rewrite .snap files instead of comparing"
    )


@pytest.fixture(autouse=True)
def whole_catalogue_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule behaviour is tested on the whole catalogue: in-process runs treat every rule as on by
    default. Which rules really are (measured precision, `data/precision.toml`) is tested in
    tests/engine/test_measured.py and, for the installed command, in tests/cli/test_e2e.py."""
    from promptlint.engine import selection

    monkeypatch.setattr(selection, "status", lambda rule: rule.status)  # the declared status


@pytest.fixture(scope="session")
def state() -> LintState:
    return new_state()


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


LintFn = Callable[..., list[Diagnostic]]


@pytest.fixture
def lint(state: LintState, tmp_path: Path) -> LintFn:
    """Lint a snippet written to `tmp_path/filename`; `select` limits the rules (default: all)."""

    def run(
        code: str, filename: str = "example.py", select: tuple[str, ...] = ("ALL",), **settings: object
    ) -> list[Diagnostic]:
        path = tmp_path / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        kind = {
            ".py": FileKind.PYTHON,
            ".j2": FileKind.JINJA,
            ".jinja": FileKind.JINJA,
            ".prompty": FileKind.PROMPTY,
        }.get(path.suffix, FileKind.TEXT)
        source = decode_source(str(path), path.read_bytes(), kind)
        result = lint_source(source, Settings(select=select, root=str(tmp_path), **settings), state)  # type: ignore[arg-type]
        assert not result.errors, result.errors
        return result.diagnostics

    return run


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


# Tests still expected to fail (strict) after the evidence rewrite (issue 11); a test here that starts
# passing fails the run, so none can silently go stale.
# - The PC201 fix: a finding moved into a template takes the line-move fix of the template's own
#   lint, which no longer finds PC201 (template variables are unknown there), so a PC201 proven by a
#   web handler arrives in the template without the fix PC201 documents. A bug in promptlint.
# - PC401's second example (`history = deque(maxlen=30)`, nothing sends it) is silent by design now;
#   the example lives in rules/history/history_front_truncation.py and needs a sink there.
PENDING_EVIDENCE_REWRITE = frozenset(
    {
        "tests/engine/test_link.py::test_finding_moved_into_a_template_keeps_the_templates_fix",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid in PENDING_EVIDENCE_REWRITE:
            item.add_marker(
                pytest.mark.xfail(
                    strict=True,
                    reason="pending after the evidence rewrite (issue 11); see PENDING_EVIDENCE_REWRITE",
                )
            )
