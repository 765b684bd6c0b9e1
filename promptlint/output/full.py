"""`full` (default): each diagnostic with a code frame, its cache impact, related places and fix."""

from __future__ import annotations

from promptlint.diagnostics import Diagnostic
from promptlint.output.report import Report, display_path


def render_full(report: Report) -> str:
    blocks = [_block(diag, report) for diag in report.diagnostics]
    return "\n".join(blocks)


def _block(diag: Diagnostic, report: Report) -> str:
    start, end = report.start(diag), report.end(diag)
    fixable = diag.fix is not None and diag.fix.applicability == "safe"
    head = f"{display_path(diag.path)}:{start.line}:{start.column}: {diag.code}{' [*]' if fixable else ''} {diag.message}"
    index = report.index(diag.path)
    out = [head]
    if index.text:
        gutter = len(str(end.line))
        line_text = index.line_text(start.line - 1)
        width = (end.column - start.column) if end.line == start.line else len(line_text) - start.column + 1
        out.append(f"{' ' * gutter} |")
        out.append(f"{start.line:>{gutter}} | {line_text.expandtabs(1)}")
        out.append(f"{' ' * gutter} | {' ' * (start.column - 1)}{'^' * max(width, 1)} {diag.code}")
        out.append(f"{' ' * gutter} |")
    if diag.cache_impact is not None:
        out.append(
            f"  = cache impact: {'about ' if diag.cache_impact.estimated else ''}"
            f"{diag.cache_impact.tokens_after} static tokens after this point cannot be reused"
        )
    if diag.chain:
        out.append("  = chain:")
        for step, loc in enumerate(diag.chain, 1):
            pos, _ = report.position(loc.path, loc.span)
            out.append(f"      {step}. {display_path(loc.path)}:{pos.line}:{pos.column}: {loc.message}")
    else:
        for loc in diag.related:
            pos, _ = report.position(loc.path, loc.span)
            out.append(f"  = related: {display_path(loc.path)}:{pos.line}:{pos.column}: {loc.message}")
    if diag.fix is not None:
        out.append(f"  = fix ({diag.fix.applicability}): {diag.fix.title}")
    return "\n".join(out) + "\n"
