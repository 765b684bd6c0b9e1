"""The Jinja frontend: a `*.j2`/`*.jinja`/`*.jinja2` file becomes one prompt (DESIGN §3, Templates).

The whole template is one part. Its role is `system` unless a `{# promptlint: role=user #}` comment
says otherwise: a template file is most often a system prompt, and a system part is where early
volatile text costs the most. A template that does not lex or parse is a `ParseFailure` at the token
jinja2 stopped on. `render_template` builds the same segments for a render call in Python, with the
call's arguments bound (see `frontends/python/templates.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from promptlint.diagnostics import Span
from promptlint.frontends.jinja_blocks import flat
from promptlint.frontends.jinja_build import BuildContext, Builder
from promptlint.frontends.jinja_lex import JinjaOptions
from promptlint.frontends.template_ir import Placed, place_in
from promptlint.frontends.template_loader import ParsedTemplate, TemplateLoader, parse_template
from promptlint.ir import FileFacts, ParseFailure, Part, Prompt, Provider, Role, Segment, Slot
from promptlint.source import SourceFile


def extract_jinja(
    source: SourceFile, loader: TemplateLoader, options: JinjaOptions | None = None
) -> FileFacts:
    """Facts of one template file linted on its own (variables guessed from their names)."""
    parsed = parse_template(source.path, source.text, options or JinjaOptions())
    if parsed.problem is not None:
        return FileFacts(parse_failure=ParseFailure(parsed.problem.message, parsed.problem.span))
    items, related = build_placed(parsed, loader, options or JinjaOptions())
    segments = place_in(items, source.path)
    prompt = template_prompt(source.text, segments, parsed.directives.role)
    return FileFacts(prompts=(prompt,), related_paths=tuple(sorted(related)))


def template_prompt(text: str, segments: tuple[Segment, ...], role: Role | None) -> Prompt:
    site = Span(0, len(text))
    return Prompt(Provider.UNKNOWN, site, (Part(role or Role.SYSTEM, segments, site),))


def build_placed(
    parsed: ParsedTemplate,
    loader: TemplateLoader,
    options: JinjaOptions,
    bindings: Mapping[str, Slot] | None = None,
    dirs: Sequence[str] = (),
) -> tuple[list[Placed], set[str]]:
    """Placed segments of a parsed template (includes and parents inlined) and the files it used."""

    def resolve(name: str, near: str) -> ParsedTemplate | None:
        path = loader.find(name, near, dirs)
        return loader.load(path, options) if path is not None else None

    ctx = BuildContext(resolve, bindings or {})
    try:
        items = Builder(parsed, ctx).build()
    except RecursionError:
        return [], set()
    return flat(items), ctx.related
