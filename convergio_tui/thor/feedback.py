"""The text Thor appends to a task's prompt: rejection evidence and reviewer notes.

The first line of a rejection starts with ``THOR-REJECTION round N:`` (the simulated
agents count those lines to know their round), so evidence is defanged: no line of it
may start with that marker or look like a ``SIM:`` directive.
"""

from __future__ import annotations

import re

REJECTION_MARKER = "THOR-REJECTION"
# Bounds the prompt's growth per round (some CLIs take the prompt as one argv string).
MAX_SECTION_CHARS = 8000
_DANGEROUS = re.compile(r"^\s*(?:THOR-REJECTION|SIM(?:\[[^\]]*\])?:)")
# Control characters (NUL, escapes) from an agent's garbage output must not reach the
# next prompt: a NUL cannot travel in argv, and escapes would redraw a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def defang(text: str) -> str:
    """Quote lines that would read as a rejection marker or a simulator directive, and
    replace control characters with U+FFFD."""
    text = _CONTROL.sub("\ufffd", text)
    return "\n".join(f"> {line}" if _DANGEROUS.match(line) else line for line in text.splitlines())


def rejection_section(round_no: int, gate_names: list[str], evidence: str, scope: str) -> str:
    """The section appended to the prompt after round ``round_no`` was rejected."""
    names = ", ".join(gate_names) or "review"
    where = "the wave's combined result" if scope == "wave" else "your work"
    body = defang(evidence.strip()) or "(no evidence recorded)"
    if len(body) > MAX_SECTION_CHARS:
        body = (
            body[:MAX_SECTION_CHARS]
            + "\n... (more evidence: convergio escalations show / the gate results)"
        )
    return (
        f"\n\n{REJECTION_MARKER} round {round_no}: {names}\n"
        f"Thor's quality gates rejected {where} in round {round_no}. "
        "Fix every problem below, keep what already works, and commit nothing else.\n"
        f"{body}\n"
    )


def reviewer_note(round_no: int, user: str, note: str) -> str:
    """The section appended when a person retries an escalated task with a note."""
    return f"\n\nREVIEWER NOTE (before round {round_no}, from {user}):\n{defang(note.strip())}\n"
