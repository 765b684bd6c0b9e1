"""Template items with `block` structure: flattening, block lookup and `extends` substitution.

A built template is a list of placed segments and `BlockNode`s (a `{% block %}` with its items), so a
child template's blocks can replace its parent's before the result is flattened into segments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from promptlint.diagnostics import Span
from promptlint.frontends.template_ir import Placed


@dataclass
class BlockNode:
    name: str
    path: str
    span: Span
    items: list[Item]


Item = Placed | BlockNode


def flat(items: list[Item]) -> list[Placed]:
    out: list[Placed] = []
    for item in items:
        if isinstance(item, BlockNode):
            out.extend(flat(item.items))
        else:
            out.append(item)
    return out


def blocks(items: list[Item]) -> list[BlockNode]:
    out: list[BlockNode] = []
    for item in items:
        if isinstance(item, BlockNode):
            out.append(item)
            out.extend(blocks(item.items))
    return out


def reanchor_tree(items: list[Item], anchor: Span) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if isinstance(item, BlockNode):
            out.append(BlockNode(item.name, item.path, item.span, reanchor_tree(item.items, anchor)))
        else:
            out.append(replace(item, anchor=anchor))
    return out


def substitute(items: list[Item], overrides: dict[str, BlockNode]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if isinstance(item, BlockNode):
            chosen = overrides.get(item.name)
            inner = chosen.items if chosen is not None else substitute(item.items, overrides)
            out.append(BlockNode(item.name, item.path, item.span, inner))
        else:
            out.append(item)
    return out
