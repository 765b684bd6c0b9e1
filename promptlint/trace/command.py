"""The `promptlint trace LOG.jsonl` click command: explain cache misses in a request/response log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from promptlint.errors import PromptlintError
from promptlint.providers import build_profiles, default_profile_data, profile_names
from promptlint.trace.diverge import CAUSES
from promptlint.trace.lint_link import prompt_links
from promptlint.trace.reader import MalformedLine, read_log
from promptlint.trace.report import JsonWriter, TextWriter, TraceWriter
from promptlint.trace.tracker import Tracker

_PROVIDERS = profile_names()


def run_trace(
    lines: IO[bytes],
    writer: TraceWriter,
    tracker: Tracker,
    provider: str | None = None,
) -> list[str | None]:
    """Stream `lines` through `tracker`, writing events as they come and the summary at the end;
    the causes of the misses explained, in order."""
    causes: list[str | None] = []
    for record in read_log(lines, provider):
        if isinstance(record, MalformedLine):
            tracker.stats.malformed += 1
            writer.malformed(record)
            continue
        event = tracker.feed(record)
        if event is not None:
            writer.event(event)
            causes.append(event.cause)
    writer.finish(tracker.stats)
    return causes


@click.command("trace")
@click.argument("log", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--redact", is_flag=True, help="Keep prompt text out of the report (lengths and hashes only).")
@click.option("--provider", type=click.Choice(_PROVIDERS), help="Override provider detection.")
@click.option(
    "--source", type=click.Path(exists=True, file_okay=False), help="Lint this tree and link findings."
)
@click.option("--max-conversations", default=4096, show_default=True, type=click.IntRange(1))
@click.option("--tolerance", default=64, show_default=True, type=click.IntRange(0), help="Tokens of slack.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option(
    "--fail-on",
    "fail_on",
    help="Exit 1 when a miss has one of these causes (comma-separated; `any`, `unexplained`).",
)
def trace(
    log: Path,
    output_format: str,
    redact: bool,
    provider: str | None,
    source: str | None,
    max_conversations: int,
    tolerance: int,
    output: Path | None,
    fail_on: str | None,
) -> None:
    """Explain each cache miss in LOG (JSONL of request/response pairs or request bodies)."""
    wanted = _fail_causes(fail_on)
    try:
        findings = prompt_links(source) if source else None
    except PromptlintError as exc:
        raise click.UsageError(exc.message) from None
    tracker = Tracker(
        build_profiles(default_profile_data()),
        max_conversations=max_conversations,
        tolerance=tolerance,
        redact=redact,
        findings=findings,
    )
    out: IO[str] = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        writer: TraceWriter = JsonWriter(out.write) if output_format == "json" else TextWriter(out.write)
        if str(log) == "-":
            causes = run_trace(sys.stdin.buffer, writer, tracker, provider)
        else:
            with log.open("rb") as handle:
                causes = run_trace(handle, writer, tracker, provider)
    finally:
        if output:
            out.close()
    if wanted is not None and any(_matches(cause, wanted) for cause in causes):
        sys.exit(1)


def _fail_causes(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    known = {*CAUSES, "any", "unexplained"}
    wanted = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(wanted - known)
    if unknown or not wanted:
        raise click.UsageError(
            f"--fail-on: unknown cause {', '.join(unknown) or '(none given)'}; "
            f"one of: any, unexplained, {', '.join(CAUSES)}"
        )
    return wanted


def _matches(cause: str | None, wanted: frozenset[str]) -> bool:
    """`breakpoint` also names its Anthropic cases (`no-breakpoint`, `breakpoint-moved`, ...)."""
    if "any" in wanted or (cause is None and "unexplained" in wanted) or cause in wanted:
        return True
    return cause is not None and "breakpoint" in wanted and "breakpoint" in cause
