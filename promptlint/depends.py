"""What one file's lint read from other files: the record the result cache validates against.

The loaders (project modules, templates and prompt files) report here every file whose text a lint
used, with a digest of the bytes they read, and every file they looked for and did not find (a module
or template created later would change the result). The log is reset per linted file; the cache
stores it with the result and trusts the result only while every entry still holds.
"""

from __future__ import annotations

import hashlib
import os


def digest(data: bytes) -> str:
    """The content key of a file's bytes (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class DependencyLog:
    """Files used by the current lint: absolute path -> digest of its bytes, or None when absent."""

    def __init__(self) -> None:
        self.files: dict[str, str | None] = {}

    def reset(self) -> None:
        self.files = {}

    def read(self, path: str, content: str | None) -> None:
        """`path` was used; `content` is the digest of what was read (None: it could not be read)."""
        self.files[os.path.abspath(path)] = content

    def absent(self, path: str) -> None:
        """`path` was looked for and is not there."""
        self.files.setdefault(os.path.abspath(path), None)

    def snapshot(self) -> tuple[tuple[str, str | None], ...]:
        return tuple(sorted(self.files.items()))
