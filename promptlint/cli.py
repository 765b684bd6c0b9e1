"""The command line (click): `check`, `rules`, `rule`, plus commands registered by other modules.

A thin adapter: it parses arguments, calls the runner, renders a report, and maps outcomes to exit
codes (0 clean, 1 diagnostics, 2 usage/config/internal error). User errors print one line and a hint.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from promptlint import __version__
from promptlint.diagnostics import Severity, fails, total_cache_impact
from promptlint.engine.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from promptlint.engine.cache import ResultCache
from promptlint.engine.cache import clean as clean_cache
from promptlint.engine.registry import Registry
from promptlint.engine.runner import RunResult, Selection, lint_paths
from promptlint.errors import PromptlintError
from promptlint.explain import explain_rule, rules_json, rules_table
from promptlint.output import FORMATS, Report

FORMAT_NAMES = tuple(FORMATS)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def _fail(exc: PromptlintError) -> NoReturn:
    click.echo(exc.render(), err=True)
    sys.exit(2)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn PromptlintError into a one-line message and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PromptlintError as exc:
            _fail(exc)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


class LazyGroup(click.Group):
    """A group whose tool commands (simulate, trace) are imported only when invoked or listed, so
    `check` (and every pre-commit run) does not pay for them at start-up."""

    LAZY = {"simulate": "promptlint.simulate.command:simulate", "trace": "promptlint.trace.command:trace"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            module, _, attr = self.LAZY[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promptlint")
def cli() -> None:
    """Find prompt patterns that break LLM provider prefix caches."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", type=click.Choice(FORMAT_NAMES), default="full", show_default=True)
@click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable (replaces config).")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable.")
@click.option("--extend-select", multiple=True, help="Rule codes, prefixes or names to enable in addition.")
@click.option("--config", type=click.Path(dir_okay=False), help="Use this config file for every path.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when diagnostics are found.")
@click.option(
    "--preview", is_flag=True, help="Also run preview rules (below the precision bar on real code)."
)
@click.option("--statistics", is_flag=True, help="Show counts per rule and time spent per rule.")
@click.option("--stdin-filename", help="The name of the file passed as `-` on stdin.")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (or show) fixes that change the prompt text.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing (exit 1 if any)."
)
@click.option("--fix-only", is_flag=True, help="Apply fixes and report nothing that remains.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Exit 1 only for diagnostics of this severity or worse (default: any diagnostic).",
)
@click.option(
    "--baseline", "baseline_file", type=click.Path(dir_okay=False), help="Hide findings in this baseline."
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(dir_okay=False),
    help="Record all current findings in this baseline file.",
)
@click.option(
    "--no-cache", is_flag=True, envvar="PROMPTLINT_NO_CACHE", help="Neither read nor write the result cache."
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="PROMPTLINT_CACHE_DIR",
    help=f"Where the result cache lives [default: {DEFAULT_CACHE_DIR}].",
)
@guarded
def check(
    paths: tuple[str, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    config: str | None,
    exit_zero: bool,
    preview: bool,
    statistics: bool,
    stdin_filename: str | None,
    fail_on: str | None,
    baseline_file: str | None,
    write_baseline_file: str | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    fix_only: bool,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Lint PATHS (default: the current directory); `-` reads one file from stdin."""
    selection = Selection(_split(select) or None, _split(ignore), _split(extend_select), preview)
    stdin = None
    if paths == ("-",):
        stdin = (stdin_filename or "stdin.py", sys.stdin.buffer.read())
    targets = list(paths or (".",))
    cache = None if no_cache or stdin is not None else ResultCache(Path(cache_dir or DEFAULT_CACHE_DIR))
    run = lint_paths(targets, config=config, selection=selection, stdin=stdin, cache=cache)
    if diff or fix or fix_only:
        from promptlint.engine.fixing import apply_fixes  # the fixer loads only when asked for

        outcome = apply_fixes(run, targets, config, selection, unsafe_fixes, write=not diff and stdin is None)
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}", err=True)
        if diff:
            _print_errors(run)
            click.echo(outcome.diff, nl=False)
            sys.exit(2 if run.errors else 1 if outcome.files else 0)
        if stdin is not None:  # the whole (possibly fixed) file goes to stdout, bytes as they came
            _print_errors(run)
            sys.stdout.buffer.write(outcome.stdin_bytes if outcome.stdin_bytes is not None else stdin[1])
            sys.stdout.buffer.flush()
            sys.exit(2 if run.errors else 0)
        run = outcome.run
        if fix_only:
            _print_errors(run)
            click.echo(outcome.summary())
            sys.exit(2 if run.errors else 0)
        click.echo(outcome.summary(), err=True)
    report = Report(tuple(run.diagnostics), run.sources, rules=Registry.load().rules)
    if baseline_file or write_baseline_file:
        report = _baseline(report, baseline_file, write_baseline_file)
        run.diagnostics = list(report.diagnostics)
    text = FORMATS[output_format](report)
    if text:
        click.echo(text, nl=False)
    if output_format in ("full", "concise"):
        _summary(run, statistics)
    _print_errors(run)
    if run.errors:
        sys.exit(2)
    threshold = Severity(fail_on) if fail_on else None
    sys.exit(0 if exit_zero or not fails(run.diagnostics, threshold) else 1)


def _baseline(report: Report, baseline_file: str | None, write_baseline_file: str | None) -> Report:
    """Write and/or apply a baseline; the findings just written count as baselined for this run."""
    from promptlint.baseline import apply_baseline, load_baseline, write_baseline

    known = load_baseline(baseline_file) if baseline_file else frozenset()
    if write_baseline_file:
        count = write_baseline(write_baseline_file, report)
        click.echo(f"Wrote {count} findings to the baseline {write_baseline_file}", err=True)
        known = known | load_baseline(write_baseline_file)
    result = apply_baseline(report, known)
    if result.suppressed:
        click.echo(f"{result.suppressed} findings hidden by the baseline", err=True)
    return replace(report, diagnostics=result.diagnostics)


def _print_errors(run: RunResult) -> None:
    for error in run.errors:
        click.echo(f"error: {error}", err=True)


def _summary(run: RunResult, statistics: bool) -> None:
    diags = run.diagnostics
    if statistics:
        counts = Counter((d.code, d.name) for d in diags)
        for (code, name), count in sorted(counts.items()):
            click.echo(f"{count:>5}\t{code}\t{name}")
        for code, seconds in sorted(run.timings.items()):
            click.echo(f"time\t{code}\t{seconds * 1000:.1f} ms")
    if not diags:
        click.echo(f"All checks passed! ({run.files} {'file' if run.files == 1 else 'files'})")
        return
    tokens = total_cache_impact(diags)
    fixable = sum(1 for d in diags if d.fix is not None and d.fix.applicability == "safe")
    noun = "diagnostic" if len(diags) == 1 else "diagnostics"
    line = f"Found {len(diags)} {noun} in {len({d.path for d in diags})} of {run.files} {'file' if run.files == 1 else 'files'}"
    unsafe = sum(1 for d in diags if d.fix is not None and d.fix.applicability == "unsafe")
    if fixable or unsafe:
        hints = [f"{fixable} fixable with --fix"] if fixable else []
        hints += [f"{unsafe} more with --unsafe-fixes"] if unsafe else []
        line += f" ({', '.join(hints)})"
    line += "."
    if tokens:
        line += f" Cache impact: {tokens} static tokens cannot be reused."
    click.echo(line)


@cli.command("clean")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="PROMPTLINT_CACHE_DIR",
    help=f"The cache to remove [default: {DEFAULT_CACHE_DIR}].",
)
def clean_command(cache_dir: str | None) -> None:
    """Remove the result cache."""
    directory = Path(cache_dir or DEFAULT_CACHE_DIR)
    if clean_cache(directory):
        click.echo(f"Removed {directory}")
    else:
        click.echo(f"No cache at {directory}")


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@guarded
def rules_command(fmt: str) -> None:
    """List every rule."""
    registry = Registry.load()
    if fmt == "json":
        click.echo(json.dumps(rules_json(registry), indent=2))
    else:
        click.echo(rules_table(registry), nl=False)


@cli.command("rule")
@click.argument("code")
@guarded
def rule_command(code: str) -> None:
    """Show a rule's documentation (CODE or name)."""
    registry = Registry.load()
    rule = registry.by_code(code.upper()) or registry.by_code(code)
    if rule is None:
        click.echo(f"error: unknown rule `{code}`\nhint: run `promptlint rules` for the list", err=True)
        sys.exit(2)
    click.echo(explain_rule(rule), nl=False)


@cli.command("server")
def server_command() -> None:
    """Run the language server (LSP over stdio; needs `promptlint[lsp]`)."""
    try:
        from promptlint.lsp.server import run  # pygls costs ~0.6 s to import: only load it here
    except ImportError as exc:
        click.echo(
            f"error: the language server needs pygls and lsprotocol ({exc})\n"
            "hint: pip install 'promptlint[lsp]'",
            err=True,
        )
        sys.exit(2)
    run()


def main() -> None:
    cli()
