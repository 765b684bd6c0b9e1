"""Configuration: the frozen `Settings` and loading it from pyproject.toml / promptlint.toml."""
