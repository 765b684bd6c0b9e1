"""Reproducible performance benchmark for ``promptlint check`` (a script, not a timed test).

Usage::

    python tests/bench/run_bench.py [--corpus llm|stdlib|both] [--cores 1,2] [--repeat N]
                                    [--warmup N] [--promptlint CMD] [--cache DIR] [--wait-idle S]
                                    [--no-scaling] [--no-ast]

It builds (or reuses) the corpora of ``corpus.py``, then for each corpus and core count runs the installed
command ``promptlint check <corpus dir> --exit-zero --output-format concise`` as a subprocess pinned with
``taskset -c 0`` (1 core) or ``taskset -c 0,1`` (2 cores). If ``taskset`` is missing the child's CPU
affinity is set with ``os.sched_setaffinity`` in a ``preexec_fn`` instead.

Measured per run:

* wall time: ``time.perf_counter`` around the child; CPU time (user + system of the whole tree);
* peak RSS: the largest single process of the child tree (the kernel's ``ru_maxrss``), read from GNU
  ``/usr/bin/time -v`` ("Maximum resident set size") or, if that is missing, from
  ``getrusage(RUSAGE_CHILDREN)`` in a fresh intermediate Python process, so runs never share a maximum;
* tree RSS: the peak of the *summed* RSS of all processes in the tree, sampled from ``/proc`` every
  0.05 s (this is what matters for a process pool; it is approximate and Linux-only);
* diagnostics: lines of the concise output that look like ``path:line:col: ...``;
* background load: CPU that *other* processes used meanwhile (``/proc/stat`` busy time minus the tree's
  CPU time, in cores). Above 0.1 core the table warns that wall times are inflated; ``--wait-idle S``
  waits up to S seconds for a quiet machine before each run.

The command's output goes to files under ``<cache>/results/<timestamp>/`` and is never parsed for speed.
For reference the script also times bare ``ast.parse`` over each corpus in-process on one core, and runs
a "memory flat in number of files" check on the first 25 %, 50 % and 100 % of the LLM corpus files
(hard-linked subset trees), plus the corpus's largest file alone, at the first requested core count.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as corpus_mod  # sibling script, not a package

GNU_TIME = Path("/usr/bin/time")
DIAG_LINE = re.compile(r"^.+:\d+:\d+: ")
# The summary line, e.g. "Found 5 diagnostics in 5 of 968 files." or "All checks passed! (12 files)".
REPORTED_FILES = re.compile(r"(?:of|\() ?([\d,]+) files\b")
SCALING_FRACTIONS = (25, 50, 100)
NOISY_BACKGROUND = 0.1  # cores of CPU used by other processes during a run before we warn

# Runs the command in a fresh process so RUSAGE_CHILDREN covers this one run only. argv: json_out cmd...
RUSAGE_WRAPPER = """\
import json, resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": rc, "maxrss_kb": ru.ru_maxrss, "cpu_s": ru.ru_utime + ru.ru_stime}, open(sys.argv[1], "w"))
"""


@dataclass
class Run:
    """One measured run of the command."""

    wall_s: float
    cpu_s: float  # user + system CPU of the whole tree
    background_cores: float | None  # other CPU use on the machine during the run, in cores (noise)
    maxrss_kb: int
    tree_rss_kb: int
    rc: int
    diagnostics: int
    output_lines: int
    reported_files: int | None
    stdout: str
    stderr: str


@dataclass
class Measurement:
    """All runs of one (corpus, cores) cell, plus the tree's size."""

    corpus: str
    cores: int
    files: int
    lines: int
    runs: list[Run] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def wall_min_s(self) -> float:
        return min(r.wall_s for r in self.runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def background(self) -> float:
        return max((r.background_cores or 0.0) for r in self.runs)

    @property
    def maxrss_mb(self) -> float:
        return max(r.maxrss_kb for r in self.runs) / 1024

    @property
    def tree_rss_mb(self) -> float:
        return max(r.tree_rss_kb for r in self.runs) / 1024

    @property
    def diagnostics(self) -> int:
        return self.runs[-1].diagnostics

    @property
    def rc(self) -> int:
        return max(self.runs, key=lambda r: r.rc != 0).rc


def resolve_promptlint(cmd: str | None) -> list[str]:
    """The command to benchmark: --promptlint, else ``promptlint`` on PATH, next to this Python, or ``-m``."""
    if cmd:
        return shlex.split(cmd)
    found = shutil.which("promptlint")
    if found:
        return [found]
    sibling = Path(sys.executable).parent / "promptlint"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return [str(sibling)]
    return [sys.executable, "-m", "promptlint"]


def cpu_set(cores: int) -> set[int]:
    available = sorted(os.sched_getaffinity(0))
    if cores > len(available):
        raise SystemExit(f"asked for {cores} cores, only {len(available)} available: {available}")
    return set(available[:cores])


def pinned(cmd: list[str], cores: int) -> tuple[list[str], Callable[[], None] | None]:
    """``cmd`` pinned to the first ``cores`` CPUs: a ``taskset`` prefix, or a preexec_fn fallback."""
    cpus = cpu_set(cores)
    taskset = shutil.which("taskset")
    if taskset:
        return [taskset, "-c", ",".join(map(str, sorted(cpus))), *cmd], None
    return cmd, lambda: os.sched_setaffinity(0, cpus)


class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of all descendants of ``root`` (not ``root`` itself) from /proc."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.peak_kb = root, interval, 0
        self._stop_event = threading.Event()
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

    def _descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], list(children.get(self.root, []))
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def _sample(self) -> None:
        total = 0
        for pid in self._descendants():
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * self._page_kb
            except (OSError, ValueError, IndexError):
                continue
        self.peak_kb = max(self.peak_kb, total)

    def run(self) -> None:
        if not os.path.isdir("/proc"):
            return
        while not self._stop_event.is_set():
            self._sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kb


def _busy_cpu_seconds() -> float | None:
    """CPU seconds all processes of the machine have used so far (user+nice+system+irq+softirq)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


def _read_stats(stats_path: Path, rc: int) -> tuple[int, int, float]:
    """(exit code, max RSS kB, user+system CPU s) from GNU time's -v file or the rusage wrapper's JSON."""
    if not stats_path.exists():
        return rc, 0, 0.0
    text = stats_path.read_text(errors="replace")
    if not GNU_TIME.is_file():
        data = json.loads(text)
        return data["rc"], data["maxrss_kb"], data["cpu_s"]

    def field(label: str, default: float) -> float:
        m = re.search(re.escape(label) + r": ([\d.]+)", text)
        return float(m.group(1)) if m else default

    cpu = field("User time (seconds)", 0.0) + field("System time (seconds)", 0.0)
    return int(field("Exit status", rc)), int(field("Maximum resident set size (kbytes)", 0)), cpu


def measure(cmd: list[str], cores: int, out_base: Path) -> Run:
    """Run ``cmd`` once, pinned to ``cores`` CPUs; stdout/stderr go to ``out_base.{out,err}``."""
    stdout_path, stderr_path = out_base.with_suffix(".out"), out_base.with_suffix(".err")
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats"
        inner, preexec = pinned(cmd, cores)
        if GNU_TIME.is_file():
            full = [str(GNU_TIME), "-v", "-o", str(stats_path), *inner]
        else:
            full = [sys.executable, "-c", RUSAGE_WRAPPER, str(stats_path), *inner]
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            busy0, t0 = _busy_cpu_seconds(), time.perf_counter()
            proc = subprocess.Popen(
                full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=preexec
            )
            sampler = TreeRssSampler(proc.pid)
            sampler.start()
            proc.wait()
            wall, busy1 = time.perf_counter() - t0, _busy_cpu_seconds()
            tree_kb = sampler.stop()
        rc, maxrss_kb, cpu_s = _read_stats(stats_path, proc.returncode)
    background = None if busy0 is None or busy1 is None else max(0.0, (busy1 - busy0 - cpu_s) / wall)
    lines = stdout_path.read_text(errors="replace").splitlines()
    return Run(
        wall_s=wall,
        cpu_s=cpu_s,
        background_cores=background,
        maxrss_kb=maxrss_kb,
        tree_rss_kb=max(tree_kb, maxrss_kb),
        rc=rc,
        diagnostics=sum(1 for line in lines if DIAG_LINE.match(line)),
        output_lines=len(lines),
        reported_files=_reported_files(lines),
        stdout=str(stdout_path),
        stderr=str(stderr_path),
    )


def _reported_files(lines: list[str]) -> int | None:
    """The number of files the command says it checked, from its last summary line (None if absent)."""
    for line in reversed(lines):
        if not DIAG_LINE.match(line) and (m := REPORTED_FILES.search(line)):
            return int(m.group(1).replace(",", ""))
    return None


def check_command(cmd: list[str]) -> None:
    """Fail early, with the reason, if ``<cmd> check --help`` does not run."""
    try:
        proc = subprocess.run([*cmd, "check", "--help"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SystemExit(f"cannot run {shlex.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise SystemExit(f"`{shlex.join([*cmd, 'check', '--help'])}` failed (rc={proc.returncode}):\n{tail}")


def ast_baseline(files: list[Path]) -> tuple[float, float, int, int]:
    """In-process ``ast.parse`` of every file on one core: (wall s, CPU s, lines, syntax errors)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpu_set(1))
    lines = errors = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in third-party code
            t0, c0 = time.perf_counter(), time.process_time()
            for p in files:
                data = p.read_bytes()
                lines += data.count(b"\n")
                try:
                    ast.parse(data, filename=str(p))
                except (SyntaxError, ValueError):
                    errors += 1
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        os.sched_setaffinity(0, before)
    return elapsed, cpu, lines, errors


def subset_tree(cache: Path, root: Path, files: list[Path], pct: int) -> Path:
    """A tree holding the first ``pct`` % of ``files`` (hard links, or copies across filesystems)."""
    if pct == 100:
        return root
    chosen = files[: len(files) * pct // 100]
    dest = cache / "subsets" / f"{root.name}-first{pct}"
    stamp = f"{len(files)} {len(chosen)} {chosen[-1].relative_to(root).as_posix()}"
    marker = dest / corpus_mod.MARKER
    if marker.is_file() and marker.read_text().strip() == stamp:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for src in chosen:
        out = dest / src.relative_to(root)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, out)
        except OSError:
            shutil.copyfile(src, out)
    marker.write_text(stamp + "\n")
    return dest


def wait_for_idle(max_wait: float, window: float = 5.0) -> None:
    """Wait (at most ``max_wait`` s) until the machine used < NOISY_BACKGROUND cores over ``window`` s."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        busy0 = _busy_cpu_seconds()
        time.sleep(window)
        busy1 = _busy_cpu_seconds()
        if busy0 is None or busy1 is None or (busy1 - busy0) / window < NOISY_BACKGROUND:
            return
    print(f"    note: machine still busy after waiting {max_wait:.0f} s; measuring anyway", flush=True)


def bench_cell(
    name: str, tree: Path, cores: int, cmd: list[str], args: argparse.Namespace, results: Path
) -> Measurement:
    """Measure ``args.warmup + args.repeat`` runs of ``cmd check tree`` on ``cores`` CPUs."""
    repeat, warmup = args.repeat, args.warmup
    stats = corpus_mod.count_stats(corpus_mod.list_py_files(tree))
    m = Measurement(name, cores, stats.files, stats.lines)
    argv = [*cmd, "check", str(tree), "--exit-zero", "--output-format", "concise"]
    for i in range(warmup + repeat):
        if args.wait_idle > 0:
            wait_for_idle(args.wait_idle)
        run = measure(argv, cores, results / f"{name}-{cores}c-{i}")
        kind = "warm-up" if i < warmup else f"run {i - warmup + 1}/{repeat}"
        print(
            f"  {name:<11} {cores}c {kind:<9} {run.wall_s:8.2f} s  cpu {run.cpu_s:8.2f} s  "
            f"{run.maxrss_kb / 1024:7.1f} MB  rc={run.rc}  diagnostics={run.diagnostics}  "
            f"bg={run.background_cores or 0:.2f}",
            flush=True,
        )
        if run.rc != 0:
            tail = Path(run.stderr).read_text(errors="replace").strip().splitlines()[-5:]
            print("    stderr: " + "\n    stderr: ".join(tail), flush=True)
        if run.reported_files is not None and run.reported_files != stats.files:
            print(f"    note: the command reports {run.reported_files:,} files, the tree has {stats.files:,}")
        if i >= warmup:
            m.runs.append(run)
    return m


def print_table(rows: list[Measurement]) -> None:
    head = (
        f"{'corpus':<11} {'cores':>5} {'files':>7} {'lines':>10} {'wall s':>8} {'min s':>8} {'files/s':>8} "
        f"{'lines/s':>9} {'RSS MB':>7} {'tree MB':>8} {'diags':>7} {'rc':>3} {'cpu s':>8} {'bg':>5}"
    )
    print(head)
    print("-" * len(head))
    for m in rows:
        print(
            f"{m.corpus:<11} {m.cores:>5} {m.files:>7,} {m.lines:>10,} {m.wall_s:>8.2f} {m.wall_min_s:>8.2f} "
            f"{m.files / m.wall_s:>8,.0f} {m.lines / m.wall_s:>9,.0f} {m.maxrss_mb:>7.1f} "
            f"{m.tree_rss_mb:>8.1f} {m.diagnostics:>7,} {m.rc:>3} {m.cpu_s:>8.2f} {m.background:>5.2f}"
        )
    noisy = [f"{m.corpus}/{m.cores}c" for m in rows if m.background > NOISY_BACKGROUND]
    if noisy:
        print(
            f"WARNING: other processes used > {NOISY_BACKGROUND} core during {', '.join(noisy)}: "
            "wall times are inflated (see the bg column); re-run on an idle machine"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Benchmark `promptlint check` on pinned corpora.")
    ap.add_argument("--corpus", choices=["llm", "stdlib", "both"], default="both")
    ap.add_argument("--cores", default="1,2", help="comma-separated core counts (default 1,2)")
    ap.add_argument("--repeat", type=int, default=1, help="measured runs per cell; wall = median")
    ap.add_argument("--warmup", type=int, default=0, help="unmeasured runs before each cell")
    ap.add_argument("--promptlint", metavar="CMD", help="command to benchmark (default: promptlint)")
    ap.add_argument("--cache", type=Path, default=corpus_mod.default_cache_dir())
    ap.add_argument("--no-scaling", action="store_true", help="skip the 25/50/100 %% memory check")
    ap.add_argument("--no-ast", action="store_true", help="skip the bare ast.parse reference")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="before each run, wait up to S seconds for the machine to be idle (shared machines)",
    )
    args = ap.parse_args(argv)
    args.core_list = [int(c) for c in args.cores.split(",") if c.strip()]
    if args.repeat < 1 or not args.core_list:
        ap.error("--repeat must be >= 1 and --cores non-empty")
    return args


def scaling_check(
    args: argparse.Namespace, root: Path, rows: list[Measurement], cmd: list[str], results: Path
) -> list[Measurement]:
    """Run on the first 25/50/100 % of the LLM files, and on its largest file alone; print RSS for each."""
    cores = args.core_list[0]
    print(f"\n== memory vs number of files: first 25/50/100 % of the LLM corpus files, {cores} core(s)")
    files = corpus_mod.list_py_files(root)
    sizes = [p.read_bytes().count(b"\n") for p in files]
    scaling: list[Measurement] = []
    for pct in SCALING_FRACTIONS:
        reuse = [m for m in rows if m.corpus == "llm" and m.cores == cores] if pct == 100 else []
        if reuse:
            m = reuse[0]
        else:
            tree = subset_tree(args.cache, root, files, pct)
            m = bench_cell(f"llm-{pct}%", tree, cores, cmd, args, results)
        scaling.append(Measurement(f"llm-{pct}%", m.cores, m.files, m.lines, m.runs))
    # Peak RSS of a per-file linter follows its largest file: measure that file alone for comparison.
    biggest_file = files[sizes.index(max(sizes))]
    alone = args.cache / "subsets" / "llm-largest-file"
    if not (alone / biggest_file.name).is_file():
        shutil.rmtree(alone, ignore_errors=True)
        alone.mkdir(parents=True)
        shutil.copyfile(biggest_file, alone / biggest_file.name)
    scaling.append(bench_cell("llm-largest", alone, cores, cmd, args, results))
    print_table(scaling)
    for pct, m in zip(SCALING_FRACTIONS, scaling, strict=False):
        biggest = max(sizes[: len(files) * pct // 100])
        print(f"{m.corpus:<11} largest file {biggest:>6,} lines; RSS {m.maxrss_mb:7.1f} MB")
    print(f"{'llm-largest':<11} = {biggest_file.relative_to(root)} alone: RSS {scaling[-1].maxrss_mb:.1f} MB")
    first, last = scaling[0], scaling[len(SCALING_FRACTIONS) - 1]
    print(
        f"files x{last.files / first.files:.1f}, lines x{last.lines / first.lines:.1f} -> "
        f"RSS x{last.maxrss_mb / first.maxrss_mb:.2f}, tree RSS x{last.tree_rss_mb / first.tree_rss_mb:.2f}"
    )
    return scaling


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cmd = resolve_promptlint(args.promptlint)
    print("== corpora", flush=True)
    roots = corpus_mod.build_all(args.cache, args.corpus)
    corpus_mod.print_stats(roots)
    check_command(cmd)
    results = args.cache / "results" / time.strftime("%Y%m%d-%H%M%S")
    results.mkdir(parents=True, exist_ok=True)
    print(f"\n== runs: {shlex.join(cmd)} check <dir> --exit-zero --output-format concise")
    print(
        f"   pinning: {'taskset' if shutil.which('taskset') else 'sched_setaffinity'}; "
        f"RSS: {'/usr/bin/time -v' if GNU_TIME.is_file() else 'getrusage wrapper'}; outputs: {results}"
    )
    rows = [
        bench_cell(name, root, cores, cmd, args, results)
        for name, root in roots.items()
        for cores in args.core_list
    ]
    print(
        "\n== promptlint check (wall, cpu = median of runs; RSS = largest process; tree = sampled sum;"
        " bg = cores used by other processes meanwhile)"
    )
    print_table(rows)

    if not args.no_ast:
        print("\n== reference: bare ast.parse, in-process, 1 core")
        for name, root in roots.items():
            busy0 = _busy_cpu_seconds()
            secs, cpu, lines, errors = ast_baseline(corpus_mod.list_py_files(root))
            busy1 = _busy_cpu_seconds()
            bg = (busy1 - busy0 - cpu) / secs if busy0 is not None and busy1 is not None else 0.0
            print(
                f"{name:<10} {lines:>10,} lines {secs:8.2f} s {lines / secs:>10,.0f} lines/s  "
                f"(cpu {cpu:.2f} s, {lines / cpu:,.0f} lines/cpu-s)  SyntaxErrors={errors}  bg={max(bg, 0):.2f}"
            )

    scaling: list[Measurement] = []
    if "llm" in roots and not args.no_scaling:
        scaling = scaling_check(args, roots["llm"], rows, cmd, results)

    payload = {"command": cmd, "rows": [asdict(m) for m in rows], "scaling": [asdict(m) for m in scaling]}
    (results / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults: {results / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
