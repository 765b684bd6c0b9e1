"""`--fix`, `--diff`, `--fix-only` over a whole run: fix each file that has applicable fixes, write it
(or render a diff), then re-lint so the report shows what remains."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from promptlint.config.load import ConfigResolver
from promptlint.engine.fixer import applicable, fix_source, write_atomic
from promptlint.engine.runner import RunResult, Selection, lint_paths, new_state
from promptlint.output.report import display_path


@dataclass
class FixRun:
    run: RunResult
    applied: int = 0
    files: int = 0
    diff: str = ""
    stdin_bytes: bytes | None = None  # the fixed file, encoded as it came, when something changed
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        remaining = len(self.run.diagnostics)
        unsafe = sum(1 for d in self.run.diagnostics if d.fix is not None and d.fix.applicability == "unsafe")
        text = f"Fixed {self.applied} {'diagnostic' if self.applied == 1 else 'diagnostics'}"
        text += f" in {self.files} {'file' if self.files == 1 else 'files'}"
        text += f", {remaining} remaining"
        if unsafe:
            text += f" ({unsafe} with unsafe fixes: use --unsafe-fixes)"
        return text + "."


def apply_fixes(
    run: RunResult, paths: Sequence[str], config: str | None, selection: Selection, unsafe: bool, write: bool
) -> FixRun:
    """Fix every file of `run` that has an applicable fix; re-lint `paths` when anything was written."""
    resolver = ConfigResolver(config)
    state = new_state()
    out = FixRun(run)
    diffs: list[str] = []
    fixable_paths = sorted({d.path for d in run.diagnostics if applicable(d.fix, unsafe)})
    for path in fixable_paths:
        source = run.sources[path]
        settings = resolver.for_path(path).with_cli(
            selection.select, selection.ignore, selection.extend_select, selection.preview
        )
        outcome = fix_source(source, settings, state, unsafe)
        if outcome.warning:
            out.warnings.append(outcome.warning)
        if not outcome.changed:
            continue
        out.applied += outcome.applied
        out.files += 1
        out.stdin_bytes = source.encode(outcome.text)
        name = display_path(path)
        diffs.append(
            "".join(
                difflib.unified_diff(
                    source.text.splitlines(True), outcome.text.splitlines(True), f"a/{name}", f"b/{name}"
                )
            )
        )
        if write:
            write_atomic(source, outcome.text)
    out.diff = "".join(diffs)
    if write and out.files:
        out.run = lint_paths(list(paths), config=config, selection=selection)
    return out
