"""Read-only queries for the CLI and the dashboard, one module per subject (no writes here).

What they return is a plain frozen value, never a model instance (``find_plan`` aside, for
the commands that go on to write): the dashboard reads on short-lived threads and posts
what it read to the UI thread.

- ``plans``: every plan (``plan list``, the plan picker), one plan's header and waves,
  ``plan show``'s document, the plan to show by default
- ``tasks``: a plan's task rows, one task's detail and gate verdicts
- ``runs``: the live runs, one task's runs
- ``costs``: USD per task and per plan, premium spend and requests, AI credits, today's
  spend per plan, premium charges (the burn rate), reservations in flight
- ``escalations``: the escalation read model of ``convergio escalations`` and the inbox
- ``overruns``: ``budget.overrun`` events
- ``journal``: the warnings and errors journaled since a reader last looked (notifications)
- ``health``: each provider's last health probe
- ``probe``: can the dashboard open this database, and has it changed

Each module is imported when one of its names is first used (``__getattr__``), so a
command pays only for the subjects it reads; the names are listed twice, for mypy (the
imports under ``TYPE_CHECKING``) and for that lookup (``_EXPORTS``).
"""

from __future__ import annotations

import importlib

# typing costs an import at start-up; mypy treats this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from convergio_tui.store.queries.costs import (
        InFlight,
        PlanSpend,
        credits_by_provider,
        credits_by_task,
        plan_costs,
        premium_charges,
        premium_requests_by_provider,
        reservations_in_flight,
        spend_by_plan,
        spend_series,
        task_costs,
    )
    from convergio_tui.store.queries.escalations import (
        EscalationDetail,
        EscalationView,
        count_pending_escalations,
        escalation,
        escalation_detail,
        list_escalations,
        pending,
    )
    from convergio_tui.store.queries.health import HealthLine, provider_health
    from convergio_tui.store.queries.journal import JournalLine, latest_event_id, news_after
    from convergio_tui.store.queries.overruns import OverrunLine, overrun_events
    from convergio_tui.store.queries.plans import (
        PlanHead,
        PlanSummary,
        WaveLine,
        default_plan_id,
        find_plan,
        plan_document,
        plan_head,
        plan_summaries,
        plan_waves,
    )
    from convergio_tui.store.queries.probe import DbProbe, data_version, probe_database
    from convergio_tui.store.queries.runs import RunLine, RunningRun, running_runs, task_runs
    from convergio_tui.store.queries.tasks import (
        GateLine,
        SeenRows,
        TaskDetail,
        TaskLine,
        task_detail,
        task_gates,
        task_ids,
        task_lines,
    )

# module -> the names it gives this package (the imports above, for the lookup below)
_EXPORTS: dict[str, tuple[str, ...]] = {
    "costs": (
        "InFlight",
        "PlanSpend",
        "credits_by_provider",
        "credits_by_task",
        "plan_costs",
        "premium_charges",
        "premium_requests_by_provider",
        "reservations_in_flight",
        "spend_by_plan",
        "spend_series",
        "task_costs",
    ),
    "escalations": (
        "EscalationDetail",
        "EscalationView",
        "count_pending_escalations",
        "escalation",
        "escalation_detail",
        "list_escalations",
        "pending",
    ),
    "health": ("HealthLine", "provider_health"),
    "journal": ("JournalLine", "latest_event_id", "news_after"),
    "overruns": ("OverrunLine", "overrun_events"),
    "plans": (
        "PlanHead",
        "PlanSummary",
        "WaveLine",
        "default_plan_id",
        "find_plan",
        "plan_document",
        "plan_head",
        "plan_summaries",
        "plan_waves",
    ),
    "probe": ("DbProbe", "data_version", "probe_database"),
    "runs": ("RunLine", "RunningRun", "running_runs", "task_runs"),
    "tasks": (
        "GateLine",
        "SeenRows",
        "TaskDetail",
        "TaskLine",
        "task_detail",
        "task_gates",
        "task_ids",
        "task_lines",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "DbProbe",
    "EscalationDetail",
    "EscalationView",
    "GateLine",
    "HealthLine",
    "InFlight",
    "JournalLine",
    "OverrunLine",
    "PlanHead",
    "PlanSpend",
    "PlanSummary",
    "RunLine",
    "RunningRun",
    "SeenRows",
    "TaskDetail",
    "TaskLine",
    "WaveLine",
    "count_pending_escalations",
    "credits_by_provider",
    "credits_by_task",
    "data_version",
    "default_plan_id",
    "escalation",
    "escalation_detail",
    "find_plan",
    "latest_event_id",
    "list_escalations",
    "news_after",
    "overrun_events",
    "pending",
    "plan_costs",
    "plan_document",
    "plan_head",
    "plan_summaries",
    "plan_waves",
    "premium_charges",
    "premium_requests_by_provider",
    "probe_database",
    "provider_health",
    "reservations_in_flight",
    "running_runs",
    "spend_by_plan",
    "spend_series",
    "task_costs",
    "task_detail",
    "task_gates",
    "task_ids",
    "task_lines",
    "task_runs",
]  # fmt: skip


def __getattr__(name: str) -> object:
    """Import the module that defines ``name`` on first use, and keep the name here."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
