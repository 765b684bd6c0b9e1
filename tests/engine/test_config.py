"""Config loading: nearest file wins, keys validated with one-line errors and hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlint.config.load import ConfigResolver, read_config_file
from promptlint.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pyproject_and_promptlint_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.promptlint]\nselect = ["PC1"]\nmin-static-tokens = 10\n')
    write(tmp_path / "sub" / "promptlint.toml", 'ignore = ["PC101"]\nprovider = "anthropic"\n')
    resolver = ConfigResolver(cwd=str(tmp_path))
    top = resolver.for_path(str(tmp_path / "a.py"))
    sub = resolver.for_path(str(tmp_path / "sub" / "deep" / "b.py"))
    assert top.select == ("PC1",) and top.min_static_tokens == 10
    assert sub.ignore == ("PC101",) and sub.provider == "anthropic" and sub.select is None


def test_pyproject_without_section_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.promptlint]\nignore = ["PC201"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert ConfigResolver().for_path(str(tmp_path / "pkg" / "m.py")).ignore == ("PC201",)


def test_a_broken_pyproject_that_configures_no_promptlint_is_skipped(tmp_path: Path) -> None:
    # A project template (`{{ name }}` is not TOML) below the real config: its files use the parent's.
    write(tmp_path / "pyproject.toml", '[tool.promptlint]\nignore = ["PC201"]\n')
    write(tmp_path / "templates" / "crew" / "pyproject.toml", "[project]\nname = {{ folder_name }}\n")
    resolver = ConfigResolver()
    assert resolver.for_path(str(tmp_path / "templates" / "crew" / "main.py")).ignore == ("PC201",)
    write(tmp_path / "pkg" / "pyproject.toml", "[tool.promptlint\nselect = []\n")
    with pytest.raises(ConfigError):
        resolver.for_path(str(tmp_path / "pkg" / "m.py"))


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("[tool.promptlint]\nmin-static-token = 3\n", "unknown key `min-static-token`", "min-static-tokens"),
        ('[tool.promptlint]\nselect = "PC101"\n', "`select` must be a list of strings", 'select = ["..."]'),
        ("[tool.promptlint]\nmin-static-tokens = -1\n", "non-negative integer", "min-static-tokens = 64"),
        ('[tool.promptlint]\nprovider = "anthropik"\n', "`provider` must be one of", "anthropic"),
        ("[tool.promptlint\n", "invalid TOML", "TOML syntax"),
        ('[tool.promptlint.providers.openai]\nminimum-tokens = "x"\n', "must be a number", "e.g. 1024"),
        (
            "[tool.promptlint.providers.openai]\nmin-tokens = 5\n",
            "unknown key `providers.openai.min-tokens`",
            "minimum-tokens",
        ),
        (
            "[tool.promptlint.providers.anthropic]\nmodel-minimum-tokens = 5\n",
            "must be a table",
            "[tool.promptlint",
        ),
        ("[tool.promptlint.providers.anthropic.model-minimum-tokens]\nclaude-x = 2048\n", None, None),
        # issue 13: values that were accepted silently
        (
            '[tool.promptlint]\nvolatile-functions = ["mylib.now:clok"]\n',
            "unknown kind `clok`",
            "mylib.now:time",
        ),
    ],
)
def test_bad_config_is_one_line_with_hint(
    tmp_path: Path, text: str, message: str | None, hint: str | None
) -> None:
    path = write(tmp_path / "pyproject.toml", text)
    if message is None:  # a valid override (a new model in a per-model table)
        assert read_config_file(str(path)) is not None
        return
    with pytest.raises(ConfigError) as err:
        read_config_file(str(path))
    rendered = err.value.render()
    assert message in rendered and hint in rendered and str(path) in rendered
    assert rendered.count("\n") == 1


def test_per_file_ignores_and_provider_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path / "promptlint.toml",
        '[per-file-ignores]\n"tests/*" = ["PC101"]\n[providers.anthropic]\nminimum-tokens = 2048\n',
    )
    settings = read_config_file(str(path))
    assert settings is not None
    assert settings.per_file_ignores == (("tests/*", ("PC101",)),)
    assert settings.provider_overrides() == {"anthropic": {"minimum-tokens": 2048}}


def test_clock_granularity_sets_the_coarsest_clock_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptlint.engine.runner import Selection, lint_paths

    policy = "Answer questions about our return policy. Be concise and polite. " * 10
    write(
        tmp_path / "app.py",
        "from datetime import datetime\n"
        "def ask(client, q):\n"
        "    return client.chat.completions.create(model='m', messages=[\n"
        f"        {{'role': 'system', 'content': f'Today {{datetime.now():%Y-%m-%d}}\\n' + {policy!r}}},\n"
        "        {'role': 'user', 'content': q}])\n",
    )
    monkeypatch.chdir(tmp_path)
    assert not lint_paths(["app.py"], selection=Selection(select=("PC101",))).diagnostics
    write(tmp_path / "promptlint.toml", 'clock-granularity = "day"\n')
    (found,) = lint_paths(["app.py"], selection=Selection(select=("PC101",))).diagnostics
    assert "changes every day" in found.message
    write(tmp_path / "promptlint.toml", 'clock-granularity = "daily"\n')
    with pytest.raises(ConfigError, match="clock-granularity"):
        lint_paths(["app.py"], selection=Selection(select=("PC101",)))
