"""Render simulation comparisons as a terminal table, JSON, or a self-contained HTML page.

The HTML report has an inline SVG bar chart (hit ratio and relative cost, before and after the fix)
and no scripts, fonts or links to fetch: it opens offline. Output is deterministic.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from promptlint.providers import RELATIVE
from promptlint.simulate.run import Comparison, Rejected, SimulationResult

_HEADERS = ("prompt", "variant", "requests", "input tok", "cached tok", "hit ratio", "cost", "vs no cache")


def render_table(comparisons: Sequence[Comparison | Rejected]) -> str:
    """A fixed-width table, one row per (prompt, before/after); a rejected prompt gets one row with why."""
    rows: list[tuple[str, ...]] = [_HEADERS]
    rejected: list[Rejected] = []
    for comp in comparisons:
        if isinstance(comp, Rejected):
            rows.append((comp.label, "rejected", *("-" for _ in _HEADERS[2:])))
            rejected.append(comp)
            continue
        for variant, result in (("as written", comp.before), ("after fix", comp.after)):
            rows.append((comp.label, *_cells(variant, result)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += [f"rejected: {r.label}: {r.reason}" for r in rejected]
    return "\n".join(lines) + "\n"


def render_json(comparisons: Sequence[Comparison | Rejected]) -> str:
    return json.dumps([c.to_json() for c in comparisons], indent=2, sort_keys=True) + "\n"


def render_html(comparisons: Sequence[Comparison | Rejected]) -> str:
    """A standalone HTML page: the table plus one inline SVG chart per prompt."""
    sections = []
    for comp in comparisons:
        if isinstance(comp, Rejected):
            sections.append(
                f"<section><h2>{html.escape(comp.label)}</h2>\n<p>Rejected: {html.escape(comp.reason)}</p></section>"
            )
            continue
        sections.append(
            f"<section><h2>{html.escape(comp.label)}</h2>\n{_svg(comp)}\n{_html_table(comp)}</section>"
        )
    body = "\n".join(sections) or "<p>No prompts found.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>promptlint cache simulation</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}</style>"
        f"</head><body><h1>promptlint cache simulation</h1>\n{body}\n</body></html>\n"
    )


def _cells(variant: str, result: SimulationResult) -> tuple[str, ...]:
    """One result row as text, shared by the terminal table and the HTML report."""
    return (
        variant,
        str(result.requests),
        str(result.input_tokens),
        str(result.cached_tokens),
        f"{result.hit_ratio:.1%}",
        _money(result.cost_cached, result.currency),
        f"{result.relative_cost:.1%}",
    )


def _html_table(comp: Comparison) -> str:
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in _HEADERS[1:]) + "</tr>"]
    for variant, result in (("as written", comp.before), ("after fix", comp.after)):
        cells = _cells(variant, result)
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _svg(comp: Comparison) -> str:
    """Four horizontal bars: hit ratio and relative cost, before and after."""
    bars = (
        ("hit ratio, as written", comp.before.hit_ratio, "#d9534f"),
        ("hit ratio, after fix", comp.after.hit_ratio, "#5cb85c"),
        ("cost vs no cache, as written", comp.before.relative_cost, "#d9534f"),
        ("cost vs no cache, after fix", comp.after.relative_cost, "#5cb85c"),
    )
    width, label_w, bar_w, row_h = 620, 220, 340, 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row_h * len(bars) + 10}" '
        f'role="img" aria-label="cache simulation chart">'
    ]
    for i, (label, value, colour) in enumerate(bars):
        y = 5 + i * row_h
        length = round(max(0.0, min(1.0, value)) * bar_w, 1)
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="13">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" fill="#eee"/>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{length}" height="18" fill="{colour}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" font-size="13">{value:.1%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _money(amount: float, currency: str) -> str:
    if currency == RELATIVE:
        return f"{amount * 1e6:,.0f} base-token eq."
    return f"{amount:.6f} {currency}"


def summary_line(result: SimulationResult) -> str:
    return (
        f"{result.provider}: hit ratio {result.hit_ratio:.1%}, cost {result.relative_cost:.1%} of no caching"
    )
