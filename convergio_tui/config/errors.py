"""Errors for bad input: each names the file, line and key, and maps to exit code 2."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape in docs/cli.md: ``{"file","line","key","message"}``."""
        return {"file": self.file, "line": self.line, "key": self.key, "message": self.message}


@dataclass
class InputError(Exception):
    """Bad user input (configuration or plan spec); the CLI exits 2 and writes nothing."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigError(InputError):
    """The configuration file is invalid."""


class PlanSpecError(InputError):
    """The plan spec is invalid."""
