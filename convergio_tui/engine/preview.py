"""``convergio run --dry-run``: where each unfinished task would go now, and its cost.

Pure with respect to the plan: routes with the cached health and today's budget, runs
no provider and no health check, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from convergio_tui.config.schema import Config
from convergio_tui.engine.planner import route_request
from convergio_tui.engine.privacy import Effective, for_plan
from convergio_tui.engine.router import route
from convergio_tui.engine.snapshot import budget_view, health_views
from convergio_tui.store.models import Plan, Task, Wave
from convergio_tui.store.states import TASK_FINISHED


@dataclass(frozen=True)
class PreviewRow:
    """One task's dispatch as it would happen now."""

    code: str
    wave: int
    status: str
    provider: str | None
    model: str | None
    estimate_usd: float
    reasons: tuple[str, ...]
    reserve_usd: float = 0.0  # the worst case the ledger would hold while it runs

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "code": self.code, "wave": self.wave, "status": self.status,
            "provider": self.provider, "model": self.model, "blocked": self.provider is None,
            "estimate_usd": round(self.estimate_usd, 6),
            "reserve_usd": round(self.reserve_usd, 6), "reasons": list(self.reasons),
        }  # fmt: skip


def preview_plan(config: Config, plan_id: int) -> list[PreviewRow]:
    """Route every unfinished task of the plan with today's health and budget."""
    plan = Plan.get_by_id(plan_id)
    health, budget = health_views(), budget_view(config)
    rows = []
    query = (
        Task.select(Task, Wave).join(Wave).where(Task.plan == plan_id).order_by(Wave.seq, Task.code)
    )
    # Per task privacy (three values): each resolves the project's path, not each task.
    effective_of: dict[str | None, Effective] = {}
    for task in query:
        if task.status in TASK_FINISHED:
            continue
        eff = effective_of.get(task.privacy)
        if eff is None:
            eff = effective_of[task.privacy] = for_plan(config, plan, task.privacy)
        req = replace(route_request(task, plan.project, eff.privacy),
                      project_allowed=eff.project_allowed)  # fmt: skip
        decision = route(req, config, budget, health)
        rows.append(PreviewRow(task.code, task.wave.seq, task.status, decision.provider,
                               decision.model, decision.estimate_usd, decision.reasons,
                               decision.reserve_usd))  # fmt: skip
    return rows
