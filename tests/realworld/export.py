"""Export the real-code corpus from fetched snapshots into a scratch folder (dev time only).

Reads `manifest.toml` (`[[repo]]` tables with `name` and `commit`) and `bugs.jsonl` (each bug's
`repo` and `commit`), and for every (repository, commit) writes `git archive` of that commit from
the bare snapshot under `$PROMPTLINT_MIRROR` (default `/work/.mirror`, as the search tool's `fetch`
leaves them: `<owner>+<name>/repo`) into `$PROMPTLINT_REALWORLD` (default
`~/.cache/promptlint-realworld`) as `<owner>__<name>@<commit[:12]>/`. Files of 2 MB or more are left
out. A finished export carries a marker file and is not redone. Repositories without a snapshot are
listed, and the exit code is then 1: fetch them first. No third-party code enters this repository.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRROR = Path(os.environ.get("PROMPTLINT_MIRROR", "/work/.mirror"))
ROOT = Path(os.environ.get("PROMPTLINT_REALWORLD", str(Path.home() / ".cache" / "promptlint-realworld")))
MAX_BYTES = 2 * 1024 * 1024
MARKER = ".promptlint-export-done"


def export_dir(repo: str, commit: str, root: Path = ROOT) -> Path:
    """Where (repo, commit) is exported; `score.py` reads the same place."""
    return root / f"{repo.replace('/', '__')}@{commit[:12]}"


def mirror_dir(repo: str, mirror: Path = MIRROR) -> Path:
    return mirror / repo.replace("/", "+") / "repo"


def trees() -> list[tuple[str, str]]:
    """Every (repository, commit) named by the manifest or the bug ledger, sorted."""
    out: set[tuple[str, str]] = set()
    manifest = HERE / "manifest.toml"
    if manifest.exists():
        for entry in tomllib.loads(manifest.read_text("utf-8")).get("repo", []):
            out.add((entry["name"], entry["commit"]))
    bugs = HERE / "bugs.jsonl"
    if bugs.exists():
        for line in bugs.read_text("utf-8").splitlines():
            if line.strip():
                bug = json.loads(line)
                out.add((bug["repo"], bug["commit"]))
    return sorted(out)


def _blobs(git_dir: Path, commit: str) -> list[tuple[str, str]] | None:
    """(object id, path) of every regular file under 2 MB in the commit, or None without it."""
    proc = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-l", "-z", commit],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"warning: {commit[:12]}: {proc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
        return None
    out = []
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, oid, size = meta.split()
        if kind == "blob" and mode in {"100644", "100755"} and size.isdigit() and int(size) < MAX_BYTES:
            out.append((oid, path))
    return out


def export(repo: str, commit: str, root: Path = ROOT, mirror: Path = MIRROR) -> Path | None:
    """Export one tree; None when the repository has no snapshot or lacks the commit.

    Snapshots may leave out their largest blobs, so files are read one by one with
    `git cat-file --batch` and a missing object is skipped rather than failing the tree.
    """
    target = export_dir(repo, commit, root)
    if (target / MARKER).exists():
        return target
    git_dir = mirror_dir(repo, mirror)
    if not git_dir.is_dir():
        return None
    blobs = _blobs(git_dir, commit)
    if blobs is None:
        return None
    batch = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input="".join(f"{oid}\n" for oid, _ in blobs).encode(),
        capture_output=True,
        check=False,
    ).stdout
    stream = io.BytesIO(batch)
    skipped = 0
    for _oid, path in blobs:
        header = stream.readline().decode().split()
        if len(header) < 3 or header[1] != "blob":
            skipped += 1
            continue
        data = stream.read(int(header[2]))
        stream.read(1)
        dest = target / path
        if ".." in Path(path).parts:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    if skipped:
        print(f"note: {repo}@{commit[:12]}: {skipped} objects absent from the snapshot", file=sys.stderr)
    (target / MARKER).write_text(f"{repo} {commit}\n", "utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--list", action="store_true", help="print `repo commit dir` lines and export nothing"
    )
    args = parser.parse_args(argv)
    missing = []
    for repo, commit in trees():
        if args.list:
            print(repo, commit, export_dir(repo, commit))
            continue
        if export(repo, commit) is None:
            missing.append(f"{repo}@{commit[:12]}")
    if missing:
        print("no snapshot (fetch these with the search tool first): " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
