"""The engine: rule registry, selection, suppression, and the runner that ties them together."""
