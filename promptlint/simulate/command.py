"""The `promptlint simulate` click command: lint-time prompts replayed through a provider cache model.

Prompts come from the engine's `extract_prompts` (static analysis; no user code runs). Each prompt is
simulated as written and after moving dynamic slots to the end, and printed as a table, JSON or a
standalone HTML report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from promptlint.ir import Prompt
from promptlint.providers import build_profiles, default_profile_data, profile_for, profile_names
from promptlint.simulate.base import RejectedRequest
from promptlint.simulate.factory import ModelOptions
from promptlint.simulate.report import render_html, render_json, render_table
from promptlint.simulate.run import Comparison, Rejected, compare
from promptlint.simulate.synth import SynthOptions
from promptlint.tokens import load_encoding

_PROVIDERS = profile_names()


def run_simulation(
    prompts: Sequence[tuple[str, Prompt]],
    *,
    provider: str | None,
    model: str | None,
    synth: SynthOptions,
    options: ModelOptions,
    profile_data: dict[str, Any] | None = None,
) -> list[Comparison | Rejected]:
    """Simulate every (label, prompt) pair; the provider defaults to the prompt's own. A prompt the
    provider would reject is reported as `Rejected` (with why) and the others go on."""
    profiles = build_profiles(profile_data if profile_data is not None else default_profile_data())
    out: list[Comparison | Rejected] = []
    for label, prompt in prompts:
        profile = profile_for(profiles, provider or prompt.provider)
        encode = load_encoding(profile.encoding).encode_ordinary
        try:
            out.append(
                compare(prompt, profile, encode, label=label, model=model, synth=synth, options=options)
            )
        except RejectedRequest as exc:
            out.append(Rejected(label, f"{profile.name} would reject it: {exc}"))
    return out


def _extractor() -> Callable[[list[str]], list[tuple[Any, Prompt]]]:
    try:
        runner = importlib.import_module("promptlint.engine.runner")
    except ImportError:
        runner = None
    extract = getattr(runner, "extract_prompts", None)
    if extract is None:
        raise click.ClickException(
            "prompt extraction is not available in this build (promptlint.engine.runner.extract_prompts)"
        )
    return extract  # type: ignore[no-any-return]


def _label(source: Any, prompt: Prompt) -> str:
    path = str(getattr(source, "path", "?"))
    lines = getattr(source, "lines", None)
    if lines is None:
        return path
    pos = lines.position(prompt.site.start)
    return f"{path}:{pos.line}:{pos.column}"


@click.command("simulate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--provider", type=click.Choice(_PROVIDERS), help="Cache model (default: each prompt's provider)."
)
@click.option("--model", help="Model name for per-model minimums and prices.")
@click.option("--requests", "-n", "n_requests", default=100, show_default=True, type=click.IntRange(1))
@click.option("--users", "-k", default=10, show_default=True, type=click.IntRange(1), help="Synthetic users.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--interval", default=7.0, show_default=True, type=float, help="Seconds between requests.")
@click.option("--deepseek-interval", type=click.IntRange(1), help="DeepSeek fixed persistence interval.")
@click.option("--deepseek-legacy", is_flag=True, help="DeepSeek 2024 model: 64-token units.")
@click.option("--no-openai-routing", is_flag=True, help="Do not route OpenAI requests by prefix.")
@click.option("--openai-overflow-rpm", type=float, help="Spill above this many requests/min per route.")
@click.option(
    "--output-format", type=click.Choice(["table", "json", "html"]), default="table", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
def simulate(
    paths: tuple[str, ...],
    provider: str | None,
    model: str | None,
    n_requests: int,
    users: int,
    seed: int,
    interval: float,
    deepseek_interval: int | None,
    deepseek_legacy: bool,
    no_openai_routing: bool,
    openai_overflow_rpm: float | None,
    output_format: str,
    output: Path | None,
) -> None:
    """Replay the prompts found in PATHS through a provider cache model, before and after the fix."""
    extract = _extractor()
    found = extract(list(paths) or ["."])
    prompts = [(_label(source, prompt), prompt) for source, prompt in found]
    comparisons = run_simulation(
        prompts,
        provider=provider,
        model=model,
        synth=SynthOptions(requests=n_requests, users=users, seed=seed, interval_seconds=interval),
        options=ModelOptions(
            deepseek_interval=deepseek_interval,
            deepseek_legacy=deepseek_legacy,
            openai_routing=not no_openai_routing,
            openai_overflow_rpm=openai_overflow_rpm,
        ),
    )
    render = {"table": render_table, "json": render_json, "html": render_html}[output_format]
    text = render(comparisons)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
