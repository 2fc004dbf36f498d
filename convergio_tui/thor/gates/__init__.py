"""The ten Thor gates (docs/configuration.md, ``thor``), in number order."""

from __future__ import annotations

from convergio_tui.thor.gates.base import Gate, GateContext, TaskBrief
from convergio_tui.thor.gates.build import BuildGate
from convergio_tui.thor.gates.compliance import ComplianceGate
from convergio_tui.thor.gates.constitution import ConstitutionGate
from convergio_tui.thor.gates.docs import DocsGate
from convergio_tui.thor.gates.hygiene import HygieneGate
from convergio_tui.thor.gates.perf import PerfGate
from convergio_tui.thor.gates.quality import QualityGate
from convergio_tui.thor.gates.repo import RepoGate
from convergio_tui.thor.gates.standards import StandardsGate
from convergio_tui.thor.gates.tdd import TddGate
from convergio_tui.thor.outcome import Scope

ALL_GATES: tuple[Gate, ...] = (
    ComplianceGate(), QualityGate(), StandardsGate(), RepoGate(), DocsGate(),
    HygieneGate(), PerfGate(), TddGate(), ConstitutionGate(), BuildGate(),
)  # fmt: skip
TASK_GATES = (1, 2, 3, 4, 8, 9)


def gates_for(scope: Scope) -> list[Gate]:
    """The gates that run at ``scope`` (task: 1–4, 8, 9; wave: all ten)."""
    return [g for g in ALL_GATES if scope in g.scopes]


__all__ = ["ALL_GATES", "TASK_GATES", "Gate", "GateContext", "TaskBrief", "gates_for"]
