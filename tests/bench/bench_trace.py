"""Benchmark `promptlint trace` on a synthetic JSONL log (not collected by pytest).

    python tests/bench/bench_trace.py --requests 20000 --line-bytes 20000

Generates the log into a temp dir (about requests * line-bytes bytes; 100,000 x 20 KB is ~2 GB),
then traces it in a child process on one core and reports requests/s and the child's peak RSS
(resource.getrusage). Run with two sizes to see that memory does not grow with log length.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def generate(path: Path, requests: int, line_bytes: int, conversations: int, seed: int) -> int:
    """Multi-turn chats (OpenAI chat shape with usage); some turns carry a timestamp or edit history."""
    rng = random.Random(seed)
    policy_len = max(200, line_bytes // 2)
    policy = (
        "Policy: be precise, cite the order number, escalate security issues. " * (policy_len // 70 + 1)
    )[:policy_len]
    history: dict[int, list[dict[str, str]]] = {}
    last_prompt: dict[int, int] = {}
    size = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(requests):
            conv = rng.randrange(conversations)
            msgs = history.get(conv)
            if msgs is None or sum(len(m["content"]) for m in msgs) > line_bytes:
                last_prompt.pop(conv, None)
                stamp = f"\nDate: 2026-11-{1 + conv % 28:02d} 10:{i % 60:02d}" if conv % 5 == 0 else ""
                msgs = [{"role": "system", "content": policy + stamp}]
            msgs = msgs + [{"role": "user", "content": f"question {i} " + "details " * rng.randrange(5, 60)}]
            if len(msgs) > 6 and rng.random() < 0.05:
                msgs[2] = {"role": "assistant", "content": "rewritten answer"}
            prompt = sum(len(m["content"]) for m in msgs) // 4
            previous = last_prompt.get(conv, 0)
            cached = 0 if previous < 1024 or rng.random() < 0.1 else 1024 + (previous - 1024) // 128 * 128
            last_prompt[conv] = prompt
            record = {
                "conversation_id": f"c{conv}",
                "request": {"model": "gpt-4.1", "messages": msgs},
                "response": {
                    "id": f"chatcmpl-{i}",
                    "object": "chat.completion",
                    "model": "gpt-4.1",
                    "usage": {
                        "prompt_tokens": prompt,
                        "completion_tokens": 20,
                        "total_tokens": prompt + 20,
                        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                    },
                },
            }
            line = json.dumps(record) + "\n"
            size += len(line)
            fh.write(line)
            history[conv] = msgs + [{"role": "assistant", "content": f"answer {i}"}]
    return size


def run_only(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from promptlint.providers import build_profiles, default_profile_data
    from promptlint.trace.command import run_trace
    from promptlint.trace.report import JsonWriter
    from promptlint.trace.tracker import Tracker

    tracker = Tracker(build_profiles(default_profile_data()))
    start = time.perf_counter()
    with path.open("rb") as handle, open(os.devnull, "w", encoding="utf-8") as sink:
        run_trace(handle, JsonWriter(sink.write), tracker)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "requests": tracker.stats.requests,
                "misses": tracker.stats.misses,
                "seconds": elapsed,
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--line-bytes", type=int, default=20_000, help="approximate bytes per log line")
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only:
        run_only(args.run_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        t0 = time.perf_counter()
        size = generate(log, args.requests, args.line_bytes, args.conversations, args.seed)
        gen = time.perf_counter() - t0
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = ["taskset", "-c", "0"] if _has_taskset() else []
        out = subprocess.run(
            [*cmd, sys.executable, __file__, "--run-only", str(log)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        result = json.loads(out)
        print(f"log: {args.requests:,} requests, {size / 1e6:,.0f} MB (generated in {gen:.1f}s)")
        print(
            f"trace: {result['seconds']:.1f}s, {result['requests'] / result['seconds']:,.0f} requests/s, "
            f"{size / 1e6 / result['seconds']:,.1f} MB/s, peak RSS {result['peak_rss_mb']:.0f} MB, "
            f"{result['misses']:,} misses explained"
        )


def _has_taskset() -> bool:
    return any((Path(p) / "taskset").exists() for p in os.environ.get("PATH", "").split(os.pathsep))


if __name__ == "__main__":
    main()
