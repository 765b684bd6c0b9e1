"""Run a lint over many paths: discovery, per-file work (in a process pool when it pays), merging.

Per-file work is independent, so files are spread over worker processes in interleaved chunks (sizes
vary 1000x); each worker builds its own `LintState` once. Results are small, so memory stays flat in
the number of files; source text is kept only for files that have diagnostics (for code frames).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

from promptlint.config.load import ConfigResolver
from promptlint.config.schema import Settings
from promptlint.depends import digest
from promptlint.diagnostics import Diagnostic, Span
from promptlint.discovery import discover
from promptlint.engine.cache import ResultCache, settings_key
from promptlint.engine.collector import between_files, tune_for_lint, tuned_for_lint
from promptlint.engine.link import link_project
from promptlint.engine.lint import (
    FileResult,
    LintState,
    default_frontends,
    lint_source,
    merge_project,
    parse_error,
)
from promptlint.engine.registry import Registry
from promptlint.engine.selection import validate_selectors
from promptlint.frontends.template_ir import is_template_origin
from promptlint.ir import Prompt
from promptlint.source import DecodeFailure, FileKind, SourceFile, decode_source
from promptlint.tokens import TiktokenCounter

PARALLEL_MIN_FILES = 48


@dataclass(frozen=True)
class Selection:
    """Command-line selection, applied on top of each file's config."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    preview: bool = False
    exclude: tuple[str, ...] = ()  # `--exclude` globs, added to every config's `extend-exclude`


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    path: str
    kind: FileKind
    settings: Settings


def new_state(roots: tuple[str, ...] = ()) -> LintState:
    """Per-process lint state."""
    # The frontends (and with them jinja2 and the Python analysis) load with the first file linted.
    return LintState(Registry.load(), TiktokenCounter(), roots)


def read_source(path: str, kind: FileKind, data: bytes | None = None) -> SourceFile | Diagnostic:
    """Read and decode a file; an unreadable or undecodable file becomes a PC001 diagnostic."""
    source, failure = load_source(path, kind, data)
    if failure is not None:
        return failure
    assert source is not None
    return source


def load_source(
    path: str, kind: FileKind, data: bytes | None = None
) -> tuple[SourceFile | None, Diagnostic | None]:
    """Read and decode a file: `(source, None)`, or `(text to place it, PC001)` when it cannot be.

    For undecodable bytes the text is decoded with replacement characters, only so that outputs can
    show the PC001 at its line and column; nothing ever writes it back.
    """
    try:
        if data is None:
            with open(path, "rb") as handle:
                data = handle.read()
        return decode_source(path, data, kind), None
    except OSError as exc:
        return None, parse_error(path, Span(0, 0), f"cannot read: {exc.strerror or exc}")
    except DecodeFailure as exc:
        shown = SourceFile(path, data.decode("utf-8", errors="replace") if data else "", kind)
        offset = shown.lines.offset(exc.line, exc.column - 1)
        return shown, parse_error(path, Span(offset, offset), str(exc))


def lint_task(
    task: Task, state: LintState, data: bytes | None = None
) -> tuple[FileResult, SourceFile | None]:
    state.loader.log.reset()
    if data is None:
        try:
            with open(task.path, "rb") as handle:
                data = handle.read()
        except OSError:
            data = None  # load_source reports it
    content = digest(data) if data is not None else None
    source, failure = load_source(task.path, task.kind, data)
    if failure is not None:
        pc001 = any(r.code == "PC001" for r in state.enabled(task.settings, task.path))
        result = FileResult(task.path, [failure] if pc001 else [], digest=content)
        return result, source if pc001 else None
    assert source is not None
    result = lint_source(source, task.settings, state)
    own = os.path.abspath(task.path)
    result.digest = content
    result.deps = tuple(dep for dep in state.loader.log.snapshot() if dep[0] != own)
    return result, source


# -- worker processes ---------------------------------------------------------------------------
_WORKER: list[LintState] = []  # the one per-process LintState of a pool worker, set by its initializer


def _init_worker(roots: tuple[str, ...]) -> None:
    _WORKER.append(new_state(roots))
    tune_for_lint()


def _work(tasks: list[Task]) -> tuple[list[tuple[FileResult, SourceFile | None]], dict[str, float]]:
    state = _WORKER[0]
    out = []
    for task in tasks:
        result, source = lint_task(task, state)
        out.append((result, source if result.diagnostics else None))
        between_files()
    return out, dict(state.timings)


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def collect_tasks(paths: Sequence[str], resolver: ConfigResolver, selection: Selection) -> list[Task]:
    tasks = []
    # The resolver hands out one Settings object per config file; combine each with the CLI once.
    combined: dict[int, tuple[Settings, Settings]] = {}
    settings_for = resolver.for_path
    if selection.exclude:
        extra = selection.exclude
        widened: dict[int, Settings] = {}

        def settings_for(path: str) -> Settings:
            base = resolver.for_path(path)
            if id(base) not in widened:
                widened[id(base)] = replace(base, extend_exclude=base.extend_exclude + extra)
            return widened[id(base)]

    for found in discover(list(paths), settings_for):
        settings = found.settings
        entry = combined.get(id(settings))
        if entry is None:
            entry = combined[id(settings)] = (
                settings,
                settings.with_cli(
                    selection.select, selection.ignore, selection.extend_select, selection.preview
                ),
            )
        tasks.append(Task(found.path, found.kind, entry[1]))
    return tasks


MAX_CONTEXT_SCAN = 5000  # Python files read when looking for the renderers of the requested templates
_TEMPLATE_KINDS = (FileKind.JINJA, FileKind.PROMPTY, FileKind.TEXT)


def renderer_context(
    tasks: list[Task], resolver: ConfigResolver, selection: Selection, walked: Sequence[str] = ()
) -> list[Task]:
    """The project's Python files that name a requested template or prompt file but were not
    requested themselves (`check prompts/system.j2` alone, a pre-commit batch, a directory run on
    `prompts/`): linted too, so a template's findings come from the code that renders it, whatever
    else is in the batch. Found cheaply: only files whose text holds the template's file name. A root
    among the directories the run already `walked` holds no file that was not requested."""
    templates = [t for t in tasks if t.kind in _TEMPLATE_KINDS]
    if not templates:
        return []
    requested = {os.path.abspath(t.path) for t in tasks}
    names = {os.path.basename(t.path).encode() for t in templates}
    done = {os.path.abspath(p) for p in walked if os.path.isdir(p)}
    roots = sorted({os.path.abspath(t.settings.root) for t in templates} - done)
    found: list[Task] = []
    scanned = 0
    for root in roots:
        for candidate in collect_tasks([root], resolver, selection):
            if candidate.kind is not FileKind.PYTHON or os.path.abspath(candidate.path) in requested:
                continue
            scanned += 1
            if scanned > MAX_CONTEXT_SCAN:
                return found
            try:
                with open(candidate.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if any(name in data for name in names):
                requested.add(os.path.abspath(candidate.path))
                found.append(candidate)
    return found


def lint_paths(
    paths: Sequence[str],
    config: str | None = None,
    selection: Selection | None = None,
    jobs: int | None = None,
    stdin: tuple[str, bytes] | None = None,
    cache: ResultCache | None = None,
) -> RunResult:
    """Lint files and directories (or one stdin buffer named `stdin[0]`) and merge the results.

    With a `cache`, a file whose bytes, settings and dependencies are unchanged since it was last
    linted gets its stored result, and the results computed are stored (see `engine/cache.py`).

    Raises:
        ConfigError: a config file is invalid.
        UsageError: a selector names no rule.
    """
    selection = selection or Selection()
    resolver = ConfigResolver(config)
    registry_state = new_state(tuple(dict.fromkeys(os.path.abspath(p) for p in paths if os.path.isdir(p))))
    rules = registry_state.registry.rules
    for selectors, where in (
        (selection.select or (), "--select"),
        (selection.ignore, "--ignore"),
        (selection.extend_select, "--extend-select"),
    ):
        validate_selectors(selectors, rules, where)
    if stdin is not None:
        name, data = stdin
        from promptlint.discovery import classify

        settings = resolver.for_path(name).with_cli(
            selection.select, selection.ignore, selection.extend_select, selection.preview
        )
        kind = classify(name, settings, explicit=True) or FileKind.PYTHON
        tasks = [Task(name, kind, settings)]
        pairs = [lint_task(tasks[0], registry_state, data)]
        timings = registry_state.timings
    else:
        # A path that does not exist is a usage error (a typo in CI must not pass); the rest is linted.
        missing = [p for p in paths if not os.path.lexists(p)]
        tasks = collect_tasks([p for p in paths if p not in missing], resolver, selection)
        checked: set[int] = set()
        for task in tasks:
            if id(task.settings) in checked:
                continue
            checked.add(id(task.settings))
            where = task.settings.config_path or "config"
            validate_selectors(task.settings.select or (), rules, where)
            validate_selectors(task.settings.ignore, rules, where)
            validate_selectors(task.settings.extend_select, rules, where)
            for glob, codes in task.settings.per_file_ignores:
                validate_selectors(codes, rules, f"{where}: per-file-ignores {glob!r}")
        context = renderer_context(tasks, resolver, selection, [p for p in paths if p not in missing])
        pairs, timings = _run_cached(tasks + context, registry_state, jobs, cache)
        result = _assemble(pairs, timings, {t.path for t in context}, {t.path for t in tasks})
        result.errors[:0] = [f"path not found: {p}" for p in missing]
        return result
    return _assemble(pairs, timings)


def _run_cached(
    tasks: list[Task], state: LintState, jobs: int | None, cache: ResultCache | None
) -> tuple[list[tuple[FileResult, SourceFile | None]], dict[str, float]]:
    """`_run` for the tasks the cache cannot answer; results in task order either way."""
    if cache is None:
        return _run(tasks, state, jobs)
    keys = [settings_key(t.settings, (r.code for r in state.enabled(t.settings, t.path))) for t in tasks]
    found: list[tuple[FileResult, SourceFile | None] | None] = []
    for task, key in zip(tasks, keys, strict=True):
        data = cache.read(task.path)  # also records its digest for the dependency checks
        content = cache.current(task.path)
        hit = cache.get(task.path, key, content) if content is not None else None
        if hit is None:
            found.append(None)
            continue
        source = None
        if hit.diagnostics:  # the output shows their lines: decode the bytes just read
            loaded = read_source(task.path, task.kind, data)
            source = loaded if isinstance(loaded, SourceFile) else SourceFile(task.path, "", task.kind)
        found.append((hit, source))
    todo = [i for i, pair in enumerate(found) if pair is None]
    computed, timings = _run([tasks[i] for i in todo], state, jobs) if todo else ([], {})
    by_path = {pair[0].path: pair for pair in computed}  # worker chunks come back in their own order
    for i in todo:
        pair = by_path.get(tasks[i].path)
        if pair is None:
            continue
        found[i] = pair
        if not pair[0].errors:
            cache.put(keys[i], pair[0])
    return [pair for pair in found if pair is not None], timings


def _run(
    tasks: list[Task], state: LintState, jobs: int | None
) -> tuple[list[tuple[FileResult, SourceFile | None]], dict[str, float]]:
    workers = jobs or _workers()
    pairs: list[tuple[FileResult, SourceFile | None]] = []
    if workers <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        with tuned_for_lint():
            for task in tasks:
                pairs.append(_keep(lint_task(task, state)))
                between_files()
        return pairs, state.timings
    chunks = [tasks[i :: workers * 16] for i in range(workers * 16)]
    roots = state.loader.roots  # the same project roots in every worker
    timings: dict[str, float] = {}
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(roots,)) as pool:
        for chunk_pairs, chunk_timings in pool.map(_work, [c for c in chunks if c]):
            pairs.extend(chunk_pairs)
            for code, seconds in chunk_timings.items():
                timings[code] = max(timings.get(code, 0.0), seconds)
    return pairs, timings


def _keep(pair: tuple[FileResult, SourceFile | None]) -> tuple[FileResult, SourceFile | None]:
    result, source = pair
    return result, source if result.diagnostics else None


def _assemble(
    pairs: list[tuple[FileResult, SourceFile | None]],
    timings: dict[str, float],
    context: set[str] | None = None,
    requested: set[str] | None = None,
) -> RunResult:
    """Merge per-file results. Files in `context` were linted only for what they say about the
    `requested` templates (the Python that renders them): their own findings are not reported, nor
    what they say about templates nobody asked about."""
    context = context or set()
    if context:
        asked = {os.path.abspath(p) for p in requested or ()}
        pairs = [
            (replace(result, diagnostics=_about(result.diagnostics, asked)), source)
            if result.path in context
            else (result, source)
            for result, source in pairs
        ]
    run = RunResult(timings=dict(timings))
    diagnostics: list[Diagnostic] = []
    for result, source in pairs:
        if result.path not in context:
            run.files += 1
            run.lines += result.lines
            run.errors.extend(result.errors)
        diagnostics.extend(result.diagnostics)
        if source is not None:
            run.sources[source.path] = source
    linked, moved_into = link_project([result for result, _source in pairs], run.sources)
    run.sources.update(moved_into)
    if context:
        hidden = {os.path.abspath(p) for p in context}
        linked = [d for d in linked if os.path.abspath(d.path) not in hidden]
    run.diagnostics = merge_project(linked)
    _attach_related_sources(run)
    return run


def _about(diagnostics: list[Diagnostic], asked: set[str]) -> list[Diagnostic]:
    """A context file's findings that move into one of the `asked` templates."""
    return [
        d
        for d in diagnostics
        if d.origin is not None and is_template_origin(d.origin) and os.path.abspath(d.origin.path) in asked
    ]


def _attach_related_sources(run: RunResult) -> None:
    """Load the text of files that related and chain locations point into (for line/column conversion)."""
    for diag in run.diagnostics:
        for loc in (*diag.related, *diag.chain):
            if loc.path not in run.sources:
                source = read_source(loc.path, FileKind.PYTHON)
                if isinstance(source, SourceFile):
                    run.sources[loc.path] = source


def extract_prompts(
    paths: list[str], config: str | None = None, only: Collection[str] | None = None
) -> list[tuple[SourceFile, Prompt]]:
    """Every prompt the frontends find under `paths` (for `simulate`, `trace --source`), in file order.

    With `only` (absolute paths), just those files are parsed; the project roots stay those of `paths`,
    so a prompt reads imported constants as it does in a lint of `paths`.
    """
    resolver = ConfigResolver(config)
    state = new_state(tuple(os.path.abspath(p) for p in paths if os.path.isdir(p)))
    out: list[tuple[SourceFile, Prompt]] = []
    for task in collect_tasks(paths, resolver, Selection()):
        if only is not None and os.path.abspath(task.path) not in only:
            continue
        source = read_source(task.path, task.kind)
        if isinstance(source, Diagnostic):
            continue
        frontend = (state.frontends or default_frontends()).get(task.kind)
        if frontend is None:
            continue
        facts = frontend(source, state, task.settings)
        out.extend((source, prompt) for prompt in facts.prompts)
    return out
