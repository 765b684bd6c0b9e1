"""End-to-end: the hooks in `.pre-commit-hooks.yaml`, run by the real `pre-commit` as a user would.

The working tree (uncommitted changes included) is copied into a temporary git repository so
`pre-commit try-repo` installs exactly what is checked out. Building the hook environment needs
PyPI; one `PRE_COMMIT_HOME` per module lets every test reuse that environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlint.cli import cli
from tests.samples import HOSTILE_APP

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOSTILE = HOSTILE_APP
HEADERS = (
    "from openai import OpenAI\n"
    "\n"
    'client = OpenAI(base_url="https://api.deepseek.com")\n'
    "resp = client.chat.completions.create(\n"
    '    model="deepseek-chat",\n'
    '    messages=[{"role": "user", "content": "Hi"}],\n'
    '    extra_headers={"X-Cache-Enable": "true", "X-Request-ID": "abc"},\n'
    ")\n"
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "promptlint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "promptlint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _has_fix_flag() -> bool:
    return "--fix" in CliRunner().invoke(cli, ["check", "--help"]).output


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of this checkout's working tree (tracked and untracked, not ignored files)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("hook-repo")
    listed = _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot of the working tree")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path) -> Iterator[Path]:
    repo = tmp_path / "user"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "promptlint.toml").write_text("preview = true\n", encoding="utf-8")  # the whole catalogue
    yield repo


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _add(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _git(repo, "add", name)


def test_check_hook_fails_on_cache_hostile_file(
    hook_repo: Path, pre_commit_home: Path, user_repo: Path
) -> None:
    _add(user_repo, "app.py", HOSTILE)
    _add(user_repo, "notes.yaml", "not: python\n")  # outside the hook's `files`: never passed
    done = _pre_commit(
        user_repo,
        pre_commit_home,
        "try-repo",
        str(hook_repo),
        "promptlint",
        "--files",
        "app.py",
        "notes.yaml",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Failed" in output, output
    assert "app.py:9:" in output and "PC101" in output, output
    assert "notes.yaml" not in output.split("Failed", 1)[1], output


def _install_config(user_repo: Path, hook_repo: Path) -> None:
    """As a user would: a `.pre-commit-config.yaml` pinning the hook repository at a commit."""
    rev = _git(hook_repo, "rev-parse", "HEAD").strip()
    config = (
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: promptlint\n      - id: promptlint-fix\n"
    )
    _add(user_repo, ".pre-commit-config.yaml", config)


def test_check_hook_passes_clean_files_via_config(
    hook_repo: Path, pre_commit_home: Path, user_repo: Path
) -> None:
    _install_config(user_repo, hook_repo)
    _add(user_repo, "prompts/system.txt", "You are a helpful assistant.\n")
    _add(user_repo, "clean.py", 'SYSTEM = "You are a helpful assistant."\n')
    done = _pre_commit(
        user_repo, pre_commit_home, "run", "promptlint", "--files", "clean.py", "prompts/system.txt"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


@pytest.mark.xfail(
    not _has_fix_flag(), reason="`promptlint check --fix` is not implemented yet", strict=False
)
def test_fix_hook_rewrites_file(hook_repo: Path, pre_commit_home: Path, user_repo: Path) -> None:
    # Through the config (not try-repo, whose throwaway store rebuilds the environment every time),
    # so the environment built by the test above is reused.
    _install_config(user_repo, hook_repo)
    _add(user_repo, "client.py", HEADERS)
    done = _pre_commit(user_repo, pre_commit_home, "run", "promptlint-fix", "--files", "client.py")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # pre-commit fails a hook that modified files
    fixed = (user_repo / "client.py").read_text(encoding="utf-8")
    assert "X-Cache-Enable" not in fixed, output
    assert '"X-Request-ID": "abc"' in fixed
    again = _pre_commit(user_repo, pre_commit_home, "run", "promptlint-fix", "--files", "client.py")
    assert again.returncode == 0, again.stdout + again.stderr
