"""The plan YAML in a planning agent's answer. Pure.

The prompt asks for one fenced ```` ```yaml ```` block. Agents also answer with a block
tagged ``yml``, with an untagged block, with prose around it, or with bare YAML: the last
block tagged yaml/yml wins, else the only untagged block, else the whole answer. A block
whose closing fence never came (an answer cut off) is taken to the end, and validation
says what is missing. The size is bounded below the provider adapters' own text cap
(``providers/parsing.py``), so a plan is never validated from a cut answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from convergio_tui.providers.parsing import TEXT_LIMIT

# Well under what an adapter keeps of an answer (it keeps the end, marked as cut).
MAX_PLAN_CHARS = min(90_000, TEXT_LIMIT - 1000)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.-]*)[^\n]*$", re.MULTILINE)
_YAML_TAGS = frozenset({"yaml", "yml"})


@dataclass(frozen=True)
class Extracted:
    """What will be validated: ``text``, where it came from, or why there is nothing."""

    text: str
    source: str  # "its ```yaml block", "its only fenced block", "the whole answer"
    problem: str | None = None


def _blocks(answer: str) -> list[tuple[str, str]]:
    """``(tag, body)`` of each fenced block, in order; an unclosed last block runs to the end."""
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        opening = _FENCE.search(answer, pos)
        if opening is None:
            return blocks
        fence, tag = opening.group(1), opening.group(2).lower()
        start = opening.end() + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(answer, start)
        if end is None:
            blocks.append((tag, answer[start:]))
            return blocks
        blocks.append((tag, answer[start : end.start()]))
        pos = end.end()


def extract_plan(answer: str) -> Extracted:
    """The YAML to validate from ``answer`` (see the module docstring)."""
    if answer.startswith("[…]"):  # the adapter kept only the end of a longer answer
        return Extracted("", "the answer", f"the answer was longer than {TEXT_LIMIT:,} "
                         "characters and was cut: draft a shorter plan (fewer, shorter "
                         "prompts; point at files of the repository instead)")  # fmt: skip
    blocks = _blocks(answer)
    tagged = [body for tag, body in blocks if tag in _YAML_TAGS]
    untagged = [body for tag, body in blocks if not tag]
    if tagged:
        text, source = tagged[-1], "its ```yaml block"
    elif len(untagged) == 1:
        text, source = untagged[0], "its only fenced block"
    else:
        text, source = answer, "the whole answer"
    if not text.strip():
        return Extracted("", source, "the answer holds no plan: answer with the whole plan "
                         "in one ```yaml block")  # fmt: skip
    if len(text) > MAX_PLAN_CHARS:
        return Extracted("", source, f"the plan is {len(text):,} characters, over the "
                         f"{MAX_PLAN_CHARS:,} a drafted plan may have: use fewer or shorter "
                         "task prompts (point at files of the repository)")  # fmt: skip
    return Extracted(text, source)
