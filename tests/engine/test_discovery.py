"""Discovery: .gitignore, default excludes, config excludes, prompt-file classification."""

from __future__ import annotations

from pathlib import Path

from promptlint.config.schema import Settings
from promptlint.discovery import discover
from promptlint.source import FileKind


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n")


def test_discovery_rules(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n*.tmp.py\n!keep.tmp.py\n")
    for rel in [
        "app.py",
        "generated/gen.py",
        "x.tmp.py",
        "keep.tmp.py",
        ".venv/lib/site.py",
        "node_modules/a.py",
        "pkg/__pycache__/c.py",
        "build/b.py",
        "prompts/system.txt",
        "notes.txt",
        "t/a.j2",
        "a.prompty",
        "vendor/v.py",
        "docs/prompt/user.md",
    ]:
        touch(tmp_path / rel)
    settings = Settings(root=str(tmp_path), exclude=("vendor",))
    found = {
        str(Path(d.path).relative_to(tmp_path)): d.kind
        for d in discover([str(tmp_path)], lambda _p: settings)
    }
    assert found == {
        "app.py": FileKind.PYTHON,
        "keep.tmp.py": FileKind.PYTHON,
        "prompts/system.txt": FileKind.TEXT,
        "t/a.j2": FileKind.JINJA,
        "a.prompty": FileKind.PROMPTY,
        "docs/prompt/user.md": FileKind.TEXT,
    }


def test_explicit_files_are_always_linted(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    touch(tmp_path / "ignored.py")
    settings = Settings(root=str(tmp_path))
    found = list(discover([str(tmp_path / "ignored.py")], lambda _p: settings))
    assert [(Path(d.path).name, d.explicit) for d in found] == [("ignored.py", True)]
