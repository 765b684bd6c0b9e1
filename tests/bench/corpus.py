"""Build the two benchmark corpora for ``promptlint check``.

* ``llm``: the 17 pinned PyPI wheels of LLM libraries listed in ``shared/docs/ecosystem-perf.md`` section B
  (about 11.3 k files, 2.27 M lines). Each wheel is fetched with ``pip download --no-deps
  --only-binary=:all:``, its SHA-256 is checked against the pinned value, and only its ``*.py`` files are
  unpacked (``*.dist-info`` is dropped) into ``<cache>/llm-corpus/<dist>-<version>/``.
* ``stdlib``: an "ordinary", non-LLM tree: the running interpreter's standard library ``*.py`` files,
  copied into ``<cache>/stdlib-corpus/``. ``site-packages``/``dist-packages``, ``__pycache__`` and the
  top-level ``test`` package are left out (``test`` holds deliberately broken files and Python-2 fixtures);
  ``idlelib``, ``tkinter`` and the per-package ``tests`` folders (e.g. ``lib2to3/tests``) are kept.

The cache directory is ``$PROMPTLINT_BENCH_CACHE`` or ``~/.cache/promptlint-bench``. Every step is
idempotent: a wheel whose file is present with the pinned hash is not downloaded again, and a tree whose
``.complete`` marker matches is not unpacked or copied again.

A hash mismatch or a wheel that cannot be downloaded is reported loudly, recorded in
``<cache>/llm-corpus.status.json`` and skipped or used as is; the build goes on with the rest.

Run ``python tests/bench/corpus.py [--cache DIR]`` to build both trees and print their file and line counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class PinnedWheel:
    """One wheel of the LLM corpus, exactly as measured in the performance baseline."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def tree_name(self) -> str:
        """Folder name inside ``llm-corpus``: ``<dist>-<version>``, as ``cut -d- -f1,2`` gives in the doc."""
        return "-".join(self.filename.split("-")[:2])


# Section B of shared/docs/ecosystem-perf.md ("Wheel SHA-256").
PINNED_WHEELS: tuple[PinnedWheel, ...] = (
    PinnedWheel(
        "aider-chat",
        "0.86.2",
        "aider_chat-0.86.2-py3-none-any.whl",
        "64f6a0c66c9f4633ad9f479bca3e64ebcba02b9da03c6b604b74a44736b2416e",
    ),
    PinnedWheel(
        "anthropic",
        "2.10.0",
        "anthropic-2.10.0-py3-none-any.whl",
        "1b91b2b4aa2bab44db8712e8a9053454bcff6daa3e6f5f11d85dc38b37d0a2a3",
    ),
    PinnedWheel(
        "autogen-agentchat",
        "0.7.5",
        "autogen_agentchat-0.7.5-py3-none-any.whl",
        "d19ca8ec26cb15e071a56c4269140aea2bf3c718bdc7e06f6677af9a905815ba",
    ),
    PinnedWheel(
        "autogen-core",
        "0.7.5",
        "autogen_core-0.7.5-py3-none-any.whl",
        "4f4a0d3b88a36da75b2ef0d40be2d5e3a207cae7f7d951511e498ad1d68f8ef4",
    ),
    PinnedWheel(
        "crewai",
        "1.15.30",
        "crewai-1.15.30-py3-none-any.whl",
        "a54909d778971a7ef21b6a1d52a59090fcc3e1c3fb09bb5ea5b117e6157e0e65",
    ),
    PinnedWheel(
        "dspy",
        "3.4.1",
        "dspy-3.4.1-py3-none-any.whl",
        "afda9e7f8b3d46be0829af19ac1153a6feaa6db5923f2b1011eef547fb15ce2d",
    ),
    PinnedWheel(
        "gptme",
        "0.35.1",
        "gptme-0.35.1-py3-none-any.whl",
        "7b527b2513bb097c20c6f2fbb0fbd352be86b1607c9274561e80b9c46e976923",
    ),
    PinnedWheel(
        "guidance",
        "0.3.1",
        "guidance-0.3.1-py3-none-any.whl",
        "6d69dee7fb9ca3d5d50928571a5a34a6fb4de92d454c6dcfccd805501ee6987f",
    ),
    PinnedWheel(
        "haystack-ai",
        "3.4.1",
        "haystack_ai-3.4.1-py3-none-any.whl",
        "f9093156d534adcf92ef68d03601c11b67f0945e81b00e999504b68bce4fdd80",
    ),
    PinnedWheel(
        "instructor",
        "1.17.0",
        "instructor-1.17.0-py3-none-any.whl",
        "f6b1832d178e899ee0a6a3f247e221f19580fa525c815211c02447691d761217",
    ),
    PinnedWheel(
        "langchain-anthropic",
        "1.7.10",
        "langchain_anthropic-1.7.10-py3-none-any.whl",
        "9ba64332784bddedabbeb24f5f5759f2d0dfe58244e0ef07e313e039b21ecb1f",
    ),
    PinnedWheel(
        "langchain-core",
        "1.8.1",
        "langchain_core-1.8.1-py3-none-any.whl",
        "e093de87371e648af23517f1e98cefc316f8be7c72a137b0e0f94d3e8e8cc421",
    ),
    PinnedWheel(
        "langchain-openai",
        "1.7.4",
        "langchain_openai-1.7.4-py3-none-any.whl",
        "aaee93369765bac7ebf640aab62f8ae16df403ed982737ae51f88f6a24a151ab",
    ),
    PinnedWheel(
        "litellm",
        "1.109.1",
        "litellm-1.109.1-cp310-abi3-manylinux_2_28_x86_64.whl",
        "1c8b4dd671fa0cd0850aa751678704ff77e595fb1e6085b2dc3be39ee19bdaaf",
    ),
    PinnedWheel(
        "llama-index-core",
        "0.14.25",
        "llama_index_core-0.14.25-py3-none-any.whl",
        "caa7d9c5ac9b13dc33400cf8d5e92e689b6d1e4497eb9bfa50d6f52ca2eb22a1",
    ),
    PinnedWheel(
        "openai",
        "3.51.0",
        "openai-3.51.0-py3-none-any.whl",
        "802b7e8c6ff8cf4d59a2a163126c10ce472adf0409ac41fdaadd47c9b4ed091a",
    ),
    PinnedWheel(
        "semantic-kernel",
        "1.45.0",
        "semantic_kernel-1.45.0-py3-none-any.whl",
        "57b744fa7dc00cc3c151145bc0420684346b72230ba6620a8fbdd7c6345b6f81",
    ),
)

# What the doc measured for the whole pinned corpus (for a quick "identical corpus?" check).
EXPECTED_LLM_FILES = 11_336
EXPECTED_LLM_LINES = 2_273_619

STDLIB_EXCLUDED_TOP = frozenset({"site-packages", "dist-packages", "test", "__pycache__"})
STDLIB_LAYOUT_VERSION = 1  # bump when the stdlib selection rules change, to force a re-copy
MARKER = ".complete"


@dataclass
class WheelStatus:
    """What happened to one pinned wheel during a build."""

    requirement: str
    filename: str
    state: str = "pending"  # ok | sha-mismatch | file-mismatch | unavailable
    actual_filename: str | None = None
    actual_sha256: str | None = None
    message: str = ""


@dataclass
class CorpusStats:
    """File, line and byte counts of one tree (lines = number of ``\\n``, as ``wc -l`` counts)."""

    files: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass
class BuildReport:
    """Outcome of :func:`build_llm_corpus`."""

    root: Path
    wheels: list[WheelStatus] = field(default_factory=list)

    @property
    def problems(self) -> list[WheelStatus]:
        return [w for w in self.wheels if w.state != "ok"]


def default_cache_dir() -> Path:
    env = os.environ.get("PROMPTLINT_BENCH_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "promptlint-bench"


def warn(msg: str) -> None:
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


def info(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _platform_args(filename: str) -> list[str]:
    """``pip download`` options that select the exact pinned file for a platform-specific wheel.

    Pure-Python (``*-none-any``) wheels need none. For a binary wheel such as litellm's
    ``cp310-abi3-manylinux_2_28_x86_64`` the platform and a matching interpreter are pinned, so the same
    file is chosen on any host (pip also accepts older manylinux tags as compatible, so the pinned tag works
    as the upper bound).
    """
    _name, _version, python_tag, abi_tag, platform_tag = filename[: -len(".whl")].split("-")[-5:]
    if platform_tag == "any":
        return []
    args = ["--platform", platform_tag]
    if python_tag.startswith("cp") and python_tag[2:].isdigit():
        args += ["--implementation", "cp", "--python-version", f"{python_tag[2]}.{python_tag[3:]}"]
        if abi_tag == "abi3":
            args += ["--abi", "abi3"]
    return args


def download_wheel(wheel: PinnedWheel, wheel_dir: Path) -> WheelStatus:
    """Make sure ``wheel_dir/<pinned filename>`` exists, and check its hash. Never raises on network errors."""
    status = WheelStatus(wheel.requirement, wheel.filename)
    target = wheel_dir / wheel.filename
    if target.is_file() and sha256_of(target) == wheel.sha256:
        status.state, status.actual_filename, status.actual_sha256 = "ok", wheel.filename, wheel.sha256
        return status

    wheel_dir.mkdir(parents=True, exist_ok=True)
    # Plain `pip download` first; only if that fails or picks another file (a binary wheel on a host with a
    # different platform), retry with the pinned file's platform/interpreter tags.
    attempts: list[list[str]] = [[]]
    if _platform_args(wheel.filename):
        attempts.append(_platform_args(wheel.filename))
    dest: Path | None = None
    for extra in attempts:
        info(f"  downloading {wheel.requirement} {' '.join(extra)}".rstrip() + " ...")
        with tempfile.TemporaryDirectory(prefix="dl-", dir=wheel_dir) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                tmp,
                *extra,
                wheel.requirement,
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            got = sorted(Path(tmp).glob("*.whl"))
            if proc.returncode != 0 or not got:
                tail = (proc.stderr or proc.stdout).strip().splitlines()
                status.message = tail[-1] if tail else "pip produced no wheel"
                continue
            dest = wheel_dir / got[0].name
            shutil.move(str(got[0]), dest)
        if dest.name == wheel.filename:
            break
    if dest is None:
        status.state = "unavailable"
        warn(f"{wheel.requirement}: download failed: {status.message}")
        return status
    if (wheel_dir / wheel.filename).is_file():  # an attempt got the pinned file: prefer it
        dest = wheel_dir / wheel.filename
    status.actual_filename = dest.name
    status.message = ""

    status.actual_sha256 = sha256_of(dest)
    if status.actual_filename != wheel.filename:
        status.state = "file-mismatch"
        status.message = f"pip chose {status.actual_filename}, pinned {wheel.filename}"
        warn(f"{wheel.requirement}: {status.message}; using it anyway")
    elif status.actual_sha256 != wheel.sha256:
        status.state = "sha-mismatch"
        status.message = f"sha256 {status.actual_sha256} != pinned {wheel.sha256}"
        warn(f"{wheel.requirement}: {status.message}; using it anyway (corpus is NOT the pinned one)")
    else:
        status.state = "ok"
    return status


def _safe_member(name: str) -> PurePosixPath | None:
    """The relative path to unpack a wheel member to, or None if it is skipped (not .py, dist-info, unsafe)."""
    p = PurePosixPath(name)
    if not name.endswith(".py") or p.is_absolute() or ".." in p.parts or not p.parts:
        return None
    if p.parts[0].endswith(".dist-info"):
        return None
    return p


def unpack_wheel(whl: Path, dest: Path, stamp: str) -> None:
    """Unpack the ``*.py`` members of ``whl`` into ``dest``; skipped if ``dest/.complete`` equals ``stamp``."""
    marker = dest / MARKER
    if marker.is_file() and marker.read_text().strip() == stamp:
        return
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with zipfile.ZipFile(whl) as zf:
        for member in zf.infolist():
            if member.is_dir():
                continue
            rel = _safe_member(member.filename)
            if rel is None:
                continue
            out = tmp.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    (tmp / MARKER).write_text(stamp + "\n")
    tmp.rename(dest)


def build_llm_corpus(cache: Path) -> BuildReport:
    """Download, verify and unpack the pinned wheels into ``<cache>/llm-corpus``."""
    root = cache / "llm-corpus"
    wheel_dir = cache / "wheels"
    report = BuildReport(root)
    root.mkdir(parents=True, exist_ok=True)
    info(f"LLM corpus: {root}")
    for wheel in PINNED_WHEELS:
        status = download_wheel(wheel, wheel_dir)
        report.wheels.append(status)
        if status.state == "unavailable" or status.actual_filename is None:
            continue
        whl = wheel_dir / status.actual_filename
        stamp = f"{status.actual_filename} {status.actual_sha256}"
        unpack_wheel(whl, root / "-".join(status.actual_filename.split("-")[:2]), stamp)
    # Trees from other wheel names (e.g. an old mismatching download) are not part of this build.
    wanted = {"-".join(w.actual_filename.split("-")[:2]) for w in report.wheels if w.actual_filename}
    for child in root.iterdir():
        if child.is_dir() and child.name not in wanted:
            warn(f"removing stale tree {child}")
            shutil.rmtree(child)
    (cache / "llm-corpus.status.json").write_text(
        json.dumps([asdict(w) for w in report.wheels], indent=2) + "\n"
    )
    for w in report.problems:
        warn(f"{w.requirement}: {w.state}: {w.message}")
    return report


def _stdlib_files(stdlib: Path) -> list[Path]:
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(stdlib):
        rel_dir = Path(dirpath).relative_to(stdlib)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in STDLIB_EXCLUDED_TOP]
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        files.extend(rel_dir / f for f in sorted(filenames) if f.endswith(".py"))
    return files


def build_stdlib_corpus(cache: Path) -> Path:
    """Copy the interpreter's stdlib ``*.py`` files into ``<cache>/stdlib-corpus`` (idempotent)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root = cache / "stdlib-corpus"
    stamp = f"v{STDLIB_LAYOUT_VERSION} {sys.version.split()[0]} {stdlib}"
    marker = root / MARKER
    info(f"stdlib corpus: {root} (from {stdlib})")
    if marker.is_file() and marker.read_text().strip() == stamp:
        return root
    tmp = root.with_name(root.name + ".partial")
    for d in (root, tmp):
        if d.exists():
            shutil.rmtree(d)
    for rel in _stdlib_files(stdlib):
        out = tmp / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stdlib / rel, out)
    (tmp / MARKER).write_text(stamp + "\n")
    tmp.rename(root)
    return root


def list_py_files(root: Path) -> list[Path]:
    """All ``*.py`` files under ``root``, sorted by their relative POSIX path (byte order, like LC_ALL=C)."""
    found = [p for p in root.rglob("*.py") if p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix().encode())


def count_stats(files: list[Path]) -> CorpusStats:
    stats = CorpusStats()
    for p in files:
        data = p.read_bytes()
        stats.files += 1
        stats.lines += data.count(b"\n")
        stats.bytes += len(data)
    return stats


def build_all(cache: Path, which: str = "both") -> dict[str, Path]:
    """Build the requested trees (``llm``, ``stdlib`` or ``both``); returns {name: root}."""
    cache.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    if which in ("llm", "both"):
        roots["llm"] = build_llm_corpus(cache).root
    if which in ("stdlib", "both"):
        roots["stdlib"] = build_stdlib_corpus(cache)
    return roots


def print_stats(roots: dict[str, Path]) -> dict[str, CorpusStats]:
    out: dict[str, CorpusStats] = {}
    print(f"{'corpus':<8} {'files':>8} {'lines':>11} {'MB':>8}  root")
    for name, root in roots.items():
        stats = count_stats(list_py_files(root))
        out[name] = stats
        print(f"{name:<8} {stats.files:>8,} {stats.lines:>11,} {stats.bytes / 1e6:>8.2f}  {root}")
        if name == "llm" and (stats.files, stats.lines) != (EXPECTED_LLM_FILES, EXPECTED_LLM_LINES):
            warn(
                f"llm corpus differs from the pinned baseline: {stats.files} files / {stats.lines} lines, "
                f"expected {EXPECTED_LLM_FILES} / {EXPECTED_LLM_LINES}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--cache", type=Path, default=default_cache_dir(), help="cache directory")
    ap.add_argument("--corpus", choices=["llm", "stdlib", "both"], default="both")
    args = ap.parse_args(argv)
    roots = build_all(args.cache, args.corpus)
    print_stats(roots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
