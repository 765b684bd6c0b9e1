"""Prompty frontend: front matter, role sections, inputs that are clocks."""

from __future__ import annotations

from promptlint.frontends.front_matter import parse_mapping
from promptlint.frontends.prompty import extract_prompty
from promptlint.frontends.template_loader import TemplateLoader
from promptlint.ir import Provider, Role, Slot, Stability, Text, VolatileKind
from promptlint.source import FileKind, SourceFile

DOC = """---
name: Support
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt-4o  # the deployment
inputs:
  when:
    type: string
    sample: "2024-05-01T10:00:00"
  question:
    type: string
---
system:
It is {{ when }}. Be polite.

user:
{{ question }}
"""


def test_role_sections_become_parts() -> None:
    found = extract_prompty(SourceFile("s.prompty", DOC, FileKind.PROMPTY), TemplateLoader())
    assert found.parse_failure is None
    prompt = found.prompts[0]
    assert [p.role for p in prompt.parts] == [Role.SYSTEM, Role.USER]
    assert prompt.provider is Provider.OPENAI and prompt.model == "gpt-4o"
    system = prompt.parts[0].segments
    when = next(s for s in system if isinstance(s, Slot))
    assert when.kind is VolatileKind.TIME and DOC[when.span.start : when.span.end] == "{{ when }}"
    assert "".join(s.text for s in system if isinstance(s, Text)) == "It is . Be polite."
    question = next(s for s in prompt.parts[1].segments if isinstance(s, Slot))
    # A declared `type: string` input says nothing about where the value comes from: unknown, not
    # per-request (evidence rule, issue 11). Only a clock-like type or sample makes an input volatile.
    assert question.stability is Stability.UNKNOWN and question.kind is None
    assert DOC[question.span.start : question.span.end] == "{{ question }}"


def test_front_matter_subset_parser_skips_what_it_does_not_know() -> None:
    tree = parse_mapping("a: 1\nlist:\n  - x\nb:\n  c: 'q'\n  d: [1, 2]\n: bad\n\tweird")
    assert tree["a"] == "1" and tree["b"] == {"c": "q", "d": "[1, 2]"}


def test_no_front_matter_and_broken_body() -> None:
    plain = extract_prompty(
        SourceFile("p.prompty", "user:\nHi {{ name }}", FileKind.PROMPTY), TemplateLoader()
    )
    assert [p.role for p in plain.prompts[0].parts] == [Role.USER]
    broken = extract_prompty(
        SourceFile("b.prompty", "---\nx: 1\n---\n{% if %}", FileKind.PROMPTY), TemplateLoader()
    )
    assert broken.parse_failure is not None
