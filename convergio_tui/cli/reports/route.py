"""``convergio route``: one routing decision, pure (no database, nothing run)."""

from __future__ import annotations

from convergio_tui.cli.output import json_text, lines_text
from convergio_tui.config.schema import Config
from convergio_tui.engine.router import BudgetView, HealthView, RouteRequest, route
from convergio_tui.frozen import Frozen, frozen


class BadOption(ValueError):
    """An option's value the configuration does not know (``hint``: the option)."""

    def __init__(self, hint: str, message: str) -> None:
        super().__init__(message)
        self.hint = hint


@frozen
class RouteQuery(Frozen):
    """The options of ``convergio route``."""

    task_type: str
    priority: str = "P1"
    privacy: str = "internal"
    spent: float = 0.0
    down: tuple[str, ...] = ()
    project: str | None = None
    provider: str | None = None
    model: str | None = None
    prompt_chars: int = 0


def route_report(config: Config, query: RouteQuery, as_json: bool) -> str:
    """Where a task would go and why; raises :class:`BadOption` for an unknown provider
    in ``--down`` or an unknown ``--project``."""
    for name in query.down:
        if name not in config.providers:
            known = ", ".join(config.providers)
            raise BadOption("--down", f"unknown provider {name!r} (known: {known})")
    allowed = None
    if query.project is not None:
        if query.project not in config.projects:
            raise BadOption("--project", f"unknown project {query.project!r}")
        listed = config.projects[query.project].allowed_providers
        allowed = tuple(listed) if listed is not None else None
    request = RouteRequest(query.task_type, query.priority, query.privacy, query.provider,
                           query.model, query.prompt_chars, allowed)  # fmt: skip
    cap = config.budget
    budget = BudgetView(query.spent, 0.0, cap.max_premium_per_day, cap.enforce_budget)
    health = {name: HealthView("down", "marked down with --down") for name in query.down}
    decision = route(request, config, budget, health)
    if as_json:
        return json_text(decision.as_dict())
    target = f"{decision.provider} · {decision.model}" if decision.provider else "BLOCKED"
    return lines_text([target, *(f"  - {reason}" for reason in decision.reasons)])
