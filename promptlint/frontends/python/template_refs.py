"""What template a Python expression loads, read from the code's shape (nothing is imported or run).

Names are followed to their assignments (function, module, `self.x` in the class, `with ... as f`),
then matched against the loading idioms: a Jinja `Environment(loader=FileSystemLoader(dir),
trim_blocks=...)` and its `get_template(name)`/`from_string(src)`, `jinja2.Template(src)`,
`Path(...).read_text()`, `open(...).read()`, and LangChain `PromptTemplate.from_file/from_template`.
Path expressions (`Path(__file__).parent / "prompts" / "x.txt"`, `os.path.join`) are folded to strings.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promptlint.frontends.jinja_lex import JinjaOptions
from promptlint.frontends.python.values import static_text

if TYPE_CHECKING:
    from promptlint.frontends.python.evaluate import Evaluator, Scope

MAX_HOPS = 6
_LOADERS = ("FileSystemLoader", "PackageLoader", "ChoiceLoader")
_GET = frozenset({"get_template", "select_template", "get_or_select_template"})


@dataclass(frozen=True)
class TemplateRef:
    """A loaded template: syntax `jinja`, `format` or `mustache`; a file `name` or inline `text`."""

    syntax: str
    name: str | None = None
    text: str | None = None
    dirs: tuple[str, ...] = ()
    options: JinjaOptions = field(default_factory=JinjaOptions)


def resolve_expr(ev: Evaluator, node: ast.expr, scope: Scope) -> ast.expr:
    """Follow a name (or `self.x`) to the expression last assigned to it, a few hops deep."""
    for _ in range(MAX_HOPS):
        key = node.id if isinstance(node, ast.Name) else _self_attr(node)
        if key is None:
            return node
        found = _assigned(node, key, scope)
        if found is None:
            return node
        node = found
    return node


def _self_attr(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _assigned(node: ast.expr, key: str, scope: Scope) -> ast.expr | None:
    module = scope.module
    tables = []
    if scope.func is not None:
        tables.append(module.function_bindings(scope.func))
    if key.startswith("self.") and scope.cls is not None:
        for stmt in scope.cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                tables.append(module.function_bindings(stmt))
    tables.append(module.bindings)
    use = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    for table in tables:
        candidates = [b for b in table.get(key, []) if b.kind in ("assign", "with") and b.value is not None]
        before = [b for b in candidates if b.pos < use] or candidates
        if before:
            return before[-1].value
    return None


def template_of(ev: Evaluator, node: ast.expr, scope: Scope) -> TemplateRef | None:
    """The template that `node` (the receiver of `.render`/`.format`/...) holds, if recognisable."""
    node = resolve_expr(ev, node, scope)
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    qual = ev.qualname(func, scope) or last
    if last in _GET and isinstance(func, ast.Attribute):
        name = _first_string(ev, node, scope)
        dirs, options = environment_of(ev, func.value, scope)
        return TemplateRef("jinja", name=name, dirs=dirs, options=options) if name else None
    if last == "from_string" and isinstance(func, ast.Attribute) and node.args:
        text = _string(ev, node.args[0], scope)
        dirs, options = environment_of(ev, func.value, scope)
        if text is None:
            path = file_read_by(ev, node.args[0], scope)
            return TemplateRef("jinja", name=path, dirs=dirs, options=options) if path else None
        return TemplateRef("jinja", text=text, options=options)
    if qual in ("jinja2.Template", "Template", "jinja2.environment.Template") and node.args:
        text = _string(ev, node.args[0], scope)
        if text is None:
            path = file_read_by(ev, node.args[0], scope)
            return TemplateRef("jinja", name=path) if path else None
        return TemplateRef("jinja", text=text)
    if last in ("from_file", "from_template") or (qual.endswith("PromptTemplate") and node.keywords):
        return _langchain(ev, node, scope, last, qual)
    if last in ("read_text", "read"):
        path = _read_target(ev, func, scope)
        return TemplateRef("format", name=path) if path else None
    return None


def file_read_by(ev: Evaluator, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
    """The file whose text `node` holds: `open(p).read()`, `Path(p).read_text()`, or a call of a project
    loader (`load_prompt("builtin://ask.jinja2")`) one of whose returns is such a read, followed with the
    call's arguments bound (a guard returning the argument itself is another path, not a file)."""
    from promptlint.frontends.python.wrappers import bound_scope, callee_ref

    node = resolve_expr(ev, node, scope)
    if not isinstance(node, ast.Call) or depth > 2:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("read_text", "read"):
        return _existing_read_target(ev, func, scope)
    ref = callee_ref(ev, node, scope)
    if ref is None or not isinstance(ref.node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    inner = bound_scope(ev, ref, node, scope)
    for ret in ref.module.return_exprs(ref.node):
        found = file_read_by(ev, ret, inner, depth + 1)
        if found:
            return found
    return None


def _existing_read_target(ev: Evaluator, func: ast.Attribute, scope: Scope) -> str | None:
    """The file read, when the path name has several assignments (`if p.startswith("builtin://"):
    path = ... elif ...: path = ...`): the latest one naming a file that exists."""
    from promptlint.frontends.template_loader import TemplateLoader

    arg = read_argument(ev, func, scope)
    if isinstance(arg, ast.Call) and _callee(arg) in ("Path", "pathlib.Path") and arg.args:
        arg = arg.args[0]
    if not isinstance(arg, ast.Name) or scope.func is None:
        return _read_target(ev, func, scope)
    assigned = [
        b.value
        for b in scope.module.function_bindings(scope.func).get(arg.id, [])
        if b.kind == "assign" and b.value is not None and b.pos < (arg.lineno, arg.col_offset)
    ]
    loader = TemplateLoader(ev.loader.roots, log=ev.loader.log)
    for value in reversed(assigned[-4:]):
        path = path_of(ev, value, scope)
        if path and loader.find(path, scope.module.path):
            return path
    return None


def _langchain(ev: Evaluator, node: ast.Call, scope: Scope, last: str, qual: str) -> TemplateRef | None:
    if "PromptTemplate" not in qual or "Message" in qual or "Chat" in qual:
        return None
    fmt = "f-string"
    source: ast.expr | None = node.args[0] if node.args else None
    for kw in node.keywords:
        if kw.arg == "template_format" and isinstance(kw.value, ast.Constant):
            fmt = str(kw.value.value)
        if kw.arg in ("template", "template_file"):
            source = kw.value
    syntax = {"jinja2": "jinja", "mustache": "mustache"}.get(fmt, "format")
    if source is None:
        return None
    if last == "from_file":
        path = path_of(ev, source, scope)
        return TemplateRef(syntax, name=path) if path else None
    text = _string(ev, source, scope)
    return TemplateRef(syntax, text=text) if text is not None else None


def environment_of(ev: Evaluator, node: ast.expr, scope: Scope) -> tuple[tuple[str, ...], JinjaOptions]:
    """Loader directories and whitespace options of a Jinja `Environment(...)` expression."""
    env = resolve_expr(ev, node, scope)
    if not isinstance(env, ast.Call):
        return (), JinjaOptions()
    flags = {
        kw.arg: bool(kw.value.value)
        for kw in env.keywords
        if kw.arg in ("trim_blocks", "lstrip_blocks") and isinstance(kw.value, ast.Constant)
    }
    options = JinjaOptions(flags.get("trim_blocks", False), flags.get("lstrip_blocks", False))
    loader = next((kw.value for kw in env.keywords if kw.arg == "loader"), env.args[0] if env.args else None)
    return (_loader_dirs(ev, loader, scope) if loader is not None else ()), options


def _loader_dirs(ev: Evaluator, node: ast.expr, scope: Scope) -> tuple[str, ...]:
    node = resolve_expr(ev, node, scope)
    if not isinstance(node, ast.Call):
        return ()
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    args = [*node.args, *[kw.value for kw in node.keywords if kw.arg in ("searchpath", "loaders")]]
    if name == "ChoiceLoader" and args and isinstance(args[0], ast.List | ast.Tuple):
        return tuple(d for item in args[0].elts for d in _loader_dirs(ev, item, scope))
    if name == "PackageLoader":
        package = _string(ev, node.args[0], scope) if node.args else None
        rest = (
            node.args[1]
            if len(node.args) > 1
            else next((k.value for k in node.keywords if k.arg == "package_path"), None)
        )
        sub = (_string(ev, rest, scope) if rest is not None else None) or "templates"
        if package is None:
            return ()
        pkg = package.replace(".", os.sep)
        return (os.path.join(pkg, sub), os.path.join("src", pkg, sub))
    if name == "FileSystemLoader" and args:
        first = resolve_expr(ev, args[0], scope)
        items = first.elts if isinstance(first, ast.List | ast.Tuple) else [first]
        return tuple(p for item in items if (p := path_of(ev, item, scope)))
    return ()


def _read_target(ev: Evaluator, func: ast.Attribute | ast.expr, scope: Scope) -> str | None:
    """The file behind `Path(p).read_text()`, `open(p).read()` or `f.read()` with `f` from `with open(p)`."""
    arg = read_argument(ev, func, scope)
    return path_of(ev, arg, scope) if arg is not None else None


def read_argument(ev: Evaluator, func: ast.Attribute | ast.expr, scope: Scope) -> ast.expr | None:
    """The path expression a read names: `p` of `open(p).read()`, `Path(p)` of `Path(p).read_text()`."""
    if not isinstance(func, ast.Attribute):
        return None
    receiver = resolve_expr(ev, func.value, scope)
    if func.attr != "read":
        return receiver
    if (
        isinstance(receiver, ast.Call)
        and _callee(receiver) in ("open", "io.open", "codecs.open")
        and receiver.args
    ):
        return receiver.args[0]
    return None


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def path_of(ev: Evaluator, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
    """Fold a path expression to a string (absolute when it starts from `__file__`), else None."""
    if depth > 12:
        return None
    node = resolve_expr(ev, node, scope)
    here = os.path.abspath(scope.module.path)
    if isinstance(node, ast.Name) and node.id == "__file__":
        return here
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = path_of(ev, node.left, scope, depth + 1), path_of(ev, node.right, scope, depth + 1)
        return os.path.join(left, right) if left is not None and right is not None else None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = path_of(ev, node.value, scope, depth + 1)
        return os.path.dirname(inner) if inner is not None else None
    if isinstance(node, ast.Call):
        return _path_call(ev, node, scope, depth)
    return _string(ev, node, scope)


def _path_call(ev: Evaluator, node: ast.Call, scope: Scope, depth: int) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    parts = [path_of(ev, a, scope, depth + 1) for a in node.args]
    if name in ("Path", "PurePath", "PosixPath", "join", "joinpath"):
        base = (
            [path_of(ev, func.value, scope, depth + 1)]
            if name == "joinpath" and isinstance(func, ast.Attribute)
            else []
        )
        pieces = [*base, *parts]
        if pieces and all(p is not None for p in pieces):
            return os.path.join(*[p for p in pieces if p is not None])
        return None
    if name == "dirname" and parts and parts[0] is not None:
        return os.path.dirname(parts[0])
    if name in ("abspath", "realpath", "normpath", "expanduser", "fspath", "str") and parts:
        return parts[0]
    if name in ("resolve", "absolute", "expanduser") and isinstance(func, ast.Attribute):
        return path_of(ev, func.value, scope, depth + 1)
    return None


def _string(ev: Evaluator, node: ast.expr, scope: Scope) -> str | None:
    value = ev.eval(node, scope)
    from promptlint.frontends.python.values import Str

    return static_text(value) if isinstance(value, Str) else None


def _first_string(ev: Evaluator, node: ast.Call, scope: Scope) -> str | None:
    arg = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg in ("name", "names")), None)
    )
    if arg is None:
        return None
    arg = resolve_expr(ev, arg, scope)
    if isinstance(arg, ast.List | ast.Tuple) and arg.elts:
        arg = arg.elts[0]
    return _string(ev, arg, scope)
