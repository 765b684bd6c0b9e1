"""`gitlab`: a GitLab Code Quality report (a JSON list in the Code Climate issue format)."""

from __future__ import annotations

import json
from typing import Any

from promptlint.diagnostics import Severity
from promptlint.output.fingerprint import fingerprints, normalized_path
from promptlint.output.report import Report

GITLAB_SEVERITY = {
    Severity.ERROR: "major",
    Severity.WARNING: "minor",
    Severity.INFO: "info",
    Severity.HINT: "info",
}


def render_gitlab(report: Report) -> str:
    issues: list[dict[str, Any]] = []
    for diag, fingerprint in zip(report.diagnostics, fingerprints(report), strict=True):
        start, end = report.start(diag), report.end(diag)
        issues.append(
            {
                "type": "issue",
                "description": f"{diag.code} {diag.message}",
                "check_name": f"{diag.code} {diag.name}",
                "fingerprint": fingerprint,
                "severity": GITLAB_SEVERITY[diag.severity],
                "categories": ["Performance"],
                "location": {
                    "path": normalized_path(diag.path),
                    "lines": {"begin": start.line, "end": end.line},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
