"""The CI integrations shipped in the repository (`action.yml`, the GitLab template) run as written:
their lint steps are executed locally with bash against a project with findings. The install steps
are not run (they need the network); the wheel they install is built by `test_packaging.py`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.samples import clock_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APP = clock_app()

pytestmark = pytest.mark.integration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PROMPTLINT_", "NO_COLOR", "FORCE_COLOR"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _action_lint_step(inputs: dict[str, str]) -> tuple[str, dict[str, str]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "lint"]

    def render(text: str) -> str:
        return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], text)

    return step["run"], {k: render(str(v)) for k, v in step.get("env", {}).items()}


def test_the_github_action_lints_annotates_and_writes_sarif(project: Path) -> None:
    script, env = _action_lint_step({"args": "--preview"})
    output = project / "github_output"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=project,
        env=_env({**env, "GITHUB_OUTPUT": str(output)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # findings fail the step
    assert "::error" in done.stdout and "PC101" in done.stdout  # pull-request annotations
    sarif = json.loads((project / "promptlint.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "sarif-file=promptlint.sarif" in output.read_text(encoding="utf-8")


def test_the_github_action_can_report_without_failing(project: Path) -> None:
    script, env = _action_lint_step({"args": "--preview", "fail-on-findings": "false"})
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=project,
        env=_env({**env, "GITHUB_OUTPUT": str(project / "out")}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "::error" in done.stdout


def test_the_action_installs_itself_and_the_gitlab_template_the_real_distribution() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert "${GITHUB_ACTION_PATH}" in action["runs"]["steps"][0]["run"]
    gitlab = yaml.safe_load(
        (ROOT / "integrations/gitlab/promptlint.gitlab-ci.yml").read_text(encoding="utf-8")
    )
    assert "promptlint-prefix" in gitlab["promptlint"]["script"][0]


def test_the_gitlab_template_writes_a_code_quality_report(project: Path) -> None:
    job = yaml.safe_load((ROOT / "integrations/gitlab/promptlint.gitlab-ci.yml").read_text(encoding="utf-8"))
    variables = {**job["promptlint"]["variables"], "PROMPTLINT_ARGS": "--preview"}
    lines = job["promptlint"]["script"][1:]  # the first line installs from the package index
    done = subprocess.run(
        ["bash", "-ec", "\n".join(lines)],
        cwd=project,
        env=_env(variables),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "PC101" in done.stdout
    report = json.loads((project / job["promptlint"]["artifacts"]["reports"]["codequality"]).read_text())
    assert report and {"description", "check_name", "fingerprint", "severity", "location"} <= set(report[0])
