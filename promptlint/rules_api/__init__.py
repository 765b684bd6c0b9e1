"""The rule API: base classes, the per-file rule context, examples and detector kinds."""
