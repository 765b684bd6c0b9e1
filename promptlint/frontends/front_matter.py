"""A tiny reader for the YAML front matter of Prompty files: nested mappings of scalars, nothing more.

Prompty front matter needs only `name`, `model` (api, configuration, parameters) and `inputs`/`sample`
(names, types, sample values). A full YAML parser would be a new runtime dependency for a handful of
keys, so this reads indentation-nested `key: value` lines; lists, anchors, flow collections and block
scalars are skipped (their keys stay absent), and malformed lines are ignored rather than fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"^(?P<indent>[ ]*)(?P<key>[\w$.-]+|\"[^\"]*\"|'[^']*')\s*:(?:\s+(?P<value>.*?))?\s*$")

Tree = dict[str, "Tree | str"]


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The front matter's mapping and where the body starts (character offset)."""

    data: Tree
    body_start: int


def split_front_matter(text: str) -> FrontMatter:
    """Front matter between a first line `---` and the next `---`; empty when there is none."""
    first = text.split("\n", 1)[0].strip()
    if first != "---":
        return FrontMatter({}, 0)
    match = re.compile(r"^---[ \t]*\r?$", re.M).search(text, len(text.split("\n", 1)[0]) + 1)
    if match is None:
        return FrontMatter({}, 0)
    end = match.end()
    if text[end : end + 2] == "\r\n":
        end += 2
    elif text[end : end + 1] == "\n":
        end += 1
    return FrontMatter(parse_mapping(text[: match.start()].split("\n", 1)[-1]), end)


def parse_mapping(text: str) -> Tree:
    """Indentation-nested `key: value` pairs (values are unquoted strings)."""
    root: Tree = {}
    stack: list[tuple[int, Tree]] = [(-1, root)]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue
        match = _KEY.match(line.replace("\t", "    "))
        if match is None:
            continue
        indent = len(match.group("indent"))
        while len(stack) > 1 and stack[-1][0] >= indent:
            stack.pop()
        key = match.group("key").strip("\"'")
        value = _scalar(match.group("value") or "")
        parent = stack[-1][1]
        if value in ("", "|", ">", "|-", ">-"):
            child: Tree = {}
            parent[key] = child
            stack.append((indent, child))
        else:
            parent[key] = value
    return root


def _scalar(value: str) -> str:
    value = value.strip()
    if value.startswith("#"):
        return ""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)


def lookup(tree: Tree, *keys: str) -> Tree | str | None:
    node: Tree | str | None = tree
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
