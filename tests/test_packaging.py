"""The wheel ships every rule file under promptlint/builtin_rules/ and no tests or fixtures."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_wheel_contents(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "No module named" in proc.stderr and "hatchling" in proc.stderr:
        pytest.skip("hatchling is not installed in this environment (it is in the dev extra)")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("promptlint_prefix-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = sorted(p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.py"))
    assert rule_files, "no rule files found"
    for rel in rule_files:
        assert f"promptlint/builtin_rules/{rel}" in names
    assert "promptlint/data/providers.toml" in names
    assert not any(n.startswith(("tests/", "fixtures/", "rules/")) for n in names), "only the package ships"
    assert not any(n.startswith("promptlint/builtin_rules/") and n.endswith("__init__.py") for n in names)


def test_install_commands_name_the_real_distribution() -> None:
    """`pip install promptlint` installs an unrelated project: every recipe names ours."""
    import re
    import tomllib

    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert name == "promptlint-prefix"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    installs = re.findall(r"pip install\s+([^\s`]+)", readme)
    assert installs, "the README has install commands"
    for target in installs:
        target = target.strip("'\"")
        assert target.startswith(("-", ".", name)), f"README installs {target!r}, not {name}"
    from promptlint.project import docs, repository

    assert docs("pc101-volatile-time-in-prefix").startswith(repository())
