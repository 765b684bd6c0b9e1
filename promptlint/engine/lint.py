"""`lint_source`: one decoded file in, its diagnostics out. The one core function CLI and LSP share.

Runs the file's frontend, every enabled rule (each isolated: a crash drops that rule's results for
the file and is recorded as an internal error), suppressions, and de-duplication.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from promptlint.config.schema import Settings
from promptlint.diagnostics import Diagnostic, Location, Severity, Span
from promptlint.engine.registry import Registry
from promptlint.engine.selection import enabled_rules, per_file_ignores
from promptlint.engine.suppression import apply_suppressions
from promptlint.ir import FileFacts, Granularity
from promptlint.providers import build_profiles, default_profile_data, merge_overrides
from promptlint.rules_api.base import FactsRule, PromptRule, Rule, rule_url
from promptlint.rules_api.context import RuleContext, RuleSettings
from promptlint.source import FileKind, SourceFile
from promptlint.tokens import TokenCounter

if TYPE_CHECKING:  # the frontends are imported when a file is linted, not when a cached run starts
    from promptlint.frontends.python.modules import ModuleLoader
    from promptlint.frontends.python.volatile import VolatileTable
    from promptlint.frontends.python.wrappers import SinkTable

Frontend = Callable[[SourceFile, "LintState", Settings], FileFacts]


@dataclass
class LintState:
    """Per-process state shared across files: registry, token counter, module loader, caches."""

    registry: Registry
    tokens: TokenCounter
    # The project-module loader, made on first use (a run answered from the cache never needs it).
    loader_roots: tuple[str, ...] = ()
    _loader: ModuleLoader | None = None
    frontends: dict[FileKind, Frontend] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _volatile: dict[tuple[str, ...], VolatileTable] = field(default_factory=dict)
    _sinks: dict[object, SinkTable] = field(default_factory=dict)
    _rule_settings: dict[tuple[object, ...], RuleSettings] = field(default_factory=dict)
    _profile_data: dict[str, object] = field(default_factory=dict)
    _enabled: dict[tuple[object, ...], tuple[type[Rule], ...]] = field(default_factory=dict)
    _known: dict[str, str] = field(default_factory=dict)

    @property
    def loader(self) -> ModuleLoader:
        if self._loader is None:
            from promptlint.frontends.python.modules import ModuleLoader

            self._loader = ModuleLoader(self.loader_roots)
        return self._loader

    def volatile(self, settings: Settings) -> VolatileTable:
        table = self._volatile.get(settings.volatile_functions)
        if table is None:
            from promptlint.frontends.python.volatile import VolatileTable

            table = self._volatile[settings.volatile_functions] = VolatileTable.build(
                settings.volatile_functions
            )
        return table

    def sinks(self, settings: Settings) -> SinkTable:
        key = (settings.sinks, settings.public_prompt_builders)
        table = self._sinks.get(key)
        if table is None:
            from promptlint.frontends.python.wrappers import sink_table

            table = self._sinks[key] = sink_table().extended(
                settings.sinks, public_builders=settings.public_prompt_builders
            )
        return table

    def enabled(self, settings: Settings, path: str) -> tuple[type[Rule], ...]:
        """The rules enabled for `path`, memoised per distinct selection."""
        key = (
            settings.select,
            settings.ignore,
            settings.extend_select,
            tuple(per_file_ignores(settings, path)),
        )
        found = self._enabled.get(key)
        if found is None:
            found = self._enabled[key] = enabled_rules(settings, self.registry.rules, path)
        return found

    def known_codes(self) -> dict[str, str]:
        """Every rule code and name, mapped to its code (what a suppression comment may name)."""
        if not self._known:
            self._known.update({key: r.code for r in self.registry.rules for key in (r.code, r.name)})
        return self._known

    def rule_settings(self, settings: Settings) -> RuleSettings:
        key = (settings.min_static_tokens, settings.provider, settings.providers, settings.clock_granularity)
        cached = self._rule_settings.get(key)
        if cached is None:
            if not self._profile_data:
                self._profile_data.update(default_profile_data())  # parsed once per process
            data = merge_overrides(self._profile_data, settings.provider_overrides())
            cached = RuleSettings(
                settings.min_static_tokens,
                build_profiles(data),
                settings.provider,
                Granularity[settings.clock_granularity.upper()],
            )
            self._rule_settings[key] = cached
        return cached


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic]
    errors: list[str] = field(default_factory=list)
    lines: int = 0
    links: tuple[str, ...] = ()  # template files whose text this file's prompts contain (engine/link.py)
    # For the result cache: the digest of the file's bytes, and the other files the result used.
    digest: str | None = None
    deps: tuple[tuple[str, str | None], ...] = ()


def python_frontend(source: SourceFile, state: LintState, settings: Settings) -> FileFacts:
    from promptlint.frontends.python import PythonContext, extract_python

    return extract_python(
        source, PythonContext(state.loader, state.volatile(settings), state.sinks(settings))
    )


def default_frontends() -> dict[FileKind, Frontend]:
    from promptlint.engine.template_frontends import jinja_frontend, prompty_frontend, text_frontend

    return {
        FileKind.PYTHON: python_frontend,
        FileKind.JINJA: jinja_frontend,
        FileKind.PROMPTY: prompty_frontend,
        FileKind.TEXT: text_frontend,
    }


def lint_source(source: SourceFile, settings: Settings, state: LintState) -> FileResult:
    """Lint one decoded file."""
    registry = state.registry
    enabled = state.enabled(settings, source.path)
    enabled_codes = {r.code for r in enabled}
    result = FileResult(source.path, [], lines=source.line_count)
    frontend = (state.frontends or default_frontends()).get(source.kind)
    if frontend is None:
        return result
    try:
        facts = frontend(source, state, settings)
    except Exception as exc:
        result.errors.append(
            f"internal error: the {source.kind} frontend crashed on {source.path}: {type(exc).__name__}: {exc} "
            "(please report)"
        )
        return result
    result.links = facts.related_paths
    sink: list[Diagnostic] = []
    if facts.parse_failure is not None:
        if "PC001" in enabled_codes:
            failure = facts.parse_failure
            sink.append(parse_error(source.path, failure.span, failure.message))
    rule_settings = state.rule_settings(settings)
    has_facts = bool(
        facts.prompts or facts.headers or facts.history or facts.repeated_breakpoints
    )  # else no rule has anything to read
    for rule_cls in enabled if has_facts else ():
        if not issubclass(rule_cls, PromptRule | FactsRule):
            continue
        rule = rule_cls()
        ctx = RuleContext(rule, source, rule_settings, state.tokens, sink)
        mark = len(sink)
        started = time.perf_counter()
        try:
            if isinstance(rule, PromptRule):
                for prompt in facts.prompts:
                    ctx.current_prompt = prompt
                    rule.check(prompt, ctx)
                ctx.current_prompt = None
            if isinstance(rule, FactsRule):  # a rule may be both (PC402)
                rule.check_facts(facts, ctx)
        except Exception as exc:
            del sink[mark:]
            result.errors.append(
                f"internal error: rule {rule.code} crashed on {source.path}: {type(exc).__name__}: {exc} (please report)"
            )
        state.timings[rule.code] = state.timings.get(rule.code, 0.0) + time.perf_counter() - started
    kept = apply_suppressions(source, sink, state.known_codes(), enabled_codes)
    kept = [d for d in kept if d.code in enabled_codes]
    if facts.approximate_columns:  # edits computed on rewritten text could land in the wrong place
        kept = [replace(d, fix=None) if d.fix is not None else d for d in kept]
    result.diagnostics = dedupe([_with_url(d, registry) for d in kept])
    return result


def parse_error(path: str, span: Span, error: str) -> Diagnostic:
    return Diagnostic("PC001", "parse-error", Severity.ERROR, f"Cannot parse file: {error}", path, span)


def _with_url(diag: Diagnostic, registry: Registry) -> Diagnostic:
    rule = registry.by_code(diag.code)
    return replace(diag, url=rule_url(rule)) if rule is not None and not diag.url else diag


def dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per (code, span): related locations merged, the largest cache impact kept."""
    merged: dict[tuple[str, str, int, int], Diagnostic] = {}
    for diag in diagnostics:
        key = (diag.code, diag.path, diag.span.start, diag.span.end)
        prev = merged.get(key)
        if prev is None:
            merged[key] = diag
            continue
        related = prev.related + tuple(r for r in diag.related if r not in prev.related)
        impact = prev.cache_impact
        if diag.cache_impact and (impact is None or diag.cache_impact.tokens_after > impact.tokens_after):
            impact = diag.cache_impact
            prev = replace(prev, message=diag.message)
        merged[key] = replace(prev, related=related, cache_impact=impact)
    return sorted(merged.values(), key=Diagnostic.sort_key)


def _tokens_after(diag: Diagnostic) -> int:
    return diag.cache_impact.tokens_after if diag.cache_impact is not None else 0


def merge_project(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Across files: a culprit reported in its own file absorbs reports of it from other files."""
    norm = os.path.abspath  # the loader reports absolute paths, the command line may not
    primary: dict[tuple[str, str, int, int], Diagnostic] = {}
    for diag in diagnostics:
        origin = diag.origin
        if origin is not None and norm(origin.path) == norm(diag.path) and origin.span == diag.span:
            primary[(diag.code, norm(diag.path), diag.span.start, diag.span.end)] = diag
    out: list[Diagnostic] = []
    extra: dict[tuple[str, str, int, int], list[Location]] = {}
    for diag in diagnostics:
        origin = diag.origin
        if origin is not None and norm(origin.path) != norm(diag.path):
            key = (diag.code, norm(origin.path), origin.span.start, origin.span.end)
            if key in primary:
                extra.setdefault(key, []).append(Location(diag.path, diag.span, "reaches a prompt here"))
                held = primary[key]
                if len(diag.chain) > len(held.chain) and _tokens_after(diag) >= _tokens_after(held):
                    # The other file followed the value further (to the request that sends it): its
                    # chain and wording are the better evidence for the culprit's own report, unless
                    # it describes a smaller request (the cache impact is never lowered).
                    primary[key] = replace(
                        held, chain=diag.chain, message=diag.message, cache_impact=diag.cache_impact
                    )
                continue
        out.append(diag)
    out = [
        primary.get((d.code, norm(d.path), d.span.start, d.span.end), d) if d.origin is not None else d
        for d in out
    ]
    if extra:
        out = [
            replace(d, related=d.related + tuple(extra[k]))
            if (k := (d.code, norm(d.path), d.span.start, d.span.end)) in extra and d.origin is not None
            else d
            for d in out
        ]
    return sorted(out, key=Diagnostic.sort_key)
