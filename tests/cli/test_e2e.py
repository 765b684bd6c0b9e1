"""End to end: the installed `promptlint` command, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import clock_app

pytestmark = pytest.mark.e2e
EXE = shutil.which("promptlint", path=os.path.dirname(sys.executable)) or shutil.which("promptlint")
APP = clock_app(", extra_headers={'X-Cache-Enable': 'true'}")


def run(
    *args: str, cwd: Path, stdin: str | None = None, preview: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the installed command; `check` gets `--preview` (the whole catalogue) unless told not to."""
    assert EXE, "promptlint is not installed in this environment"
    argv = [args[0], "--preview", *args[1:]] if preview and args and args[0] == "check" else list(args)
    return subprocess.run([EXE, *argv], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


def test_findings_exit_1_with_json(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", ".", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert {d["code"] for d in data} == {"PC101", "PC501"}
    pc101 = next(d for d in data if d["code"] == "PC101")
    assert pc101["filename"] == "app.py" and pc101["location"] == {"row": 7, "column": 46}
    assert pc101["end_location"] == {"row": 7, "column": 60} and pc101["cache_impact"]["tokens_after"] > 100
    assert "changes every minute" in pc101["message"] and pc101["url"].startswith("https://")
    pc501 = next(d for d in data if d["code"] == "PC501")
    assert pc501["fix"]["applicability"] == "safe" and pc501["fix"]["edits"]


def test_clean_project_exits_0(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("SYSTEM = 'You are helpful.'\n")
    proc = run("check", cwd=tmp_path)
    assert proc.returncode == 0 and "All checks passed" in proc.stdout


def test_exit_zero_and_concise(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", "app.py", "--output-format", "concise", "--exit-zero", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("app.py:7:46: PC101 ")


def test_bad_config_is_exit_2_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.promptlint]\nselct = ['PC1']\n")
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("error: ") and "unknown key `selct`" in proc.stderr and "hint:" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "config",
    [
        '[tool.promptlint.per-file-ignores]\n"tests/*" = ["PC1O1"]\n',
        '[tool.promptlint]\nignore = ["PC9999"]\n',
    ],
)
def test_a_misspelt_code_in_the_config_is_exit_2(tmp_path: Path, config: str) -> None:
    # issue 13: a code that names no rule was accepted silently (and ignored nothing)
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown rule selector" in proc.stderr and "hint:" in proc.stderr
    assert proc.stderr.count("\n") == 2 and "Traceback" not in proc.stderr


def test_unknown_selector_is_exit_2(tmp_path: Path) -> None:
    proc = run("check", "--select", "PC999", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown rule selector" in proc.stderr


def test_stdin(tmp_path: Path) -> None:
    proc = run(
        "check", "-", "--stdin-filename", "bot.py", "--output-format", "concise", cwd=tmp_path, stdin=APP
    )
    assert proc.returncode == 1 and proc.stdout.startswith("bot.py:7:46: PC101")


def test_select_ignore_statistics(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", "--select", "PC1,PC5", "--ignore", "noop-cache-header", "--statistics", cwd=tmp_path)
    # ruff's format: the counts replace the findings, `[*]` marks a rule with safe fixes
    assert proc.stdout == "1\tPC101\t    volatile-time-in-prefix\n" and proc.returncode == 1
    as_json = run("check", "--select", "PC1", "--statistics", "--output-format", "json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == [
        {"code": "PC101", "name": "volatile-time-in-prefix", "count": 1, "fixable": False}
    ]


def test_ruff_habits(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    missing = run("check", "nope.py", cwd=tmp_path)
    assert missing.returncode == 2 and "All checks passed" not in missing.stdout
    assert "path not found: nope.py" in missing.stderr
    quiet = run("check", "-q", "--output-format", "concise", cwd=tmp_path)
    assert quiet.returncode == 1 and "Found" not in quiet.stdout and "PC101" in quiet.stdout
    written = run("check", "-o", "report.txt", "--output-format", "concise", cwd=tmp_path)
    assert written.returncode == 1 and written.stdout == ""
    assert "PC101" in (tmp_path / "report.txt").read_text()
    excluded = run("check", "--exclude", "app*", cwd=tmp_path)
    assert excluded.returncode == 0 and "(0 files)" in excluded.stdout
    baseline = run("check", "--write-baseline", "base.json", cwd=tmp_path)
    assert baseline.returncode == 0 and baseline.stdout == "" and "Wrote 2 findings" in baseline.stderr
    fixes = run("check", "--show-fixes", "--unsafe-fixes", "--output-format", "concise", cwd=tmp_path)
    assert "Fixes available:" in fixes.stdout


def test_stdin_fix_reports_what_is_left_and_fails(tmp_path: Path) -> None:
    proc = run("check", "-", "--fix", "--stdin-filename", "bot.py", cwd=tmp_path, stdin=APP)
    assert proc.stdout != APP and "X-Cache-Enable" not in proc.stdout  # PC501's safe fix applied
    assert proc.returncode == 1 and "bot.py:7:46: PC101" in proc.stderr and "PC501" not in proc.stderr
    only = run("check", "-", "--fix-only", "--stdin-filename", "bot.py", cwd=tmp_path, stdin=APP)
    assert only.returncode == 0 and only.stdout == proc.stdout


def test_bad_files_do_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "bytes.py").write_bytes(b"x = '\xff\xfe'\n")
    (tmp_path / "later.py").write_bytes(b"# a comment\ny = 'caf\xe9'\n")
    (tmp_path / "app.py").write_text(APP)
    proc = run("check", "--output-format", "concise", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("broken.py:1:7: PC001") for line in lines)
    assert any(line.startswith("bytes.py:1:6: PC001") for line in lines)
    assert any(line.startswith("later.py:2:9: PC001") for line in lines)
    assert any(line.startswith("app.py:7:46: PC101") for line in lines)


def test_diff_then_fix(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    diff = run("check", "--diff", cwd=tmp_path)
    assert diff.returncode == 1 and "-        {'role': 'user', 'content': q}], extra_headers=" in diff.stdout
    assert (tmp_path / "app.py").read_text() == APP
    fixed = run("check", "--fix", "--output-format", "concise", cwd=tmp_path)
    assert "X-Cache" not in (tmp_path / "app.py").read_text()
    assert (
        fixed.returncode == 1 and "PC101" in fixed.stdout and "Fixed 1 diagnostic in 1 file" in fixed.stderr
    )
    again = run("check", "--diff", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""


def test_rules_and_rule(tmp_path: Path) -> None:
    table = run("rules", "--format", "json", cwd=tmp_path)
    codes = [r["code"] for r in json.loads(table.stdout)]
    assert {"PC001", "PC101", "PC201", "PC301", "PC401", "PC501", "PC504"} <= set(codes)
    doc = run("rule", "PC101", cwd=tmp_path)
    assert doc.returncode == 0 and "## Why is this bad?" in doc.stdout and "## Use instead" in doc.stdout
    assert run("rule", "PC999", cwd=tmp_path).returncode == 2


def test_demo_project(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    if not demo.is_dir():
        pytest.skip("demo project not present")
    target = tmp_path / "demo"
    shutil.copytree(demo, target)
    proc = run("check", "demo", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1 and len({d["code"] for d in json.loads(proc.stdout)}) >= 5


def test_default_rule_set_is_the_measured_one(tmp_path: Path) -> None:
    # Without --preview only rules whose real-code precision is measured good run (data/precision.toml).
    from promptlint.engine.registry import Registry
    from promptlint.rules_api.base import Status
    from promptlint.rules_api.measured import measured

    stable = {r.code for r in Registry.load().rules if measured().status(r) is Status.STABLE}
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    shutil.copytree(demo, tmp_path / "demo")
    proc = run("check", "demo", "--output-format", "json", cwd=tmp_path, preview=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert {d["code"] for d in json.loads(proc.stdout)} <= stable
    listed = json.loads(run("rules", "--format", "json", cwd=tmp_path).stdout)
    assert {r["code"] for r in listed if r["status"] == "stable"} == stable
