"""The commented example plan: ``convergio plan template`` prints it, the planning prompt
shows it, and ``examples/plan.yaml`` and docs/plan-format.md are this same text
(tests/test_examples.py checks both)."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "data" / "plan_template.yaml"


def plan_template() -> str:
    """The template's text."""
    return TEMPLATE_PATH.read_text(encoding="utf-8")
