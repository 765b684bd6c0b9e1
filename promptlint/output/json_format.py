"""`json`: a list of diagnostics with ruff-compatible keys plus `cache_impact`, `related` and `path`.

`path` is the evidence chain: the source, the steps the value took, where it enters the prompt and
the request, each a location with a message.
"""

from __future__ import annotations

import json
from typing import Any

from promptlint.diagnostics import CacheImpact, Diagnostic, Location
from promptlint.output.report import Report, display_path


def diagnostic_dict(diag: Diagnostic, report: Report) -> dict[str, Any]:
    start, end = report.start(diag), report.end(diag)
    fix = None
    if diag.fix is not None:
        edits = []
        for edit in diag.fix.edits:
            a, b = report.position(diag.path, edit.span)
            edits.append(
                {
                    "content": edit.content,
                    "location": {"row": a.line, "column": a.column},
                    "end_location": {"row": b.line, "column": b.column},
                }
            )
        fix = {"applicability": str(diag.fix.applicability), "message": diag.fix.title, "edits": edits}
    related = [_location(loc, report) for loc in diag.related]
    return {
        "code": diag.code,
        "name": diag.name,
        "severity": str(diag.severity),
        "message": diag.message,
        "filename": display_path(diag.path),
        "location": {"row": start.line, "column": start.column},
        "end_location": {"row": end.line, "column": end.column},
        "fix": fix,
        "url": diag.url,
        "cache_impact": _impact(diag.cache_impact) if diag.cache_impact else None,
        "related": related,
        "path": [_location(loc, report) for loc in diag.chain],
    }


def _location(loc: Location, report: Report) -> dict[str, Any]:
    a, b = report.position(loc.path, loc.span)
    return {
        "filename": display_path(loc.path),
        "message": loc.message,
        "location": {"row": a.line, "column": a.column},
        "end_location": {"row": b.line, "column": b.column},
    }


def render_json(report: Report) -> str:
    return (
        json.dumps([diagnostic_dict(d, report) for d in report.diagnostics], indent=2, ensure_ascii=False)
        + "\n"
    )


def _impact(impact: CacheImpact) -> dict[str, object]:
    out: dict[str, object] = {"tokens_after": impact.tokens_after}
    if impact.estimated:
        out["estimated"] = True  # part of the prompt was past the evaluator's size bound
    return out
