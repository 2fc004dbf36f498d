"""The project's constitution: a YAML rules file that gate 9 enforces.

Example (``thor.constitution_file: CONSTITUTION.yaml`` in ``orchestrator.yaml``)::

    forbidden:
      - pattern: "\\\\bprint\\\\("
        message: use the logger, not print
        globs: ["src/**"]          # optional; default: every file
    max_file_lines: 400            # optional; changed files longer than this fail
    required_headers:
      - globs: ["**/*.py"]
        pattern: "^# SPDX-License-Identifier: "
        within: 5                  # the header must appear in the first N lines
        message: every module starts with its licence

The file is read from the branch the work started from (not the task's own branch),
so an agent cannot loosen the rules it is judged by.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from convergio_tui.config.strict import StrictModel, check_regex
from convergio_tui.thor import git as g
from convergio_tui.thor.shell import CommandClock


class ForbiddenPattern(StrictModel):
    """A regex no added line may match."""

    pattern: str
    message: str = ""
    globs: list[str] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return check_regex(value)


class RequiredHeader(StrictModel):
    """A regex that must match one of the first ``within`` lines of matching files."""

    globs: list[str] = Field(min_length=1)
    pattern: str
    within: int = Field(default=5, ge=1)
    message: str = ""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return check_regex(value)


class Constitution(StrictModel):
    """The whole rules file."""

    forbidden: list[ForbiddenPattern] = Field(default_factory=list)
    max_file_lines: int | None = Field(default=None, ge=1)
    required_headers: list[RequiredHeader] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the file sets no rule."""
        return not self.forbidden and self.max_file_lines is None and not self.required_headers


class ConstitutionError(Exception):
    """The rules file is not valid YAML or breaks the schema."""


def parse(text: str, source: str) -> Constitution:
    """Validate the rules file's text; :class:`ConstitutionError` names what is wrong."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConstitutionError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConstitutionError(f"{source}: expected a mapping at the top level")
    try:
        return Constitution.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConstitutionError(f"{source}: {details}") from None


def load(
    repo: Path, ref: str | None, name: str, clock: CommandClock | None = None
) -> Constitution | None:
    """The rules at ``ref`` (or on disk when absolute/untracked); ``None`` when absent."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return parse(path.read_text(encoding="utf-8"), str(path)) if path.is_file() else None
    if ref is not None:
        text = g.blob_text(repo, ref, name, clock)
        if text is not None:
            return parse(text, f"{ref}:{name}")
    on_disk = repo / name
    return parse(on_disk.read_text(encoding="utf-8"), str(on_disk)) if on_disk.is_file() else None
