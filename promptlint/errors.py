"""User-facing errors: printed as one line plus a hint, never as a traceback, exit code 2."""

from __future__ import annotations


class PromptlintError(Exception):
    """Base for errors caused by the user's input (config, arguments, rule files)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class ConfigError(PromptlintError):
    """A configuration file or key is invalid."""


class UsageError(PromptlintError):
    """Command-line arguments are invalid."""


class RuleLoadError(PromptlintError):
    """A rule file could not be loaded or clashes with another."""
