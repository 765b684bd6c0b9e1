"""Find and read configuration: `promptlint.toml` or `[tool.promptlint]` in `pyproject.toml`.

The nearest config file to a linted file wins (searching its directory and its parents);
`--config` forces one file for every path. Results are memoised per directory inside one
`ConfigResolver` (no module-level caches).
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from promptlint.config.schema import Settings, parse_table
from promptlint.errors import ConfigError


def read_config_file(path: str) -> Settings | None:
    """Settings from one file; None for a pyproject.toml without `[tool.promptlint]` (or one that is
    not valid TOML and never mentions promptlint).

    Raises:
        ConfigError: unreadable file, invalid TOML, unknown key or bad value.
    """
    name = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read config: {exc.strerror}", hint="check the --config path"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        if name == "pyproject.toml" and b"promptlint" not in raw:
            # Not ours: a project template (`{{ cookiecutter.name }}`) or someone else's broken file
            # configures no promptlint, so it is skipped like any pyproject.toml without the table.
            return None
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the TOML syntax at that line") from None
    root = os.path.dirname(os.path.abspath(path))
    if name == "pyproject.toml":
        tool: Any = data.get("tool", {})
        table = tool.get("promptlint") if isinstance(tool, dict) else None
        if table is None:
            return None
        where = f"{path} [tool.promptlint]"
    else:
        table = data.get("tool", {}).get("promptlint", data) if "tool" in data else data
        where = path
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table", hint="write it as [tool.promptlint]")
    return parse_table(table, where, root, path)


class ConfigResolver:
    """Resolves the Settings for each linted path, memoised per directory."""

    def __init__(self, forced: str | None = None, cwd: str | None = None) -> None:
        self._cwd = os.path.abspath(cwd or os.getcwd())
        self._forced: Settings | None = None
        if forced is not None:
            self._forced = read_config_file(forced) or Settings(root=os.path.dirname(os.path.abspath(forced)))
        self._by_dir: dict[str, Settings] = {}

    def for_path(self, path: str) -> Settings:
        if self._forced is not None:
            return self._forced
        directory = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        return self._for_dir(directory)

    def _for_dir(self, directory: str) -> Settings:
        cached = self._by_dir.get(directory)
        if cached is not None:
            return cached
        found: Settings | None = None
        for name in ("promptlint.toml", "pyproject.toml"):
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                found = read_config_file(candidate)
                if found is not None:
                    break
        if found is None:
            parent = os.path.dirname(directory)
            found = self._for_dir(parent) if parent != directory else Settings(root=self._cwd)
        self._by_dir[directory] = found
        return found
