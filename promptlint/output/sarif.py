"""`sarif`: a SARIF 2.1.0 log (GitHub code scanning and other CI viewers).

One run; `tool.driver.rules` describes every rule of the registry (id, name, descriptions, help URI,
default level); each result carries 1-based regions (columns in Unicode code points, declared with
`columnKind`), related locations, fixes as artifact changes and a line-shift-insensitive
`partialFingerprints` entry (see `fingerprint.py`).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from promptlint import __version__
from promptlint.diagnostics import Diagnostic, Severity, Span
from promptlint.output.fingerprint import FINGERPRINT_KEY, fingerprints, normalized_path
from promptlint.output.report import Report
from promptlint.project import repository
from promptlint.rules_api.base import Rule, rule_url

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    docs = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary() or rule.name},
        "fullDescription": {"text": docs or rule.name},
        "help": {"text": docs or rule.name, "markdown": docs or rule.name},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {"tags": ["prompt-cache", *rule.tags], "fix": str(rule.fix_availability)},
    }


def artifact_location(path: str) -> dict[str, str]:
    shown = normalized_path(path)
    if os.path.isabs(shown):
        return {"uri": Path(shown).as_uri()}
    return {"uri": urllib.parse.quote(shown), "uriBaseId": "%SRCROOT%"}


def region(report: Report, path: str, span: Span) -> dict[str, int]:
    start, end = report.position(path, span)
    return {
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    }


def _location(report: Report, path: str, span: Span) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": artifact_location(path),
            "region": region(report, path, span),
        }
    }


def _result(diag: Diagnostic, fingerprint: str, report: Report, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diag.code,
        "level": SARIF_LEVEL[diag.severity],
        "message": {"text": diag.message},
        "locations": [_location(report, diag.path, diag.span)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if diag.code in index:
        result["ruleIndex"] = index[diag.code]
    related = []
    for i, loc in enumerate(diag.related):
        entry = _location(report, loc.path, loc.span)
        entry["id"] = i
        if loc.message:
            entry["message"] = {"text": loc.message}
        related.append(entry)
    if related:
        result["relatedLocations"] = related
    if diag.chain:
        steps = []
        for loc in diag.chain:
            where = _location(report, loc.path, loc.span)
            if loc.message:
                where["message"] = {"text": loc.message}
            steps.append({"location": where})
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if diag.fix is not None and diag.fix.edits:
        replacements = [
            {
                "deletedRegion": region(report, diag.path, edit.span),
                "insertedContent": {"text": edit.content},
            }
            for edit in diag.fix.edits
        ]
        result["fixes"] = [
            {
                "description": {"text": f"{diag.fix.title} ({diag.fix.applicability})"},
                "artifactChanges": [
                    {"artifactLocation": artifact_location(diag.path), "replacements": replacements}
                ],
            }
        ]
    properties: dict[str, Any] = {"name": diag.name}
    if diag.cache_impact is not None:
        properties["cacheImpact"] = {"tokensAfter": diag.cache_impact.tokens_after}
    if diag.fix is not None:
        properties["fixApplicability"] = str(diag.fix.applicability)
    result["properties"] = properties
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    rules = report.rules
    index = {rule.code: i for i, rule in enumerate(rules)}
    prints = fingerprints(report)
    results = [_result(d, fp, report, index) for d, fp in zip(report.diagnostics, prints, strict=True)]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "promptlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": repository(),
                "rules": [rule_descriptor(rule) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
