"""CI output formats (sarif, github, gitlab, lsp), fingerprints, `--fail-on` and baselines."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from promptlint.baseline import apply_baseline, baseline_json
from promptlint.cli import cli
from promptlint.engine.registry import Registry
from promptlint.engine.runner import lint_paths
from promptlint.output import FORMATS, Report
from promptlint.output.fingerprint import fingerprints
from tests.samples import EMOJI_APP

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json"

APP = EMOJI_APP


def _report(path: str = "app.py") -> Report:
    run = lint_paths([path])
    return Report(tuple(run.diagnostics), run.sources, rules=Registry.load().rules)


@pytest.fixture
def app(chdir: Path) -> Path:
    (chdir / "app.py").write_text(APP, encoding="utf-8")
    return chdir / "app.py"


def test_every_design_format_is_registered() -> None:
    assert set(FORMATS) == {"full", "concise", "json", "sarif", "github", "gitlab", "lsp"}


def test_sarif_validates_against_the_official_schema(app: Path) -> None:
    log = json.loads(FORMATS["sarif"](_report()))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"PC001", "PC101", "PC501"} <= set(rules)
    pc101 = rules["PC101"]
    assert pc101["name"] == "volatile-time-in-prefix"
    assert pc101["defaultConfiguration"]["level"] == "error"
    assert pc101["helpUri"].endswith("#pc101-volatile-time-in-prefix")
    assert pc101["shortDescription"]["text"] and pc101["fullDescription"]["text"]
    results = {r["ruleId"]: r for r in run["results"]}
    clock = results["PC101"]
    region = clock["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (9, 25)  # 1-based, code points
    assert run["columnKind"] == "unicodeCodePoints"
    assert clock["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.py"
    assert clock["relatedLocations"][0]["message"]["text"]
    assert run["tool"]["driver"]["rules"][clock["ruleIndex"]]["id"] == "PC101"
    header = results["PC501"]
    assert header["level"] == "warning"
    replacement = header["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"]["startLine"] == 13 and replacement["insertedContent"]["text"] == ""


def test_sarif_schema_rejects_a_broken_log(app: Path) -> None:
    log = json.loads(FORMATS["sarif"](_report()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert len(list(validator.iter_errors(log))) >= 2


def _fingerprint_by_code(report: Report) -> dict[str, str]:
    return {d.code: fp for d, fp in zip(report.diagnostics, fingerprints(report), strict=True)}


def test_fingerprints_are_stable_and_survive_line_shifts(app: Path) -> None:
    first = _fingerprint_by_code(_report())
    assert first == _fingerprint_by_code(_report())
    app.write_text(
        "# a comment\n\n\nimport os\n" + APP.replace("def answer", "\n\ndef answer"), encoding="utf-8"
    )
    assert _fingerprint_by_code(_report()) == first
    sarif = json.loads(FORMATS["sarif"](_report()))
    prints = {r["ruleId"]: r["partialFingerprints"]["promptlint/v1"] for r in sarif["runs"][0]["results"]}
    assert prints == first


def test_fingerprints_tell_repeated_culprits_apart(chdir: Path) -> None:
    twice = APP + APP.split("\n\n\n", 1)[1].replace("def answer", "def answer2")
    (chdir / "app.py").write_text(twice, encoding="utf-8")
    report = _report()
    prints = fingerprints(report)
    assert len(report.diagnostics) >= 2 and len(set(prints)) == len(prints)


def test_github_annotations(app: Path) -> None:
    lines = FORMATS["github"](_report()).splitlines()
    assert lines[0] == (
        "::error file=app.py,line=9,col=25,endLine=9,endColumn=39,title=PC101 (volatile-time-in-prefix)::"
        + _report().diagnostics[0].message
    )
    assert lines[1].startswith("::warning file=app.py,line=13,")


def test_gitlab_code_quality(app: Path) -> None:
    issues: list[dict[str, Any]] = json.loads(FORMATS["gitlab"](_report()))
    assert [i["severity"] for i in issues] == ["major", "minor"]
    first = issues[0]
    assert first["check_name"] == "PC101 volatile-time-in-prefix"
    assert first["location"] == {"path": "app.py", "lines": {"begin": 9, "end": 9}}
    assert first["description"].startswith("PC101 ") and len(first["fingerprint"]) == 32


def test_lsp_format_uses_utf16_columns(app: Path) -> None:
    data = json.loads(FORMATS["lsp"](_report()))
    [(uri, diags)] = data.items()
    assert uri == app.resolve().as_uri()
    clock = diags[0]
    # 24 code points before the slot; the emoji is two UTF-16 code units
    assert clock["range"]["start"] == {"line": 8, "character": 25}
    assert clock["severity"] == 1 and clock["source"] == "promptlint" and clock["code"] == "PC101"
    assert clock["codeDescription"]["href"].endswith("#pc101-volatile-time-in-prefix")
    assert diags[1]["data"]["fix"]["edits"][0]["newText"] == ""


def test_fail_on_threshold(app: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["check", "app.py", "--fail-on", "error"]).exit_code == 1
    only_warning = ["check", "app.py", "--select", "PC501"]
    assert runner.invoke(cli, [*only_warning, "--fail-on", "error"]).exit_code == 0
    assert runner.invoke(cli, [*only_warning, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(cli, [*only_warning, "--fail-on", "info"]).exit_code == 1
    assert runner.invoke(cli, only_warning).exit_code == 1


def test_baseline_hides_known_findings_and_reports_new_ones(app: Path) -> None:
    runner = CliRunner()
    written = runner.invoke(cli, ["check", "app.py", "--write-baseline", "baseline.json"])
    assert written.exit_code == 0, written.output
    data = json.loads(Path("baseline.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in data["findings"]] == ["PC101", "PC501"]
    # unrelated lines added above: still baselined
    app.write_text('"""Docs."""\n\n' + APP, encoding="utf-8")
    clean = runner.invoke(
        cli, ["check", "app.py", "--baseline", "baseline.json", "--output-format", "concise"]
    )
    assert clean.exit_code == 0, clean.output
    # a new finding is reported and fails (an id before the clock: the first value that breaks the prefix)
    app.write_text(
        APP.replace("{datetime.now():%H:%M:%S}", "{uuid.uuid4()} {datetime.now():%H:%M:%S}"), encoding="utf-8"
    )
    app.write_text("import uuid\n" + app.read_text(encoding="utf-8"), encoding="utf-8")
    new = runner.invoke(cli, ["check", "app.py", "--baseline", "baseline.json", "--output-format", "concise"])
    assert new.exit_code == 1, new.output
    assert "PC102" in new.output and "PC501" not in new.output


def test_bad_baseline_file_is_a_usage_error(app: Path) -> None:
    Path("baseline.json").write_text("[1, 2]", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "app.py", "--baseline", "baseline.json"])
    assert result.exit_code == 2
    assert "not a promptlint baseline" in result.output


def test_baseline_json_is_deterministic(app: Path) -> None:
    report = _report()
    assert baseline_json(report) == baseline_json(_report())
    assert apply_baseline(report, frozenset(fingerprints(report))).diagnostics == ()


def test_a_baseline_matches_from_another_directory(app: Path) -> None:
    runner = CliRunner()
    os.makedirs("ci", exist_ok=True)
    written = runner.invoke(cli, ["check", "app.py", "--write-baseline", "ci/baseline.json"])
    assert written.exit_code == 0, written.output
    data = json.loads(Path("ci/baseline.json").read_text(encoding="utf-8"))
    assert {f["path"] for f in data["findings"]} == {"../app.py"}  # relative to the baseline's folder
    os.chdir("ci")
    try:
        clean = runner.invoke(cli, ["check", "../app.py", "--baseline", "baseline.json"])
    finally:
        os.chdir("..")
    assert clean.exit_code == 0, clean.output


def test_a_baseline_that_matches_nothing_says_so(app: Path) -> None:
    Path("other.json").write_text(
        json.dumps({"version": 1, "tool": "promptlint", "findings": [{"fingerprint": "0" * 32}]}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", "app.py", "--baseline", "other.json"])
    assert result.exit_code == 1 and "none of the 1 findings in other.json matched" in result.output


def test_colour_follows_no_color_and_force_color(app: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = CliRunner().invoke(cli, ["check", "app.py", "--output-format", "concise"], color=True)
    assert "\x1b[" in coloured.output
    monkeypatch.setenv("NO_COLOR", "1")
    plain = CliRunner().invoke(cli, ["check", "app.py", "--output-format", "concise"], color=True)
    assert "\x1b[" not in plain.output


def test_rule_all_and_rules_output_format() -> None:
    runner = CliRunner()
    every = runner.invoke(cli, ["rule", "--all"])
    assert every.exit_code == 0 and every.output.count("Severity:") >= 15
    listing = runner.invoke(cli, ["rules", "--output-format", "json"])
    assert listing.exit_code == 0 and json.loads(listing.output)[0]["code"] == "PC001"
    assert runner.invoke(cli, ["rule"]).exit_code == 2
