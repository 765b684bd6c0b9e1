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
