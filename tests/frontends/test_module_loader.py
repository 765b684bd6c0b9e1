"""The project module loader: which modules are parsed, and what it answers without parsing."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from promptlint.frontends.python import PythonContext, extract_python
from promptlint.frontends.python.modules import ModuleLoader
from promptlint.frontends.python.volatile import VolatileTable
from promptlint.source import FileKind, decode_source


class CountingReader:
    """Reads files and remembers which were read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __call__(self, path: str) -> bytes:
        self.read.append(Path(path).name)
        return Path(path).read_bytes()


def _project(tmp_path: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        (tmp_path / name).write_text(textwrap.dedent(code), encoding="utf-8")


@pytest.mark.parametrize(
    ("models", "is_class"),
    [
        ("class Prompt:\n    pass\n", True),
        ("class Prompt:\n    pass\ndef Prompt():\n    return 'x'\n", False),  # the def wins
        ("if True:\n    def Prompt():\n        return 'x'\n", False),
        ("Prompt = str\n", False),
        ("from other import Prompt\n", False),
        ("class Base:\n    class Prompt:\n        pass\n", False),  # nested, not module level
        ('"""\nclass Prompt:\n"""\ndef Prompt():\n    return "x"\n', False),
    ],
)
def test_defines_class_reads_the_text(tmp_path: Path, models: str, is_class: bool) -> None:
    _project(tmp_path, {"models.py": models, "app.py": "from models import Prompt\n"})
    loader = ModuleLoader()
    assert loader.defines_class("models", "Prompt", str(tmp_path / "app.py")) is is_class
    assert loader.find("models", str(tmp_path / "app.py")) is not None  # parsed only on request
    assert loader.defines_class("models", "Prompt", str(tmp_path / "app.py")) is is_class  # from the tree


def test_calling_an_imported_class_does_not_parse_its_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        tmp_path,
        {
            "models.py": "class Reply:\n    def __init__(self, text):\n        self.text = text\n",
            "prompts.py": "RULES = 'Answer briefly.'\n",
            "app.py": """
                from datetime import datetime
                from models import Reply
                from prompts import RULES

                def build(question):
                    system_prompt = f"Now {datetime.now()}. {RULES} {Reply(question)}"
                    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": question}]
                """,
        },
    )
    parsed: list[str] = []
    parse = ModuleLoader._parse

    def recording_parse(self: ModuleLoader, path: str) -> object:
        parsed.append(Path(path).name)
        return parse(self, path)

    monkeypatch.setattr(ModuleLoader, "_parse", recording_parse)
    reader = CountingReader()
    path = tmp_path / "app.py"
    source = decode_source(str(path), path.read_bytes(), FileKind.PYTHON)
    facts = extract_python(source, PythonContext(ModuleLoader(reader=reader), VolatileTable.build(())))
    assert parsed == ["prompts.py"]
    assert reader.read.count("models.py") == 1  # read once for its text, never parsed
    text = "".join(getattr(seg, "text", "") for seg in facts.prompts[0].parts[0].segments)
    assert "Answer briefly." in text


def test_forget_rereads_a_saved_module(tmp_path: Path) -> None:
    _project(tmp_path, {"prompts.py": "class Rules:\n    pass\n", "app.py": "from prompts import Rules\n"})
    loader = ModuleLoader()
    near = str(tmp_path / "app.py")
    assert loader.defines_class("prompts", "Rules", near)
    first = loader.find("prompts", near)
    assert first is not None and "Rules" in first.defs
    _project(tmp_path, {"prompts.py": "def Rules():\n    return 'Answer briefly.'\n"})
    loader.forget(str(tmp_path / "prompts.py"))
    assert not loader.defines_class("prompts", "Rules", near)
    again = loader.find("prompts", near)
    assert again is not None and isinstance(again.defs["Rules"], ast.FunctionDef)


def test_the_editor_forgets_a_saved_file(tmp_path: Path) -> None:
    from promptlint.lsp.documents import DocumentLinter

    _project(tmp_path, {"prompts.py": "RULES = 'a'\n", "app.py": "from prompts import RULES\n"})
    linter = DocumentLinter((str(tmp_path),))
    loader = linter.state.loader
    near = str(tmp_path / "app.py")
    assert loader.find("prompts", near) is not None
    _project(tmp_path, {"prompts.py": "RULES = 'b'\n"})
    linter.file_saved(str(tmp_path / "prompts.py"))
    module = loader.find("prompts", near)
    assert module is not None and "'b'" in module.source.text


def test_a_namespace_package_under_src_is_found(tmp_path: Path) -> None:
    """`src/app/` without `__init__.py`, imported as `app.helpers` from `src/app/bot.py`: the import
    resolves against a directory above the file, inside the project."""
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "helpers.py").write_text("RULES = 'x'\n", encoding="utf-8")
    (tmp_path / "src" / "app" / "bot.py").write_text("from app.helpers import RULES\n", encoding="utf-8")
    loader = ModuleLoader((str(tmp_path),))
    found = loader.find("app.helpers", str(tmp_path / "src" / "app" / "bot.py"))
    assert found is not None and found.source.path.endswith("helpers.py")


def test_nothing_outside_the_project_is_looked_up(tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text("RULES = 'x'\n", encoding="utf-8")
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "bot.py").write_text("import outside\n", encoding="utf-8")
    loader = ModuleLoader((str(project),))
    assert loader.find("outside", str(project / "app" / "bot.py")) is None
