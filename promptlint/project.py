"""Where promptlint lives: its distribution name and project URLs, read from the installed package's
metadata (`[project.urls]` in pyproject.toml is the one place they are written).

The distribution is `promptlint-prefix` (the name `promptlint` on PyPI belongs to another project);
the command and the import name are `promptlint`.
"""

from __future__ import annotations

from functools import cache

DISTRIBUTION = "promptlint-prefix"
# Only if the package metadata cannot be read (running from a source tree that was never installed).
_FALLBACK_REPOSITORY = "https://github.com/promptlint/promptlint"


@cache
def urls() -> dict[str, str]:
    """`[project.urls]` of the installed distribution, by label (lower-case)."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata
    except ImportError:  # pragma: no cover - always present on 3.11
        return {}
    try:
        entries = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    out: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        out[label.strip().lower()] = url.strip()
    return out


def repository() -> str:
    return urls().get("repository", _FALLBACK_REPOSITORY)


def docs(anchor: str = "") -> str:
    """The README (rule table and sections) at `anchor`."""
    base = urls().get("documentation", f"{repository()}/blob/main/README.md")
    base = base.split("#", 1)[0]
    return f"{base}#{anchor}" if anchor else base
