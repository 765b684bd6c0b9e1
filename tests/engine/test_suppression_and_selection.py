"""Suppression comments and rule selection."""

from __future__ import annotations

from promptlint.config.schema import Settings
from promptlint.engine.registry import Registry
from promptlint.engine.selection import enabled_rules

CODE = (
    "from datetime import datetime\nPOLICY = 'Reply politely to every customer question. ' * 12\n"
    "def ask(client, q):\n    return client.chat.completions.create(model='m', messages=[\n"
    "        {{'role': 'system', 'content': f'Now {{datetime.now()}}\\n' + POLICY}},{same}\n"
    "        {{'role': 'user', 'content': q}}])\n"
)


def test_trailing_suppression(lint) -> None:  # type: ignore[no-untyped-def]
    assert lint(CODE.format(same="  # promptlint: ignore[PC101]")) == []


def test_suppression_on_line_before(lint) -> None:  # type: ignore[no-untyped-def]
    code = CODE.format(same="").replace(
        "        {'role': 'system'",
        "        # promptlint: ignore[volatile-time-in-prefix]\n        {'role': 'system'",
    )
    assert lint(code) == []


def test_unknown_and_unused_suppressions_are_reported(lint) -> None:  # type: ignore[no-untyped-def]
    diags = lint(CODE.format(same="  # promptlint: ignore[PC101, PC999, PC201]"))
    assert sorted((d.code, d.message) for d in diags) == [
        ("PC002", "Suppression of `PC201` is unused"),
        ("PC003", "Unknown rule `PC999` in suppression comment"),
    ]


def test_file_ignore(lint) -> None:  # type: ignore[no-untyped-def]
    assert lint("# promptlint: file-ignore[PC101]\n" + CODE.format(same="")) == []


def test_selection_by_prefix_name_and_specificity() -> None:
    rules = Registry.load().rules

    def codes(**kw: object) -> list[str]:
        return [r.code for r in enabled_rules(Settings(**kw), rules, "x.py")]  # type: ignore[arg-type]

    assert codes(select=("PC1",)) == ["PC101", "PC102", "PC103"]
    assert codes(select=("PC1",), ignore=("random-in-prefix",)) == ["PC101", "PC102"]
    assert codes(select=("PC101",), ignore=("PC1",)) == ["PC101"]
    assert "PC501" in codes(select=("PC1",), extend_select=("PC5",))
    assert codes(select=("ALL",), per_file_ignores=(("x.py", ("PC",)),)) == []
    assert "PC501" not in codes(ignore=("PC5",)), "a prefix ignore beats the default selection"
    assert "PC501" not in codes(per_file_ignores=(("x.py", ("PC5",)),))
