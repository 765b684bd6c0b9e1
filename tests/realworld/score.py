"""Score promptlint against the real-code ledger: precision per rule and recall on real bugs.

A dev-time benchmark, not a CI test (it needs the repositories of `manifest.toml`, exported by
`export.py` from snapshots fetched at development time). For every repository it runs the installed
`promptlint check --output-format json --exit-zero` (with `--preview`, so preview rules are measured
too) on the exported tree, then:

- matches each finding to `ledger.jsonl` by (repo, path, line, code) and prints, per rule, how many
  findings there are, how many are labelled, and precision = TRUE / (TRUE + FALSE + DEBATABLE);
- checks each problem of `bugs.jsonl` (found by reading code and upstream issues, not by running
  promptlint): found when a finding of any code lies in the bug's file within `--slack` lines of the
  bug's line, or lists it in its chain; prints recall overall, per code and per category.

`--dump FILE` writes the current findings (one JSON object a line, with their label if any) so a
triager can label the unlabelled ones; `--unlabelled` prints them. Nothing here is asserted: the
numbers go in notes and the README's rule table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = Path(
    os.environ.get("PROMPTLINT_REALWORLD", str(Path.home() / ".cache" / "promptlint-realworld"))
)


@dataclass(frozen=True)
class Finding:
    repo: str
    commit: str
    path: str
    line: int
    code: str
    message: str
    chain: tuple[tuple[str, int], ...]

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.repo, self.path, self.line, self.code)


def export_dir(root: Path, repo: str, commit: str) -> Path:
    """Where `export.py` puts (repo, commit)."""
    return root / f"{repo.replace('/', '__')}@{commit[:12]}"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                sys.exit(f"{path}:{number}: {exc}")
    return out


def manifest() -> list[dict[str, Any]]:
    data = tomllib.loads((HERE / "manifest.toml").read_text("utf-8"))
    repos: list[dict[str, Any]] = data.get("repo", [])
    return repos


def run_promptlint(directory: Path, repo: str, commit: str, promptlint: str) -> list[Finding]:
    """The findings of one exported tree, paths relative to it."""
    proc = subprocess.run(
        [promptlint, "check", ".", "--output-format", "json", "--exit-zero", "--preview"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        print(
            f"warning: {repo}: promptlint exited {proc.returncode}: {proc.stderr.strip()[:300]}",
            file=sys.stderr,
        )
    try:
        items = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        print(f"warning: {repo}: output is not JSON", file=sys.stderr)
        return []
    out = []
    for item in items:
        path = os.path.normpath(item["filename"]).replace(os.sep, "/")
        chain = tuple(
            (os.path.normpath(step["filename"]).replace(os.sep, "/"), int(step["location"]["row"]))
            for step in item.get("path") or ()
        )
        out.append(
            Finding(repo, commit, path, int(item["location"]["row"]), item["code"], item["message"], chain)
        )
    return out


def per_rule(
    findings: list[Finding], labels: dict[tuple[str, str, int, str], dict[str, Any]]
) -> tuple[dict[str, Counter[str]], dict[str, set[str]]]:
    """Counts per rule (findings, labelled, TRUE, FALSE, DEBATABLE) and the repositories labelled."""
    per: dict[str, Counter[str]] = defaultdict(Counter)
    repos: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        row = per[f.code]
        row["findings"] += 1
        label = labels.get(f.key)
        if label is not None:
            row["labelled"] += 1
            row[str(label["label"]).upper()] += 1
            repos[f.code].add(f.repo)
    return per, repos


def write_precision(
    path: Path, findings: list[Finding], labels: dict[tuple[str, str, int, str], dict[str, Any]], trees: int
) -> None:
    """The measured table the rule registry reads (`promptlint/data/precision.toml`)."""
    per, repos = per_rule(findings, labels)
    lines = [
        "# Measured precision per rule on the real-code ledger (tests/realworld), written by",
        "# `python tests/realworld/score.py --write-precision promptlint/data/precision.toml`.",
        "# A prompt rule is on by default only when `min-labelled` of its findings are labelled and",
        "# TRUE / labelled >= `min-precision` (DEBATABLE counts against it); otherwise it is `preview`.",
        "",
        "[policy]",
        "min-precision = 0.9",
        "min-labelled = 5",
        "",
        "[corpus]",
        f"repositories = {trees}",
        f"findings = {len(findings)}",
        f"labelled = {sum(1 for f in findings if f.key in labels)}",
    ]
    for code in sorted(per):
        row = per[code]
        lines += [
            "",
            f"[rules.{code}]",
            f"findings = {row['findings']}",
            f"labelled = {row['labelled']}",
            f"true = {row['TRUE']}",
            f"false = {row['FALSE']}",
            f"debatable = {row['DEBATABLE']}",
            f"repositories = {len(repos[code])}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def precision_table(findings: list[Finding], labels: dict[tuple[str, str, int, str], dict[str, Any]]) -> str:
    per, repos = per_rule(findings, labels)
    lines = [
        "| rule | findings | labelled | repos | TRUE | FALSE | DEBATABLE | precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    for code in sorted(per):
        row = per[code]
        total.update(row)
        lines.append(_row(code, row, len(repos[code])))
    lines.append(_row("all", total, len({f.repo for f in findings if f.key in labels})))
    return "\n".join(lines)


def _row(code: str, row: Counter[str], repos: int) -> str:
    judged = row["TRUE"] + row["FALSE"] + row["DEBATABLE"]
    precision = f"{100 * row['TRUE'] / judged:.0f}%" if judged else "-"
    return (
        f"| {code} | {row['findings']} | {row['labelled']} | {repos} | {row['TRUE']} | {row['FALSE']} "
        f"| {row['DEBATABLE']} | {precision} |"
    )


def recall(bugs: list[dict[str, Any]], by_tree: dict[tuple[str, str], list[Finding]], slack: int) -> str:
    found_by: dict[str, list[bool]] = defaultdict(list)
    lines = []
    hits = 0
    for bug in bugs:
        findings = by_tree.get((bug["repo"], bug["commit"]), [])
        hit = any(_covers(f, bug, slack) for f in findings)
        hits += hit
        found_by[f"code {bug.get('code', '?')}"].append(hit)
        found_by[f"category {bug.get('category', '?')}"].append(hit)
        if not hit:
            lines.append(
                f"  missed {bug['id']}: {bug['repo']} {bug['path']}:{bug['line']} {bug.get('code')} {bug.get('description', '')[:90]}"
            )
    head = [f"recall: {hits}/{len(bugs)}" + (f" = {100 * hits / len(bugs):.0f}%" if bugs else "")]
    for key in sorted(found_by):
        got = found_by[key]
        head.append(f"  {key}: {sum(got)}/{len(got)}")
    return "\n".join(head + lines)


def _covers(finding: Finding, bug: dict[str, Any], slack: int) -> bool:
    places = [(finding.path, finding.line), *finding.chain]
    return any(path == bug["path"] and abs(line - int(bug["line"])) <= slack for path, line in places)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where export.py put the trees")
    parser.add_argument("--promptlint", default="promptlint", help="the promptlint executable")
    parser.add_argument("--repo", action="append", help="only these repositories (owner/name)")
    parser.add_argument("--slack", type=int, default=3, help="lines a finding may be off a bug's line")
    parser.add_argument("--dump", type=Path, help="write all findings, with labels, as JSON lines")
    parser.add_argument("--unlabelled", action="store_true", help="print the findings without a label")
    parser.add_argument("--write-precision", type=Path, help="write the per-rule table the registry reads")
    args = parser.parse_args(argv)

    ledger = read_jsonl(HERE / "ledger.jsonl")
    labels = {(r["repo"], r["path"], int(r["line"]), r["code"]): r for r in ledger}
    bugs = read_jsonl(HERE / "bugs.jsonl")
    trees = {(r["name"], r["commit"]) for r in manifest()} | {(b["repo"], b["commit"]) for b in bugs}
    if args.repo:
        trees = {t for t in trees if t[0] in args.repo}
        bugs = [b for b in bugs if b["repo"] in args.repo]
    by_tree: dict[tuple[str, str], list[Finding]] = {}
    missing = []
    for repo, commit in sorted(trees):
        directory = export_dir(args.root, repo, commit)
        if not directory.is_dir():
            missing.append(f"{repo}@{commit[:12]}")
            continue
        by_tree[(repo, commit)] = run_promptlint(directory, repo, commit, args.promptlint)
    if missing:
        print(f"warning: not exported (run tests/realworld/export.py): {', '.join(missing)}", file=sys.stderr)
    manifest_trees = {(r["name"], r["commit"]) for r in manifest()}
    findings = [f for tree, fs in sorted(by_tree.items()) if tree in manifest_trees for f in fs]
    print(
        f"{len(findings)} findings in {len({f.repo for f in findings})} of {len(manifest_trees)} repositories"
    )
    print(precision_table(findings, labels))
    if args.write_precision:
        write_precision(args.write_precision, findings, labels, len(manifest_trees))
    print()
    print(recall(bugs, by_tree, args.slack))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as handle:
            for f in findings:
                label = labels.get(f.key)
                row = {
                    "repo": f.repo,
                    "commit": f.commit,
                    "path": f.path,
                    "line": f.line,
                    "code": f.code,
                    "message": f.message,
                    "label": label["label"] if label else None,
                }
                handle.write(json.dumps(row) + "\n")
    if args.unlabelled:
        for f in findings:
            if f.key not in labels:
                print(f"unlabelled: {f.repo} {f.path}:{f.line} {f.code} {f.message[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
