"""The Python frontend (DESIGN §3); the entry point is `frontend.extract_python`.

The package itself imports nothing, so that a light module of it (the volatile-source table, which
the Jinja frontend also reads) does not pull in the whole analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptlint.frontends.python.frontend import PythonContext, extract_python

__all__ = ["PythonContext", "extract_python"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from promptlint.frontends.python import frontend

        return getattr(frontend, name)
    raise AttributeError(name)
