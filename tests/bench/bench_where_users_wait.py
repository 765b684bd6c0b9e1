"""Where users wait: cold and warm runs, one edited file, one-file start-up and templates, as ratios.

    python tests/bench/bench_where_users_wait.py [--corpus DIR] [--templates N] [--repeat N]

A script, not a timed test. Everything is measured in the same run, on one core (`taskset -c 0`
when available), interleaved with its references, so the ratios hold on a loaded or slow machine
where the absolute times do not:

- bare parse: `ast.parse` of every corpus file in a fresh process (the floor: promptlint parses every
  file so that syntax errors are always reported);
- ruff: `ruff check --no-cache` with its default rules, and with `--select ALL`;
- promptlint cold (an empty cache directory), warm unchanged (the same directory), and warm after one
  edited leaf file (a file no other file's result depends on, found from the cache entries);
- one small file: `promptlint check FILE` cold (`--no-cache`) and warm, wall time and peak RSS, next to
  `ruff check FILE`;
- templates: N Jinja templates (variations of the project's fixtures), promptlint's template
  frontend in process against a loop of `jinja2.Environment().parse` over the same texts.

The corpus defaults to the 17-wheel LLM corpus of `corpus.py` (build it first with
`python tests/bench/corpus.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import corpus as corpus_mod  # noqa: E402 - sibling script, not a package

WRAPPER = """\
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss}, open(sys.argv[1], "w"))
"""

BARE_PARSE = """\
import ast, sys, warnings
warnings.simplefilter("ignore")
for path in open(sys.argv[1]).read().splitlines():
    try:
        ast.parse(open(path, "rb").read())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
"""


def pinned(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall, CPU and peak RSS of one run of `cmd` (in a fresh wrapper, so the peak is its own)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run([sys.executable, "-c", WRAPPER, out.name, *pinned(cmd)], cwd=cwd, env=env, check=True)
        return dict(json.load(open(out.name)))


def best(cmd: list[str], repeat: int, cwd: Path | None = None, prepare: object = None) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        if callable(prepare):
            prepare()
        runs.append(measure(cmd, cwd))
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_kb"] for r in runs) / 1024,
    }


def leaf_file(cache_dir: Path, corpus: Path) -> Path:
    """A corpus file that no cache entry lists as a dependency (editing it re-lints only itself)."""
    used: set[str] = set()
    for entry in cache_dir.glob("*/*.json"):
        data = json.loads(entry.read_text())
        used.update(path for path, _digest in data["deps"])
    for path in sorted(corpus.rglob("*.py")):
        if (
            str(path.resolve()) not in used
            and path.stat().st_size > 2000
            and "prompt" in path.read_text(errors="ignore")
        ):
            return path
    raise SystemExit("no leaf file found")


def template_texts(count: int) -> list[str]:
    seeds = [p.read_text() for p in sorted((ROOT / "fixtures").rglob("*.j2"))]
    seeds += [p.read_text() for p in sorted((ROOT / "fixtures").rglob("*.jinja*"))]
    return [
        f"{{# variant {i} #}}\n" + seeds[i % len(seeds)] + f"\nVariant {i}: {{{{ v{i % 7} }}}}\n"
        for i in range(count)
    ]


def bench_templates(count: int, repeat: int) -> dict[str, float]:
    """promptlint's template lint (frontend + rules, in process) against jinja2's parse of the same texts."""
    import jinja2

    from promptlint.config.schema import Settings
    from promptlint.engine.lint import lint_source
    from promptlint.engine.runner import new_state
    from promptlint.source import FileKind, SourceFile

    texts = template_texts(count)
    state = new_state()
    settings = Settings(preview=True)
    sources = [SourceFile(f"prompts/t{i}.j2", text, FileKind.JINJA) for i, text in enumerate(texts)]
    lint_source(sources[0], settings, state)  # imports outside the timing
    state.tokens.count("warm up the token encoding")
    ours, theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        env = jinja2.Environment()
        for text in texts:
            try:
                env.parse(text)
            except jinja2.TemplateSyntaxError:
                pass
        theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        for source in sources:
            lint_source(source, settings, state)
        ours.append(time.perf_counter() - start)
    lines = sum(t.count("\n") + 1 for t in texts)
    return {"ours": min(ours), "jinja2": min(theirs), "lines": lines}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, help="default: the LLM corpus of corpus.py")
    parser.add_argument("--templates", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus or corpus_mod.default_cache_dir() / "llm-corpus"
    if not corpus.is_dir():
        raise SystemExit(f"no corpus at {corpus}: run python tests/bench/corpus.py first")
    promptlint = [str(Path(sys.executable).with_name("promptlint"))]
    ruff = [shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))]
    files = sorted(corpus.rglob("*.py"))
    work = Path(tempfile.mkdtemp(prefix="promptlint-wait-"))
    listing = work / "files.txt"
    listing.write_text("\n".join(str(p) for p in files))
    cache = work / "cache"
    check = [
        *promptlint,
        "check",
        "--exit-zero",
        "--output-format",
        "concise",
        "--cache-dir",
        str(cache),
        str(corpus),
    ]
    rows: list[tuple[str, dict[str, float]]] = []

    print(f"corpus: {corpus} ({len(files):,} Python files); {args.repeat} runs each, medians", flush=True)
    parse = best([sys.executable, "-c", BARE_PARSE, str(listing)], args.repeat)
    rows.append(("bare ast.parse", parse))
    rows.append(
        (
            "ruff (default rules)",
            best([*ruff, "check", "--no-cache", "--exit-zero", "-q", str(corpus)], args.repeat),
        )
    )
    rows.append(
        (
            "ruff --select ALL",
            best(
                [*ruff, "check", "--no-cache", "--exit-zero", "-q", "--select", "ALL", str(corpus)],
                args.repeat,
            ),
        )
    )
    cold = best(check, args.repeat, prepare=lambda: shutil.rmtree(cache, ignore_errors=True))
    rows.append(("promptlint cold (empty cache)", cold))
    rows.append(("promptlint --no-cache", best([*check, "--no-cache"], args.repeat)))
    warm = best(check, args.repeat)
    rows.append(("promptlint warm, unchanged", warm))
    leaf = leaf_file(cache, corpus)
    original = leaf.read_bytes()
    counter = [0]

    def edit() -> None:
        counter[0] += 1
        leaf.write_bytes(original + f"\n# edited {counter[0]}\n".encode())

    try:
        edited = best(check, args.repeat, prepare=edit)
    finally:
        leaf.write_bytes(original)
    rows.append((f"promptlint warm, 1 file edited ({leaf.name})", edited))

    print(f"\n{'run':44} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'/ parse':>8} {'/ cold':>8}")
    for name, r in rows:
        print(
            f"{name:44} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:8.0f} {r['cpu'] / parse['cpu']:8.2f}x"
            f" {r['cpu'] / cold['cpu']:7.1%}"
        )

    small = ROOT / "fixtures" / "demo" / "faq_bot.py"
    one = work / "one"
    one.mkdir()
    shutil.copy(small, one / "faq_bot.py")
    one_rows = [
        (
            "ruff check FILE",
            best([*ruff, "check", "--no-cache", "--exit-zero", "-q", "faq_bot.py"], args.repeat, cwd=one),
        ),
        (
            "promptlint check FILE --no-cache",
            best([*promptlint, "check", "--preview", "--no-cache", "faq_bot.py"], args.repeat, cwd=one),
        ),
    ]
    subprocess.run([*promptlint, "check", "--preview", "faq_bot.py"], cwd=one, capture_output=True)
    one_rows.append(
        (
            "promptlint check FILE (warm cache)",
            best([*promptlint, "check", "--preview", "faq_bot.py"], args.repeat, cwd=one),
        )
    )
    ruff_one = one_rows[0][1]
    print(f"\n{'one small file':44} {'wall s':>8} {'peak MB':>8} {'/ ruff':>8}")
    for name, r in one_rows:
        print(f"{name:44} {r['wall']:8.3f} {r['rss_mb']:8.0f} {r['wall'] / ruff_one['wall']:7.1f}x")

    tpl = bench_templates(args.templates, args.repeat)
    print(
        f"\n{args.templates:,} templates ({tpl['lines']:,} lines): promptlint {tpl['ours']:.2f} s"
        f" ({tpl['lines'] / tpl['ours']:,.0f} lines/s), jinja2 parse {tpl['jinja2']:.2f} s"
        f" ({tpl['lines'] / tpl['jinja2']:,.0f} lines/s): promptlint at {tpl['jinja2'] / tpl['ours']:.2f}x"
        " jinja2's speed"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
