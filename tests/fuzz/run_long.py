"""The long fuzz run (a script, not a test): many mutated inputs per target, and the pathological
inputs each in a fresh process, with time and memory measured per input against the bounds.

    .venv/bin/python tests/fuzz/run_long.py                       # 10,000 inputs per target
    .venv/bin/python tests/fuzz/run_long.py --per-target 500 --targets python jinja

Fuzz inputs run in this process (the CLI through click's runner, so nothing escapes unnoticed):
time is wall time per input, memory the peak of Python allocations during it (`tracemalloc`).
(Starting and stopping tracemalloc per input makes this process's own RSS grow, about 40 MB per 500
inputs; without it the RSS stays flat, 129 MB over 3,000 inputs. The process peak printed at the end
is that artefact, not promptlint's memory.) Pathological inputs run as `promptlint check` in a child process: time is wall time, memory the
child's peak resident set (`resource`), start-up and the token encoding included. Failing inputs are
written to `--out` so they can be replayed; the exit code is 1 when any input failed or was over a
bound.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.harness import TARGETS, Scratch, inputs, run
from tests.fuzz.pathological import CASES

PROMPTLINT = Path(sys.executable).with_name("promptlint")


def fuzz(names: list[str], per_target: int, seed: int, seconds: float, megabytes: float, out: Path) -> bool:
    ok = True
    print(
        f"{'target':10} {'inputs':>7} {'traceback':>9} {'bad exit':>8} {'over time':>9} {'over mem':>8}"
        f" {'max s':>7} {'max MB':>7} {'exit 0/1/2':>16}"
    )
    for name in names:
        target = TARGETS[name]
        scratch = Scratch()
        tracebacks = bad_exit = over_time = over_memory = 0
        worst_s = worst_mb = 0.0
        exits = [0, 0, 0]
        try:
            for index, data in enumerate(inputs(target, per_target, seed)):
                outcome = run(target, data, scratch, measure=True)
                mb = outcome.peak_bytes / 2**20
                worst_s, worst_mb = max(worst_s, outcome.seconds), max(worst_mb, mb)
                if 0 <= outcome.exit_code <= 2:
                    exits[outcome.exit_code] += 1
                failed = [
                    bool(outcome.traceback),
                    outcome.exit_code not in target.exit_codes,
                    outcome.seconds > seconds,
                    mb > megabytes,
                ]
                tracebacks += failed[0]
                bad_exit += failed[1] and not failed[0]
                over_time += failed[2]
                over_memory += failed[3]
                if any(failed):
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{name}-{index}.input").write_bytes(data)
                    (out / f"{name}-{index}.log").write_text(outcome.traceback or outcome.output)
        finally:
            scratch.close()
        ok = ok and not (tracebacks or bad_exit or over_time or over_memory)
        print(
            f"{name:10} {per_target:7} {tracebacks:9} {bad_exit:8} {over_time:9} {over_memory:8}"
            f" {worst_s:7.2f} {worst_mb:7.1f} {'/'.join(map(str, exits)):>16}"
        )
    return ok


def pathological(seconds: float, megabytes: float) -> bool:
    ok = True
    print(f"\n{'pathological input':24} {'exit':>4} {'seconds':>8} {'peak MB':>8}  result")
    for name, make in CASES.items():
        with tempfile.TemporaryDirectory(prefix="promptlint-patho-") as root:
            Path(root, "promptlint.toml").write_text("preview = true\n")
            for rel, data in make().items():
                path = Path(root, rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            elapsed, peak_kb, code, err = _child(
                [str(PROMPTLINT), "check", "--output-format", "concise", "."], root
            )
        mb = peak_kb / 1024
        fine = code in (0, 1) and "Traceback" not in err and elapsed <= seconds and mb <= megabytes
        ok = ok and fine
        print(f"{name:24} {code:4} {elapsed:8.2f} {mb:8.1f}  {'ok' if fine else 'FAILED ' + err[-300:]}")
    return ok


def _child(cmd: list[str], cwd: str) -> tuple[float, int, int, str]:
    """Run `cmd` in a fresh wrapper process so that its peak RSS is its own (RUSAGE_CHILDREN is the
    maximum over every child a process has waited for)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "e = time.perf_counter() - t\n"
        "sys.stderr.write(p.stderr)\n"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True)
    elapsed, peak, code = done.stdout.split()[-3:]
    return float(elapsed), int(peak), int(code), done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-target", type=int, default=10_000)
    parser.add_argument("--targets", nargs="*", default=sorted(TARGETS), choices=sorted(TARGETS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0, help="bound per input")
    parser.add_argument("--megabytes", type=float, default=200.0, help="bound per input")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "promptlint-fuzz-failures")
    parser.add_argument("--skip-pathological", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    ok = fuzz(args.targets, args.per_target, args.seed, args.seconds, args.megabytes, args.out)
    if not args.skip_pathological:
        ok = pathological(args.seconds, args.megabytes) and ok
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{'all within bounds' if ok else 'FAILURES (inputs in ' + str(args.out) + ')'}; "
        f"{time.perf_counter() - start:.0f} s, this process peaked at {rss:.0f} MB RSS"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
