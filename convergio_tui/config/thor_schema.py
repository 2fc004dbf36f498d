"""The ``thor:`` section of ``orchestrator.yaml``: what each quality gate checks.

A gate whose settings are empty reports ``skip``; it never passes by default. Globs use
``*``/``?`` within a path segment and ``**`` across segments; a glob without ``/``
matches the file name in any directory. Regular expressions are checked when the file
is loaded, so a typo is an error with its file and line, not a gate crash mid-run.

The four command keys (``lint_commands``, ``test_command``, ``build_command``,
``perf_command``) have three states: left out, the project's own command is detected
(``thor/toolchain``); set, it runs; ``null`` (or empty), the gate runs no command. Which
keys a file set is pydantic's ``model_fields_set``. The same model validates a project's
``projects.<name>.thor``, whose keys override these for that project.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from convergio_tui.config.strict import StrictModel, check_regex


class ThorConfig(StrictModel):
    """Settings of the ten Thor gates (docs/configuration.md, ``thor``)."""

    # Rounds and commands.
    max_rounds: int = Field(default=3, ge=1)
    command_timeout_s: float = Field(default=600, gt=0)
    # Gate 2 (quality), 8 (TDD), 7 (performance), 10 (build). Left out: detected.
    lint_commands: list[str] | None = Field(default_factory=list)
    test_command: str | None = None
    build_command: str | None = None
    perf_command: str | None = None
    # Which changed paths count as code, tests and docs (gates 2, 3, 5, 8).
    code_globs: list[str] = Field(default_factory=lambda: ["**/*.py"])
    test_globs: list[str] = Field(default_factory=lambda: ["tests/**", "**/test_*.py"])
    doc_globs: list[str] = Field(default_factory=lambda: ["README.md", "docs/**"])
    doc_trigger_globs: list[str] = Field(default_factory=list)
    # Gate 2: leftovers the diff must not add (outside doc_globs).
    debug_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bTODO\b",
            r"\bFIXME\b",
            r"\bbreakpoint\(\)",
            r"\bpdb\.set_trace\(",
        ]
    )
    # Gate 3: error-handling rules on added lines of code files.
    error_handling_patterns: list[str] = Field(
        default_factory=lambda: [r"^\s*except\s*:", r"^\s*except\s+(?:Base)?Exception\s*:\s*pass\b"]
    )
    # Gate 4 and 6: file limits and what must never be committed.
    max_file_lines: int | None = Field(default=1000, ge=1)
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    stray_globs: list[str] = Field(
        default_factory=lambda: [
            ".DS_Store", "Thumbs.db", "*.orig", "*.rej", "*.pyc", "*.pyo", "*.swp", "*~",
            "**/__pycache__/**", ".env",
        ]
    )  # fmt: skip
    binary_allowed_globs: list[str] = Field(default_factory=list)
    commit_message_pattern: str | None = None
    # Gate 9 and 10.
    constitution_file: str | None = None
    cross_review: bool = False

    @field_validator("debug_patterns", "error_handling_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        return [check_regex(v) for v in value]

    @field_validator("commit_message_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        return None if value is None else check_regex(value)
