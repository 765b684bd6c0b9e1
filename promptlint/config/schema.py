"""The settings schema: one frozen `Settings`, its keys, and value validation with hints."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields, replace
from typing import Any

from promptlint.errors import ConfigError
from promptlint.ir import VolatileKind
from promptlint.providers import build_profiles, default_profile_data, merge_overrides, profile_names

PROVIDERS = ("openai", "deepseek", "anthropic", "gemini", "vllm")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for linting one file."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    min_static_tokens: int = 64
    clock_granularity: str = "hour"
    volatile_functions: tuple[str, ...] = ()
    # Framework sinks added to data/sinks.toml: each entry as sorted (key, values) pairs.
    sinks: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = ()
    prompt_files: tuple[str, ...] = ()
    include_tests: bool = False
    # Libraries that build prompts for their callers: a public prompt-named function whose returned
    # text reaches no request in this project is still linted as a prompt (its sink is the caller's).
    public_prompt_builders: bool = False
    extend_include: tuple[str, ...] = ()
    preview: bool = False
    provider: str | None = None
    providers: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    root: str = "."
    config_path: str | None = None

    def with_cli(
        self,
        select: tuple[str, ...] | None,
        ignore: tuple[str, ...],
        extend_select: tuple[str, ...],
        preview: bool = False,
    ) -> Settings:
        """Command-line selection overrides the file's (select replaces, ignore/extend-select add)."""
        return replace(
            self,
            preview=self.preview or preview,
            select=select if select is not None else self.select,
            ignore=self.ignore + ignore,
            extend_select=self.extend_select + extend_select,
        )

    def provider_overrides(self) -> dict[str, dict[str, Any]]:
        return {name: dict(values) for name, values in self.providers}


def _str_list(key: str, value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{where}: `{key}` must be a list of strings, got {type(value).__name__}",
            hint=f'write it as {key} = ["..."]',
        )
    return tuple(value)


def _positive_int(key: str, value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(
            f"{where}: `{key}` must be a non-negative integer, got {value!r}", hint=f"e.g. {key} = 64"
        )
    return value


def _bool(key: str, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false, got {value!r}", hint=f"e.g. {key} = true")
    return value


def _per_file(key: str, value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: `{key}` must be a table of glob = [codes]", hint='e.g. "tests/*" = ["PC101"]'
        )
    return tuple((glob, _str_list(f"{key}.{glob}", codes, where)) for glob, codes in sorted(value.items()))


def _volatile_functions(key: str, value: Any, where: str) -> tuple[str, ...]:
    """`module.func` (a clock) or `module.func:kind`, kind one of the volatile kinds."""
    entries = _str_list(key, value, where)
    kinds = tuple(k.value for k in VolatileKind)
    for entry in entries:
        name, sep, kind = entry.partition(":")
        if not name or any(not part.isidentifier() for part in name.split(".")):
            raise ConfigError(
                f"{where}: `{key}` entry {entry!r} is not a dotted function name",
                hint='e.g. "myapp.clock.now" or "myapp.ids.new_id:id"',
            )
        if sep and kind not in kinds:
            raise ConfigError(
                f"{where}: `{key}` entry {entry!r} has an unknown kind `{kind}` (one of {', '.join(kinds)})",
                hint=_did_you_mean(kind, kinds) or f'e.g. "{name}:time"',
            )
    return entries


def _one_of(key: str, value: Any, where: str, options: tuple[str, ...], example: str) -> str:
    if value not in options:
        raise ConfigError(
            f"{where}: `{key}` must be one of {', '.join(options)}, got {value!r}",
            hint=_did_you_mean(str(value), options) or f'e.g. {key} = "{example}"',
        )
    return str(value)


def _provider(key: str, value: Any, where: str) -> str:
    return _one_of(key, value, where, PROVIDERS, "openai")


SINK_KEYS = ("name", "callees", "system", "messages", "user", "tools")


def _sinks(key: str, value: Any, where: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]:
    """`[[tool.promptlint.sinks]]` tables: `callees` and the keyword arguments that carry each part."""
    hint = 'e.g. [[tool.promptlint.sinks]] callees = ["myapp.agents.Agent"] system = ["persona"]'
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of tables", hint=hint)
    out = []
    for index, entry in enumerate(value):
        for name in entry:
            if name not in SINK_KEYS:
                raise ConfigError(
                    f"{where}: unknown key `{key}[{index}].{name}`",
                    hint=_did_you_mean(name, SINK_KEYS) or f"keys: {', '.join(SINK_KEYS)}",
                )
        if not entry.get("callees"):
            raise ConfigError(f"{where}: `{key}[{index}]` needs `callees`", hint=hint)
        if not any(entry.get(role) for role in SINK_KEYS[2:]):
            raise ConfigError(f"{where}: `{key}[{index}]` names no argument that carries a prompt", hint=hint)
        fields: list[tuple[str, tuple[str, ...]]] = []
        for name, items in sorted(entry.items()):
            if name == "name":
                if not isinstance(items, str):
                    raise ConfigError(f"{where}: `{key}[{index}].name` must be a string", hint=hint)
                fields.append((name, (items,)))
            else:
                fields.append((name, _str_list(f"{key}[{index}].{name}", items, where)))
        out.append(tuple(fields))
    return tuple(out)


CLOCK_GRANULARITIES = ("second", "minute", "hour", "day", "week", "month", "year")


def _granularity(key: str, value: Any, where: str) -> str:
    return _one_of(key, value, where, CLOCK_GRANULARITIES, "hour")


def _providers(key: str, value: Any, where: str) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(
            f"{where}: `{key}` must be a table of provider tables",
            hint=f"e.g. [tool.promptlint.{key}.anthropic] minimum-tokens = 2048",
        )
    known = profile_names()
    for name in value:
        if name not in known:
            raise ConfigError(f"{where}: unknown provider `{key}.{name}`", hint=_did_you_mean(name, known))
    defaults = default_profile_data()
    for name, table in value.items():
        _check_shape(table, defaults.get(name, {}), f"{key}.{name}", where, open_keys=False)
    try:
        build_profiles(merge_overrides(defaults, value))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ConfigError(
            f"{where}: invalid `{key}` value: {exc}", hint="compare with promptlint/data/providers.toml"
        ) from None
    return tuple((name, tuple(sorted(table.items()))) for name, table in sorted(value.items()))


def _check_shape(value: Any, shipped: Any, path: str, where: str, open_keys: bool) -> None:
    """An override must have the shape of the shipped profile value it replaces.

    The provider table itself has a fixed set of keys (a typo is an error); nested tables keyed by
    model name (`model-minimum-tokens`, `prices`) accept new models shaped like the existing ones.
    """
    if isinstance(shipped, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: `{path}` must be a table", hint=f"[tool.promptlint.{path}]")
        sample = next(iter(shipped.values()), None)
        for key, inner in value.items():
            if key in shipped:
                _check_shape(inner, shipped[key], f"{path}.{key}", where, open_keys=True)
            elif open_keys and sample is not None:
                _check_shape(inner, sample, f"{path}.{key}", where, open_keys=True)
            else:
                hint = _did_you_mean(key, list(shipped)) or f"known keys: {', '.join(sorted(shipped))}"
                raise ConfigError(f"{where}: unknown key `{path}.{key}`", hint=hint)
    elif isinstance(shipped, bool) or isinstance(shipped, str):
        if type(value) is not type(shipped):
            raise ConfigError(
                f"{where}: `{path}` must be a {type(shipped).__name__}, got {value!r}",
                hint=f"e.g. {shipped!r}",
            )
    elif isinstance(shipped, int | float) and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ConfigError(f"{where}: `{path}` must be a number, got {value!r}", hint=f"e.g. {shipped}")


_PARSERS: dict[str, Any] = {
    "select": _str_list,
    "ignore": _str_list,
    "extend-select": _str_list,
    "exclude": _str_list,
    "extend-exclude": _str_list,
    "per-file-ignores": _per_file,
    "min-static-tokens": _positive_int,
    "clock-granularity": _granularity,
    "volatile-functions": _volatile_functions,
    "sinks": _sinks,
    "prompt-files": _str_list,
    "include-tests": _bool,
    "public-prompt-builders": _bool,
    "extend-include": _str_list,
    "preview": _bool,
    "provider": _provider,
    "providers": _providers,
}
KEYS = tuple(_PARSERS)
assert {k.replace("-", "_") for k in KEYS} <= {f.name for f in fields(Settings)}


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean `{close[0]}`?" if close else ""


def parse_table(table: dict[str, Any], where: str, root: str, config_path: str) -> Settings:
    """Validate a `[tool.promptlint]` table into Settings.

    Raises:
        ConfigError: an unknown key or a value of the wrong type (one line, with a hint).
    """
    values: dict[str, Any] = {"root": root, "config_path": config_path}
    for key, value in table.items():
        parser = _PARSERS.get(key)
        if parser is None:
            hint = _did_you_mean(key, KEYS) or f"valid keys: {', '.join(KEYS)}"
            raise ConfigError(f"{where}: unknown key `{key}`", hint=hint)
        values[key.replace("-", "_")] = parser(key, value, where)
    return Settings(**values)


__all__ = ["KEYS", "Settings", "parse_table", "field"]
