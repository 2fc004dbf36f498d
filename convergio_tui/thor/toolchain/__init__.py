"""Toolchain detection: the project's own lint, test and build commands for Thor's gates
when the configuration names none (docs/thor.md)."""

from __future__ import annotations

from convergio_tui.thor.toolchain.detect import Detection, detect
from convergio_tui.thor.toolchain.model import (
    GATES,
    KEYS,
    NUMBERS,
    Found,
    GateCommand,
    GateCommands,
    GateName,
)
from convergio_tui.thor.toolchain.resolve import (
    EffectiveCommands,
    configured_project_at,
    effective_commands,
    effective_thor,
    project_thor,
)

__all__ = [
    "GATES",
    "KEYS",
    "NUMBERS",
    "Detection",
    "EffectiveCommands",
    "Found",
    "GateCommand",
    "GateCommands",
    "GateName",
    "configured_project_at",
    "detect",
    "effective_commands",
    "effective_thor",
    "project_thor",
]
