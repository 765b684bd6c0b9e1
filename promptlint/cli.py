"""The command line (click): `check`, `rules`, `rule`, plus commands registered by other modules.

A thin adapter: it parses arguments, calls the runner, renders a report, and maps outcomes to exit
codes (0 clean, 1 diagnostics, 2 usage/config/internal error). User errors print one line and a hint.
"""

from __future__ import annotations

import importlib
import json
import os
import re
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
from promptlint.output.report import display_path

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
@click.option(
    "--statistics", is_flag=True, help="Show the number of findings per rule instead of the findings."
)
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
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to this file instead of stdout.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary line.")
@click.option(
    "--exclude",
    "exclude_cli",
    multiple=True,
    help="Glob patterns of paths to skip, in addition to the config's `exclude` (comma-separated).",
)
@click.option("--show-fixes", is_flag=True, help="After the findings, list the fixes that are available.")
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
    output_file: str | None,
    quiet: bool,
    exclude_cli: tuple[str, ...],
    show_fixes: bool,
) -> None:
    """Lint PATHS (default: the current directory); `-` reads one file from stdin."""
    selection = Selection(
        _split(select) or None, _split(ignore), _split(extend_select), preview, _split(exclude_cli)
    )
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
            fixed = outcome.stdin_bytes if outcome.stdin_bytes is not None else stdin[1]
            sys.stdout.buffer.write(fixed)
            sys.stdout.buffer.flush()
            # As ruff does: what is left goes to stderr, and it fails the run unless --fix-only.
            left = lint_paths(targets, config=config, selection=selection, stdin=(stdin[0], fixed))
            remaining = Report(tuple(left.diagnostics), left.sources, rules=Registry.load().rules)
            if left.diagnostics and not fix_only:
                click.echo(FORMATS["concise"](remaining), err=True, nl=False)
            _print_errors(run)
            failed = not (exit_zero or fix_only) and fails(
                left.diagnostics, Severity(fail_on) if fail_on else None
            )
            sys.exit(2 if run.errors else 1 if failed else 0)
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
    if statistics:
        text = _statistics(run, output_format)
    else:
        text = FORMATS[output_format](report)
    if show_fixes and output_format in ("full", "concise"):
        text += _fixes_listing(run)
    if output_format in ("full", "concise") and not (quiet or write_baseline_file or statistics):
        if run.diagnostics or not run.errors:  # never "All checks passed!" for a run that failed
            text += _summary(run)
    if output_file:
        with open(output_file, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    elif text:
        colour = _colour()
        if output_format in ("full", "concise") and colour is not False:
            text = _styled(text)
        click.echo(text, nl=False, color=colour)
    _print_errors(run)
    if run.errors:
        sys.exit(2)
    threshold = Severity(fail_on) if fail_on else None
    sys.exit(0 if exit_zero or write_baseline_file or not fails(run.diagnostics, threshold) else 1)


def _baseline(report: Report, baseline_file: str | None, write_baseline_file: str | None) -> Report:
    """Write and/or apply a baseline; the findings just written count as baselined for this run."""
    from promptlint.baseline import apply_baseline, base_of, load_baseline, write_baseline

    diagnostics = report.diagnostics
    if baseline_file:
        known = load_baseline(baseline_file)
        result = apply_baseline(report, known, base_of(baseline_file))
        if result.suppressed:
            click.echo(f"{result.suppressed} findings hidden by the baseline", err=True)
        elif known and report.diagnostics:
            click.echo(
                f"warning: none of the {len(known)} findings in {baseline_file} matched; "
                "the code changed, or it is a baseline of another project",
                err=True,
            )
        diagnostics = result.diagnostics
    if write_baseline_file:
        count = write_baseline(write_baseline_file, report)  # every current finding, old ones too
        click.echo(f"Wrote {count} findings to the baseline {write_baseline_file}", err=True)
        diagnostics = ()
    return replace(report, diagnostics=diagnostics)


def _print_errors(run: RunResult) -> None:
    for error in run.errors:
        click.echo(f"error: {error}", err=True)


_HEADER = re.compile(r"(?m)^(?P<loc>\S[^\n]*?:\d+:\d+:) (?P<code>PC\d{3}) ")


def _colour() -> bool | None:
    """`NO_COLOR` turns colour off, `FORCE_COLOR` on (https://no-color.org); else colour on a tty."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None  # click decides: colour only when stdout is a terminal


def _styled(text: str) -> str:
    """Bold locations, red codes, and the summary line in green or bold (ruff's look)."""
    text = _HEADER.sub(
        lambda m: f"{click.style(m['loc'], bold=True)} {click.style(m['code'], fg='red', bold=True)} ", text
    )
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("All checks passed!"):
            lines[i] = click.style(line, fg="green", bold=True)
        elif line.startswith("Found "):
            lines[i] = click.style(line, bold=True)
    return "\n".join(lines)


def _statistics(run: RunResult, output_format: str) -> str:
    """Findings per rule (ruff's `--statistics`): a table, or a JSON list with `--output-format json`."""
    counts: Counter[tuple[str, str]] = Counter((d.code, d.name) for d in run.diagnostics)
    fixable = Counter(
        (d.code, d.name) for d in run.diagnostics if d.fix is not None and d.fix.applicability == "safe"
    )
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        listing = [
            {"code": code, "name": name, "count": count, "fixable": fixable[(code, name)] > 0}
            for (code, name), count in rows
        ]
        return json.dumps(listing, indent=2) + "\n"
    width = max((len(str(count)) for _key, count in rows), default=1)
    return "".join(
        f"{count:>{width}}\t{code}\t{'[*] ' if fixable[(code, name)] else '    '}{name}\n"
        for (code, name), count in rows
    )


def _fixes_listing(run: RunResult) -> str:
    fixes = [d for d in run.diagnostics if d.fix is not None and d.fix.edits]
    if not fixes:
        return ""
    lines = ["", "Fixes available:"]
    for diag in fixes:
        assert diag.fix is not None
        label = "" if diag.fix.applicability == "safe" else f" ({diag.fix.applicability})"
        lines.append(f"  {display_path(diag.path)}: {diag.code} {diag.fix.title}{label}")
    return "\n".join(lines) + "\n"


def _summary(run: RunResult) -> str:
    diags = run.diagnostics
    if not diags:
        return f"All checks passed! ({run.files} {'file' if run.files == 1 else 'files'})\n"
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
    return line + "\n"


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
@click.option(
    "--output-format",
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="`--format` is the older spelling.",
)
@guarded
def rules_command(fmt: str) -> None:
    """List every rule."""
    registry = Registry.load()
    if fmt == "json":
        click.echo(json.dumps(rules_json(registry), indent=2))
    else:
        click.echo(rules_table(registry), nl=False)


@cli.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Show every rule's documentation.")
@click.option(
    "--output-format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@guarded
def rule_command(code: str | None, show_all: bool, fmt: str) -> None:
    """Show a rule's documentation (CODE or name, or --all)."""
    registry = Registry.load()
    if show_all or code is None:
        if not show_all:
            click.echo("error: name a rule, or pass --all\nhint: promptlint rule PC101", err=True)
            sys.exit(2)
        if fmt == "json":
            click.echo(json.dumps(rules_json(registry), indent=2))
        else:
            click.echo("\n".join(explain_rule(r) for r in registry.rules), nl=False)
        return
    rule = registry.by_code(code.upper()) or registry.by_code(code)
    if rule is None:
        click.echo(f"error: unknown rule `{code}`\nhint: run `promptlint rules` for the list", err=True)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps(next(r for r in rules_json(registry) if r["code"] == rule.code), indent=2))
    else:
        click.echo(explain_rule(rule), nl=False)


@cli.command("server")
def server_command() -> None:
    """Run the language server (LSP over stdio; needs `promptlint-prefix[lsp]`)."""
    try:
        from promptlint.lsp.server import run  # pygls costs ~0.6 s to import: only load it here
    except ImportError as exc:
        click.echo(
            f"error: the language server needs pygls and lsprotocol ({exc})\n"
            "hint: pip install 'promptlint-prefix[lsp]'",
            err=True,
        )
        sys.exit(2)
    run()


def main() -> None:
    cli()
