"""The ``thor:`` section of ``orchestrator.yaml``: what each quality gate checks.

A gate whose settings are empty reports ``skip``; it never passes by default. Globs use
``*``/``?`` within a path segment and ``**`` across segments; a glob without ``/``
matches the file name in any directory. Regular expressions are checked when the file
is loaded, so a typo is an error with its file and line, not a gate crash mid-run.

The four command keys (``lint_commands``, ``test_command``, ``build_command``,
``perf_command``) have three states: left out, the project's own command is detected
(``thor/toolchain``); set, it runs; ``null`` (or empty), the gate runs no command. Which
keys a file set is the section's ``model_fields_set``. The same model validates a project's
``projects.<name>.thor``, whose keys override these for that project.
"""

from __future__ import annotations

from dataclasses import field
from typing import Annotated

from convergio_tui.config.section import Check, Limits, Section, check_regex
from convergio_tui.frozen import frozen_kw_only as section


def _patterns_compile(value: list[str]) -> list[str]:
    return [check_regex(v) for v in value]


def _pattern_compiles(value: str | None) -> str | None:
    return None if value is None else check_regex(value)


@section
class ThorConfig(Section):
    """Settings of the ten Thor gates (docs/configuration.md, ``thor``)."""

    # Rounds and commands.
    max_rounds: Annotated[int, Limits(ge=1)] = 3
    command_timeout_s: Annotated[float, Limits(gt=0)] = 600
    # Gate 2 (quality), 8 (TDD), 7 (performance), 10 (build). Left out: detected.
    lint_commands: list[str] | None = field(default_factory=list)
    test_command: str | None = None
    build_command: str | None = None
    perf_command: str | None = None
    # Which changed paths count as code, tests and docs (gates 2, 3, 5, 8).
    code_globs: list[str] = field(default_factory=lambda: ["**/*.py"])
    test_globs: list[str] = field(default_factory=lambda: ["tests/**", "**/test_*.py"])
    doc_globs: list[str] = field(default_factory=lambda: ["README.md", "docs/**"])
    doc_trigger_globs: list[str] = field(default_factory=list)
    # Gate 2: leftovers the diff must not add (outside doc_globs).
    debug_patterns: Annotated[list[str], Check(_patterns_compile)] = field(
        default_factory=lambda: [
            r"\bTODO\b",
            r"\bFIXME\b",
            r"\bbreakpoint\(\)",
            r"\bpdb\.set_trace\(",
        ]
    )
    # Gate 3: error-handling rules on added lines of code files.
    error_handling_patterns: Annotated[list[str], Check(_patterns_compile)] = field(
        default_factory=lambda: [r"^\s*except\s*:", r"^\s*except\s+(?:Base)?Exception\s*:\s*pass\b"]
    )
    # Gate 4 and 6: file limits and what must never be committed.
    max_file_lines: Annotated[int | None, Limits(ge=1)] = 1000
    max_file_bytes: Annotated[int, Limits(ge=1)] = 1_000_000
    stray_globs: list[str] = field(
        default_factory=lambda: [
            ".DS_Store", "Thumbs.db", "*.orig", "*.rej", "*.pyc", "*.pyo", "*.swp", "*~",
            "**/__pycache__/**", ".env",
        ]
    )  # fmt: skip
    binary_allowed_globs: list[str] = field(default_factory=list)
    commit_message_pattern: Annotated[str | None, Check(_pattern_compiles)] = None
    # Gate 9 and 10.
    constitution_file: str | None = None
    cross_review: bool = False
