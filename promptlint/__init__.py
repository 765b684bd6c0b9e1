"""promptlint: find prompt patterns that break LLM provider prefix caches."""

__version__ = "0.1.0"
