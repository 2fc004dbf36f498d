"""The ``thor:`` section of ``orchestrator.yaml``: what each quality gate checks.

A gate whose settings are empty reports ``skip``; it never passes by default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThorConfig(_Strict):
    """Settings of the ten Thor gates."""

    max_rounds: int = Field(default=3, ge=1)
    command_timeout_s: float = Field(default=600, gt=0)
    lint_commands: list[str] = Field(default_factory=list)
    test_command: str | None = None
    build_command: str | None = None
    perf_command: str | None = None
    code_globs: list[str] = Field(default_factory=lambda: ["**/*.py"])
    test_globs: list[str] = Field(default_factory=lambda: ["tests/**", "**/test_*.py"])
    doc_globs: list[str] = Field(default_factory=lambda: ["README.md", "docs/**"])
    doc_trigger_globs: list[str] = Field(default_factory=list)
    debug_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bTODO\b",
            r"\bFIXME\b",
            r"\bbreakpoint\(\)",
            r"\bpdb\.set_trace\(",
        ]
    )
    max_file_lines: int | None = Field(default=1000, ge=1)
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    commit_message_pattern: str | None = None
    constitution_file: str | None = None
    cross_review: bool = False
