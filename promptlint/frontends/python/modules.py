"""Parsed modules and the project-wide module loader.

`ModuleInfo` holds one parsed module: its import aliases, top-level definitions and, lazily, the
bindings (assignments, appends, loop targets) of each function, which is all the scope resolution the
evaluator needs. `ModuleLoader` finds and parses other modules of the linted project on demand (never
importing them) so that constants and functions imported across files can be followed.
"""

from __future__ import annotations

import ast
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from promptlint.depends import DependencyLog, digest
from promptlint.diagnostics import Span
from promptlint.frontends.python import subtree
from promptlint.frontends.python.parse import NewerSyntax, parse_python
from promptlint.source import DecodeFailure, FileKind, SourceFile, decode_source

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# Parsed project modules kept per process: at most this many, and at most this many lines of source in
# total (an AST costs a few KB per line), so memory stays flat however many files a run lints.
MAX_CACHED_MODULES = 64
MAX_CACHED_LINES = 120_000
# Other modules one file's analysis may load; names from further modules are treated as unknown.
MAX_MODULES_PER_FILE = 32
MAX_STAR_MODULES = 16  # modules one module's star imports may read, through their own star imports
_STAR_IMPORT = re.compile(r"\bimport\s+\*")
# Imports are not followed into modules larger than this (prompt modules are small; a 20k-line server
# module would dominate memory for one name).
MAX_IMPORTED_BYTES = 256 * 1024
_MUTATORS = frozenset({"append", "extend", "insert", "update", "shuffle"})


@dataclass(frozen=True, slots=True)
class Binding:
    """Something that gives `name` a value at `pos`: an assignment, a mutation or a loop target."""

    name: str
    pos: tuple[int, int]
    kind: (
        str  # assign | aug | append | extend | insert | setitem | sort | effects | for | with | import | def
    )
    value: ast.expr | None
    stmt: ast.AST
    branch: str | None = None
    condition: ast.expr | None = None  # the innermost `if` test or `for`/`while` iterable/test around it
    index: int | None = None  # `a, b = value`: this name takes item `index` of the value


@dataclass
class ModuleInfo:
    """One parsed module and its scope tables."""

    source: SourceFile
    tree: ast.Module
    name: str | None
    is_package: bool = False
    _tables: ModuleTables | None = None  # built on first use: many linted files never evaluate a name
    _function_bindings: dict[int, dict[str, list[Binding]]] = field(default_factory=dict)
    # Spans by node location (synthetic nodes made with `copy_location` share their original's), and
    # return expressions by `id()` of this module's own function nodes, which live as long as it does.
    _spans: dict[tuple[int, int, int | None, int | None], Span] = field(default_factory=dict)
    _returns: dict[int, ast.expr | None] = field(default_factory=dict)
    _all_returns: dict[int, tuple[ast.expr, ...]] = field(default_factory=dict)
    # Facts that depend only on this module's tree (keyed by a label and a node's `id()`), computed
    # once per parse however many linted files use the module.
    syntax_memo: dict[tuple[object, ...], object] = field(default_factory=dict)
    # What `expand_stars` looked up (module name, from which file); None until it ran.
    star_sources: tuple[tuple[str, str], ...] | None = None

    @property
    def path(self) -> str:
        return self.source.path

    @cached_property
    def has_walrus(self) -> bool:
        """Whether the text holds `:=` at all (else no named expression needs looking for); read for
        every function's bindings, so scanned once."""
        return ":=" in self.source.text

    @property
    def imports(self) -> dict[str, str]:
        """Local name -> dotted name of what it imports (top level, incl. inside if/try)."""
        return self._indexed().imports

    @property
    def defs(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
        return self._indexed().defs

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        """Top-level bindings per name, in source order."""
        return self._indexed().bindings

    @property
    def stars(self) -> list[str]:
        """The dotted names of the modules this one imports with `from x import *`."""
        return self._indexed().stars

    def public_names(self) -> dict[str, str]:
        """What `from <this module> import *` binds: local name -> dotted name (its `__all__` when
        that is a literal list of names, else every top-level name not starting with `_`)."""
        prefix = f"{self.name}." if self.name else ""
        tables = self._indexed()
        names: dict[str, str] = dict(tables.own_imports if tables.own_imports is not None else tables.imports)
        for local in (*self.defs, *self.bindings):
            names.setdefault(local, prefix + local)
        listed = self.bindings.get("__all__", [])
        if len(listed) == 1 and isinstance(listed[0].value, ast.List | ast.Tuple):
            wanted = {
                e.value
                for e in listed[0].value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            return {k: v for k, v in names.items() if k in wanted}
        return {k: v for k, v in names.items() if not k.startswith("_")}

    def _indexed(self) -> ModuleTables:
        if self._tables is None:
            self._tables = _index_module(self.tree, self.name, self.is_package, self.has_walrus)
        return self._tables

    def span(self, node: ast.AST) -> Span:
        """Character span of an ast node (ast columns are UTF-8 byte offsets)."""
        key = (
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0),
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = self._span(*key)
        return found

    def _span(self, lineno: int, col: int, end_lineno: int | None, end_col: int | None) -> Span:
        index = self.source.lines
        start = index.offset_from_utf8(lineno, col)
        end = index.offset_from_utf8(end_lineno or lineno, end_col) if end_col is not None else start
        return Span(start, max(start, end))

    def return_expr(self, fn: FunctionNode) -> ast.expr | None:
        """The last `return <expr>` of a function of this module, outside nested definitions."""
        key = id(fn)
        if key not in self._returns:
            self._returns[key] = _return_expr(fn)
        return self._returns[key]

    def return_exprs(self, fn: FunctionNode) -> tuple[ast.expr, ...]:
        """Every `return <expr>` of a function of this module in source order, outside nested
        definitions (a guard's `return ""`, an `except`'s fallback and the real value alike)."""
        key = id(fn)
        found = self._all_returns.get(key)
        if found is None:
            found = tuple(_all_return_exprs(fn))
            self._all_returns[key] = found
        return found

    def text_of(self, node: ast.AST) -> str:
        sp = self.span(node)
        return self.source.text[sp.start : sp.end]

    def function_bindings(self, func: FunctionNode) -> dict[str, list[Binding]]:
        cached = self._function_bindings.get(id(func))
        if cached is None:
            cached = {}
            args = func.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    cached.setdefault(arg.arg, []).append(Binding(arg.arg, (0, 0), "param", None, arg))
            collect_bindings(func.body, cached, None, walrus=self.has_walrus)
            self._function_bindings[id(func)] = cached
        return cached


def _return_expr(fn: FunctionNode) -> ast.expr | None:
    """The function's main return: its last top-level `return`, else the last one in source order (a
    guard's early `return` nested in an `if` is another path, joined by `calls.eval_returns`)."""
    for stmt in reversed(fn.body):
        if isinstance(stmt, ast.Return):
            if stmt.value is not None:
                return stmt.value
            break
    found = _all_return_exprs(fn)
    return found[-1] if found else None


def _all_return_exprs(fn: FunctionNode) -> list[ast.expr]:
    found: list[ast.expr] = []
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            found.append(node.value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        elif isinstance(node, ast.stmt | ast.excepthandler | ast.match_case):
            children = [
                c
                for c in ast.iter_child_nodes(node)
                if isinstance(c, ast.stmt | ast.excepthandler | ast.match_case)
            ]
            stack.extend(reversed(children))
    return found


def build_module(source: SourceFile, tree: ast.Module, name: str | None, is_package: bool) -> ModuleInfo:
    """A parsed module; its imports, top-level defs and bindings are indexed when first used."""
    return ModuleInfo(source, tree, name, is_package)


@dataclass
class ModuleTables:
    """A module's scope tables: imports, top-level defs and top-level bindings."""

    imports: dict[str, str] = field(default_factory=dict)
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = field(default_factory=dict)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # modules imported with `from x import *`
    own_imports: dict[str, str] | None = None  # the imports before star names were added


def _index_module(tree: ast.Module, name: str | None, is_package: bool, walrus: bool = True) -> ModuleTables:
    tables = ModuleTables()
    package = (name if is_package else (name.rpartition(".")[0] if name else "")) or ""
    collect_bindings(tree.body, tables.bindings, None, walrus=walrus)
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.partition(".")[0]
                tables.imports[local] = alias.name if alias.asname else local
        elif isinstance(stmt, ast.ImportFrom):
            base = resolve_relative(package, stmt.module, stmt.level)
            for alias in stmt.names:
                if alias.name != "*":
                    tables.imports[alias.asname or alias.name] = (
                        f"{base}.{alias.name}" if base else alias.name
                    )
                elif base:
                    tables.stars.append(base)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            tables.defs[stmt.name] = stmt
    return tables


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, looking inside module-level if/try blocks (TYPE_CHECKING, fallbacks)."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out.extend(_top_level(stmt.body + stmt.orelse))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            out.extend(_top_level(stmt.body + [s for h in stmt.handlers for s in h.body] + stmt.orelse))
    return out


def resolve_relative(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


def _record_walrus(
    stmt: ast.stmt, out: dict[str, list[Binding]], branch: str | None, cond: ast.expr | None
) -> None:
    """`if (stamp := now()):` binds `stamp` for what follows (in the statement's own expressions)."""
    for field_name, value in ast.iter_fields(stmt):
        if field_name in ("body", "orelse", "finalbody", "handlers") or not isinstance(value, ast.expr):
            continue
        for node in subtree.nodes(value):
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                done = (node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
                out.setdefault(node.target.id, []).append(
                    Binding(node.target.id, done, "assign", node.value, stmt, branch, cond)
                )


def collect_bindings(
    body: list[ast.stmt],
    out: dict[str, list[Binding]],
    branch: str | None,
    cond: ast.expr | None = None,
    walrus: bool = True,
) -> None:
    """Record assignments, augmented assignments, list mutations and loop targets, in source order.

    `walrus=False` (the module's text has no `:=`) skips looking for named expressions, which would
    otherwise walk every expression of every statement.
    """
    for stmt in body:
        if walrus:
            _record_walrus(stmt, out, branch, cond)
        pos = (stmt.lineno, stmt.col_offset)
        # A value is bound once its statement has run: `x = x.strip()` reads the previous `x`.
        done = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or stmt.col_offset)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                key_owner = _keyed_store(target)
                if key_owner is not None:
                    # `request["messages"] = msgs`: a new field of the dict `request` (see apply_mutation)
                    out.setdefault(key_owner, []).append(
                        Binding(key_owner, done, "setitem", stmt.value, target, branch, cond)
                    )
                    continue
                for name, index in _indexed_targets(target):
                    out.setdefault(name, []).append(
                        Binding(name, done, "assign", stmt.value, stmt, branch, cond, index)
                    )
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            for name in _target_names(stmt.target):
                out.setdefault(name, []).append(Binding(name, done, "assign", stmt.value, stmt, branch, cond))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
            for name in _target_names(stmt.target):
                out.setdefault(name, []).append(Binding(name, done, "aug", stmt.value, stmt, branch, cond))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _record_mutation(stmt.value, done, out, branch, cond)
            _record_effects(stmt.value, done, out, branch, cond)
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Await)
            and isinstance(stmt.value.value, ast.Call)
        ):
            _record_effects(stmt.value.value, done, out, branch, cond)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            for name in _target_names(stmt.target):
                out.setdefault(name, []).append(
                    Binding(
                        name,
                        (stmt.iter.end_lineno or stmt.lineno, stmt.iter.end_col_offset or 0),
                        "for",
                        stmt.iter,
                        stmt,
                        "for",
                        stmt.iter,
                    )
                )
            collect_bindings(stmt.body, out, "for", stmt.iter, walrus=walrus)
            collect_bindings(stmt.orelse, out, branch, cond, walrus=walrus)
        elif isinstance(stmt, ast.While):
            collect_bindings(stmt.body + stmt.orelse, out, "while", stmt.test, walrus=walrus)
        elif isinstance(stmt, ast.If):
            collect_bindings(stmt.body, out, "if", stmt.test, walrus=walrus)
            collect_bindings(stmt.orelse, out, "if", stmt.test, walrus=walrus)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        out.setdefault(name, []).append(
                            Binding(
                                name,
                                (
                                    item.context_expr.end_lineno or stmt.lineno,
                                    item.context_expr.end_col_offset or 0,
                                ),
                                "with",
                                item.context_expr,
                                stmt,
                                branch,
                                cond,
                            )
                        )
            collect_bindings(stmt.body, out, branch, cond, walrus=walrus)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            collect_bindings(stmt.body + stmt.orelse + stmt.finalbody, out, branch, cond, walrus=walrus)
            for handler in stmt.handlers:
                collect_bindings(handler.body, out, "try", None, walrus=walrus)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.setdefault(stmt.name, []).append(Binding(stmt.name, pos, "def", None, stmt, branch, cond))
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                local = alias.asname or alias.name.partition(".")[0]
                if local != "*":
                    out.setdefault(local, []).append(Binding(local, pos, "import", None, stmt, branch, cond))


def _record_shuffle(
    call: ast.Call,
    pos: tuple[int, int],
    out: dict[str, list[Binding]],
    branch: str | None,
    cond: ast.expr | None = None,
) -> None:
    target = dotted(call.args[0])
    if target:
        out.setdefault(target, []).append(Binding(target, pos, "shuffle", call, call, branch, cond))


def _record_mutation(
    call: ast.Call,
    pos: tuple[int, int],
    out: dict[str, list[Binding]],
    branch: str | None,
    cond: ast.expr | None = None,
) -> None:
    func = call.func
    if isinstance(func, ast.Name) and func.id == "shuffle" and call.args:  # `from random import shuffle`
        _record_shuffle(call, pos, out, branch, cond)
        return
    if isinstance(func, ast.Attribute) and func.attr == "sort" and not call.args:
        sorted_name = dotted(func.value)  # `items.sort(key=...)`: in place, in a fixed order from here on
        if sorted_name is not None:
            out.setdefault(sorted_name, []).append(
                Binding(sorted_name, pos, "sort", None, call, branch, cond)
            )
        return
    if not (isinstance(func, ast.Attribute) and func.attr in _MUTATORS and call.args):
        return
    name = dotted(func.value)
    if name is None:
        return
    if func.attr == "shuffle" and name in ("random", "np.random", "numpy.random"):
        _record_shuffle(call, pos, out, branch, cond)
        return
    value = call.args[-1] if func.attr != "update" else call.args[0]
    out.setdefault(name, []).append(Binding(name, pos, func.attr, value, call, branch, cond))


_NO_EFFECTS = frozenset(
    {"print", "len", "isinstance", "setattr", "getattr", "hasattr", "id", "repr", "str", "sorted"}
)


def _record_effects(
    call: ast.Call,
    pos: tuple[int, int],
    out: dict[str, list[Binding]],
    branch: str | None,
    cond: ast.expr | None,
) -> None:
    """`enrich(ctx, tz)` as a statement: a project function may change the objects it is given
    (`ctx["now"] = ...` in its body). Each name or attribute chain passed gets an `effects` binding,
    resolved (or not) when the name is read (`bindings.apply_mutation`)."""
    func = call.func
    if isinstance(func, ast.Name):
        if func.id in _NO_EFFECTS:
            return
    elif not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
    ):
        return
    for arg in [*call.args, *(k.value for k in call.keywords if k.arg)]:
        name = dotted(arg) if isinstance(arg, ast.Name | ast.Attribute) else None
        if name is not None and name not in ("self", "cls"):
            out.setdefault(name, []).append(Binding(name, pos, "effects", arg, call, branch, cond))


def _keyed_store(target: ast.expr) -> str | None:
    """`d` of `d["key"] = value` (a constant string key on a name or attribute chain), else None."""
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
    ):
        return dotted(target.value)
    return None


def _indexed_targets(target: ast.expr) -> list[tuple[str, int | None]]:
    """The names a target binds, each with its position when the target is a flat tuple of names
    (`a, b = f()`); nested and starred targets take the whole value, as before."""
    if isinstance(target, ast.Tuple | ast.List) and all(
        isinstance(elt, ast.Name | ast.Attribute) for elt in target.elts
    ):
        return [(name, i) for i, elt in enumerate(target.elts) for name in _target_names(elt)]
    return [(name, None) for name in _target_names(target)]


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    name = dotted(target)
    return [name] if name else []


def final_name(func: ast.expr) -> str:
    """The name a call's callee ends with: `create` of `client.chat.completions.create`, `f` of `f`."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def role_content(node: ast.expr) -> tuple[str | None, ast.expr | None]:
    """The constant `role` and the `content` expression of a `{"role": ..., "content": ...}` literal."""
    if not isinstance(node, ast.Dict):
        return None, None
    role = content = None
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "role" and isinstance(value, ast.Constant):
            role = str(value.value)
        elif isinstance(key, ast.Constant) and key.value == "content":
            content = value
    return role, content


def counting_targets(loop: ast.AST) -> tuple[ast.Name, ...]:
    """The names a `for` loop counts with: its target over `range(...)` or `itertools.count()`, the
    index of `enumerate(...)`; none for any other loop."""
    if not isinstance(loop, ast.For | ast.AsyncFor) or not isinstance(loop.iter, ast.Call):
        return ()
    callee = dotted(loop.iter.func) or ""
    target = loop.target
    if callee in ("range", "itertools.count", "count") and isinstance(target, ast.Name):
        return (target,)
    if callee == "enumerate" and isinstance(target, ast.Tuple) and target.elts:
        first = target.elts[0]
        return (first,) if isinstance(first, ast.Name) else ()
    return ()


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


Reader = Callable[[str], bytes]


class ModuleLoader:
    """Finds, reads and parses project modules by dotted name, once each (per loader)."""

    def __init__(self, roots: tuple[str, ...] = (), reader: Reader | None = None) -> None:
        self._roots = roots
        self._reader = reader or _read_bytes
        self._cache: OrderedDict[str, ModuleInfo | None] = OrderedDict()
        self._found: dict[tuple[str, str], str | None] = {}
        self._rewritten: set[str] = set()  # parsed from newer syntax: columns approximate
        self._classes: dict[tuple[str, str], bool] = {}  # (absolute path, name) -> the text defines a class
        self._directories: dict[str, str] = {}
        self._packages: dict[str, tuple[str, ...]] = {}  # directory -> its dotted package parts
        self._lines: dict[str, int] = {}
        # Modules used while analysing the current file stay alive until the next file even if evicted:
        # the evaluator memoises by `id()` of AST nodes, which must not be reused meanwhile.
        self._pinned: dict[str, ModuleInfo] = {}
        # What the current file's lint used (for the result cache): modules with the digest of the
        # bytes parsed, and the candidate paths of each resolved name that were not there.
        self.log = DependencyLog()
        self._digests: dict[str, str | None] = {}
        self._misses: dict[tuple[str, str], tuple[str, ...]] = {}
        self._too_big: set[str] = set()  # module files found but over MAX_IMPORTED_BYTES
        self._entries: dict[str, frozenset[str]] = {}  # directory -> the names in it (enclosing lookups)

    def begin_file(self) -> None:
        """Release the modules pinned for the previous file."""
        self._pinned.clear()

    @property
    def roots(self) -> tuple[str, ...]:
        return self._roots

    def forget(self, path: str) -> None:
        """Drop what was read from `path` (an editor saved it), and every module location found."""
        key = os.path.abspath(path)
        self._cache.pop(key, None)
        self._lines.pop(key, None)
        self._classes = {k: v for k, v in self._classes.items() if k[0] != key}
        self._digests.pop(key, None)
        self._misses.clear()
        self._found.clear()  # a new or removed file changes where names resolve
        self._packages.clear()

    def load_path(self, path: str, *, for_stars: bool = False) -> ModuleInfo | None:
        """The module of `path`, parsed once (per loader) and kept in a bounded cache. `for_stars`:
        read for another module's `from x import *` only (its tables, not its trees): outside the
        per-file budget, not pinned, not expanded, so what a star import binds never depends on
        which files were linted before."""
        key = os.path.abspath(path)
        if not for_stars and key not in self._pinned and len(self._pinned) >= MAX_MODULES_PER_FILE:
            return None  # budget for this file spent: the name stays unresolved
        if key in self._cache:
            self.log.read(key, self._digests.get(key))
            self._cache.move_to_end(key)
            module = self._cache[key]
        else:
            self._cache[key] = None  # guards against import cycles while parsing
            module = self._parse(key)
            self.log.read(key, self._digests.get(key))
            self._cache[key] = module
            self._lines[key] = module.source.text.count("\n") if module is not None else 0
            self._evict(keep=key)
        if module is not None and not for_stars:
            self._pinned[key] = module
            self.expand_stars(module)
        return module

    def _evict(self, keep: str) -> None:
        while len(self._cache) > 1 and (
            len(self._cache) > MAX_CACHED_MODULES or sum(self._lines.values()) > MAX_CACHED_LINES
        ):
            evicted = next(iter(self._cache))
            if evicted == keep:
                self._cache.move_to_end(keep)
                continue
            self._cache.pop(evicted)
            self._lines.pop(evicted, None)

    def expand_stars(self, module: ModuleInfo) -> None:
        """Bind the names `from x import *` brings in from project modules (`from utils.imports
        import *` whose module does `from datetime import datetime`), where the module does not bind
        them itself, also through the star imports of those modules (up to `MAX_STAR_MODULES`
        modules, breadth first). Only the star modules' own tables are read, never their expanded
        names, so the result depends on the files' contents alone. Modules outside the project stay
        unknown, as any unresolved import. Done once per module; the modules it read are logged
        again each time the module is used (the result cache's dependencies)."""
        if module.star_sources is not None:
            for base, near in module.star_sources:
                found = self._path_of(base, near)
                if found is not None:
                    self.log.read(os.path.abspath(found), self._digests.get(os.path.abspath(found)))
            return
        module.star_sources = ()
        if not _STAR_IMPORT.search(module.source.text) or not module.stars:
            return
        sources: list[tuple[str, str]] = []
        names: dict[str, str] = {}
        queue = [(base, module.path) for base in module.stars]
        seen = {os.path.abspath(module.path)}
        while queue and len(seen) <= MAX_STAR_MODULES:
            base, near = queue.pop(0)
            sources.append((base, near))
            path = self._path_of(base, near)
            if path is None or os.path.abspath(path) in seen:
                continue
            seen.add(os.path.abspath(path))
            star = self.load_path(path, for_stars=True)
            if star is None:
                continue
            for local, target in star.public_names().items():
                names.setdefault(local, target)
            queue.extend((inner, star.path) for inner in star.stars)
        module.star_sources = tuple(sources)
        tables = module._indexed()
        if tables.own_imports is None:
            tables.own_imports = dict(tables.imports)
        own = tables.imports
        for local, target in names.items():
            if local not in own and local not in module.defs and local not in module.bindings:
                own[local] = target

    def parsed(self, path: str, text: str) -> ast.Module | None:
        """The tree of `path` if this loader already parsed exactly `text` for it (an import)."""
        module = self._cache.get(os.path.abspath(path))
        return module.tree if module is not None and module.source.text == text else None

    def was_rewritten(self, path: str) -> bool:
        """Whether this loader's tree of `path` came from a rewrite of newer syntax (see `parse`)."""
        return os.path.abspath(path) in self._rewritten

    def module_name(self, path: str) -> tuple[str, bool]:
        """Dotted module name of a file, found by walking up through `__init__.py` packages."""
        directory, filename = os.path.split(os.path.abspath(path))
        stem = filename.rsplit(".", 1)[0]
        is_package = stem == "__init__"
        parts = self._package_parts(directory)
        return ".".join(parts if is_package else (*parts, stem)), is_package

    def package_root(self, path: str) -> str:
        """The directory that holds the top-level package (or the file itself) of `path`."""
        directory = os.path.dirname(os.path.abspath(path))
        for _ in self._package_parts(directory):
            directory = os.path.dirname(directory)
        return directory

    def _package_parts(self, directory: str) -> tuple[str, ...]:
        found = self._packages.get(directory)
        if found is None:
            found = ()
            if os.path.exists(os.path.join(directory, "__init__.py")):
                parent, name = os.path.split(directory)
                found = (*self._package_parts(parent), name) if parent != directory else (name,)
            self._packages[directory] = found
        return found

    def find(self, dotted_name: str, near: str) -> ModuleInfo | None:
        """The module `dotted_name` as seen from file `near`, if it is part of the project."""
        path = self._path_of(dotted_name, near)
        return self.load_path(path) if path is not None else None

    def defines_class(self, dotted_name: str, symbol: str, near: str) -> bool:
        """Whether project module `dotted_name` (as seen from `near`) binds `symbol` to a class.

        Answered from the parsed module when it is cached, else from its text without parsing it: a
        class statement `class <symbol>` at the start of a line and no `def <symbol>` anywhere (a def
        would win over a class, and a module-level def may sit inside an `if`). Calling a class is an
        unknown call whatever the class holds, so callers use this to avoid parsing a module for it.
        A `class <symbol>` line inside a string could mislead the text check; then a call is treated
        as unknown, as for a module that is not followed.
        """
        path = self._path_of(dotted_name, near)
        if path is None or not symbol.isidentifier() or not symbol.isascii():
            return False
        key = os.path.abspath(path)
        if key in self._cache:
            module = self._cache[key]
            self.log.read(key, self._digests.get(key))
            return module is not None and isinstance(module.defs.get(symbol), ast.ClassDef)
        peeked = self._classes.get((key, symbol))
        if peeked is not None:
            self.log.read(key, self._digests.get(key))
        else:
            try:
                data = self._reader(path)
            except OSError:
                self.log.read(key, None)
                return False
            self._digests.setdefault(key, digest(data))
            self.log.read(key, self._digests[key])
            name = re.escape(symbol.encode())
            peeked = bool(
                re.search(rb"(?m)^class[ \t]+" + name + rb"\b", data)
                and not re.search(rb"\bdef[ \t]+" + name + rb"\b", data)
            )
            self._classes[(key, symbol)] = peeked
        return peeked

    def _path_of(self, dotted_name: str, near: str) -> str | None:
        directory = self._directories.get(near)
        if directory is None:
            directory = self._directories[near] = os.path.dirname(os.path.abspath(near))
        key = (dotted_name, directory)
        if key not in self._found:
            self._found[key], self._misses[key] = self._locate(dotted_name, near)
        for missing in self._misses[key]:
            if missing in self._too_big:
                self.log.read(missing, self._digest_of(missing))
            else:
                self.log.absent(missing)  # created later, it would be found first
        return self._found[key]

    def _locate(self, dotted_name: str, near: str) -> tuple[str | None, tuple[str, ...]]:
        """The file of `dotted_name` (None: not part of the project), and the candidates tried before."""
        rel = dotted_name.replace(".", os.sep)
        here = os.path.dirname(os.path.abspath(near))
        # A file in a regular package resolves against its package root; one outside any (a
        # namespace package, `src/app/bot.py` without `__init__.py`) against the directories above.
        enclosing = self._enclosing(here) if not self._package_parts(here) else []
        bases = [self.package_root(near), here, *enclosing, *self._roots]
        bases += [os.path.join(root, "src") for root in self._roots]  # the `src/` layout
        tried: list[str] = []
        first = dotted_name.partition(".")[0]
        for base in dict.fromkeys(bases):
            if (
                base in enclosing
                and first not in self._names_in(base)
                and f"{first}.py" not in self._names_in(base)
            ):
                tried.append(os.path.join(base, first))  # (one listing per directory, not a stat per name)
                continue
            for candidate in (os.path.join(base, rel + ".py"), os.path.join(base, rel, "__init__.py")):
                if os.path.isfile(candidate):
                    if os.path.getsize(candidate) <= MAX_IMPORTED_BYTES:
                        return candidate, tuple(tried)
                    self._too_big.add(candidate)  # not followed; its content still decides that
                    return None, (*tried, candidate)
                tried.append(candidate)
        return None, tuple(tried)

    def _names_in(self, directory: str) -> frozenset[str]:
        names = self._entries.get(directory)
        if names is None:
            try:
                names = frozenset(os.listdir(directory))
            except OSError:
                names = frozenset()
            self._entries[directory] = names
        return names

    def _enclosing(self, directory: str) -> list[str]:
        """The directories above `directory` up to the project root that holds it, nearest first: an
        import of a namespace package (no `__init__.py`, `src/app/...` imported as `app.x`) resolves
        against one of them. Nothing outside the project roots."""
        roots = [os.path.abspath(r) for r in self._roots]
        out: list[str] = []
        current = directory
        while any(current != r and current.startswith(r + os.sep) for r in roots):
            current = os.path.dirname(current)
            out.append(current)
        return out

    def _digest_of(self, path: str) -> str | None:
        key = os.path.abspath(path)
        if key not in self._digests:
            try:
                self._digests[key] = digest(self._reader(key))
            except OSError:
                self._digests[key] = None
        return self._digests[key]

    def _parse(self, path: str) -> ModuleInfo | None:
        try:
            data = self._reader(path)
            self._digests[os.path.abspath(path)] = digest(data)
            source = decode_source(path, data, FileKind.PYTHON)
            parsed = parse_python(source.text, path)
        except (OSError, SyntaxError, NewerSyntax, ValueError, RecursionError, MemoryError, DecodeFailure):
            return None  # a module we cannot read or parse is simply unresolved
        tree = parsed.tree
        if parsed.rewritten:
            self._rewritten.add(os.path.abspath(path))
        name, is_package = self.module_name(path)
        return build_module(source, tree, name, is_package)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
