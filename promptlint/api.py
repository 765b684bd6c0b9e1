"""The public surface for rules and plugins. Rule files import only from here."""

from __future__ import annotations

from promptlint.diagnostics import Applicability, Edit, Fix, Location, Severity, Span
from promptlint.ir import (
    CacheBreakpoint,
    Control,
    FileFacts,
    Granularity,
    HeaderKind,
    HeaderUse,
    HistoryOp,
    HistoryOpKind,
    Part,
    Prompt,
    Provider,
    Role,
    Segment,
    Slot,
    Stability,
    Text,
    VolatileKind,
)
from promptlint.rules_api.base import EngineRule, Example, FactsRule, FixAvailability, PromptRule, Rule, Status
from promptlint.rules_api.context import RuleContext, RuleSettings, Tail, is_last_part, role_label
from promptlint.rules_api.detectors import HeaderRule, SlotTailRule, VolatileSlotRule, culprit_location

__all__ = [
    "Applicability", "CacheBreakpoint", "Control", "Edit", "EngineRule", "Example", "FactsRule", "FileFacts",
    "Fix", "FixAvailability", "Granularity", "HeaderKind", "HeaderRule", "HeaderUse", "HistoryOp",
    "HistoryOpKind", "Location", "Part", "Prompt", "PromptRule", "Provider", "Role", "Rule", "RuleContext",
    "RuleSettings", "Segment", "Severity", "Slot", "SlotTailRule", "Span", "Stability", "Status", "Tail",
    "Text", "VolatileKind", "VolatileSlotRule", "culprit_location", "is_last_part", "role_label",
]
