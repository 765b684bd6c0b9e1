"""Every reduction of a real-code false positive in `shared/realworld/false-positives/` stays silent.

fp08 may carry one PC201, and it must name `question` (the first per-request value), as its header
says. The folder sits beside the checkout; the test is skipped where it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "false-positives"


@pytest.mark.skipif(not FOLDER.is_dir(), reason="shared/realworld/false-positives is not beside the checkout")
def test_false_positive_reductions_are_silent() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "promptlint", "check", ".", "--output-format", "json", "--exit-zero"],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    allowed = [d for d in found if d["filename"].endswith("fp08_last_slot.py") and d["code"] == "PC201"]
    assert [d for d in found if d not in allowed] == [], [f"{d['filename']}: {d['message']}" for d in found]
    assert len(allowed) <= 1
    assert all("`question`" in d["message"] for d in allowed)
