"""The gates whose commands can be detected, and what detection and resolution return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GateName = Literal["lint", "test", "build", "perf"]
GATES: tuple[GateName, ...] = ("lint", "test", "build", "perf")
# The ``thor:`` key that configures each gate's command(s), and the gate's number.
KEYS: dict[GateName, str] = {
    "lint": "lint_commands",
    "test": "test_command",
    "build": "build_command",
    "perf": "perf_command",
}
NUMBERS: dict[GateName, int] = {"lint": 2, "test": 8, "build": 10, "perf": 7}


@dataclass(frozen=True)
class Found:
    """One command detection found, and the file (and part of it) that says so."""

    gate: GateName
    command: str
    source: str  # "package.json scripts.test, with npm from package-lock.json"

    @property
    def origin(self) -> str:
        """``detected from <source>``: what evidence and ``thor detect`` show."""
        return f"detected from {self.source}"


@dataclass(frozen=True)
class GateCommand:
    """A command a gate will run, and where it came from."""

    command: str
    origin: str  # "configured", "configured in projects.X.thor", "detected from ..."

    def label(self) -> str:
        """```cmd` (origin)``, for evidence."""
        return f"`{self.command}` ({self.origin})"

    def passed(self) -> str:
        """```cmd` exit 0 (origin)``, for a pass's evidence."""
        return f"`{self.command}` exit 0 ({self.origin})"

    def as_dict(self) -> dict[str, str]:
        """``{"command", "origin"}`` (docs/cli.md, ``thor detect``)."""
        return {"command": self.command, "origin": self.origin}


@dataclass(frozen=True)
class GateCommands:
    """The commands one gate runs, and why these (or why none).

    ``origin`` is the gate's: ``configured``, ``configured in projects.<name>.thor``,
    ``detected`` (each command says from where), ``off (null ...)`` or ``none``.
    """

    gate: GateName
    commands: tuple[GateCommand, ...]
    origin: str

    @property
    def key(self) -> str:
        """The ``thor:`` key of this gate."""
        return KEYS[self.gate]

    @property
    def number(self) -> int:
        """The gate's number (2, 7, 8, 10)."""
        return NUMBERS[self.gate]

    def why_none(self) -> str:
        """Why no command runs, for a skip's evidence."""
        if self.origin.startswith("off"):
            return f"{self.key} switched {self.origin}"
        return f"{self.key} not configured and none detected"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``convergio thor detect --json`` (docs/cli.md)."""
        return {
            "gate": self.number,
            "key": self.key,
            "origin": self.origin,
            "commands": [c.as_dict() for c in self.commands],
        }
