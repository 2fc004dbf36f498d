"""Read-only queries for the dashboard: frozen dataclasses, never model instances.

The dashboard reads on short-lived threads and posts what it read to the UI thread, so
everything returned here is a plain frozen value. Nothing in this package writes.
"""

from __future__ import annotations

from convergio_tui.store.dashboard_queries.activity import (
    HealthLine,
    RunningRun,
    count_pending_escalations,
    premium_requests_by_provider,
    provider_health,
    running_runs,
    spend_series,
)
from convergio_tui.store.dashboard_queries.budget_events import (
    OverrunLine,
    credits_by_provider,
    credits_by_task,
    overrun_events,
)
from convergio_tui.store.dashboard_queries.detail import (
    GateLine,
    RunLine,
    TaskDetail,
    task_detail,
    task_gates,
    task_runs,
)
from convergio_tui.store.dashboard_queries.escalations import (
    EscalationDetail,
    EscalationLine,
    escalation_detail,
    escalations,
)
from convergio_tui.store.dashboard_queries.plan import (
    PlanChoice,
    PlanHead,
    TaskLine,
    WaveLine,
    default_plan_id,
    plan_choices,
    plan_head,
    plan_waves,
    task_ids,
    task_lines,
)
from convergio_tui.store.dashboard_queries.probe import DbProbe, data_version, probe_database

__all__ = [
    "DbProbe",
    "EscalationDetail",
    "EscalationLine",
    "GateLine",
    "HealthLine",
    "OverrunLine",
    "PlanChoice",
    "PlanHead",
    "RunLine",
    "RunningRun",
    "TaskDetail",
    "TaskLine",
    "WaveLine",
    "count_pending_escalations",
    "credits_by_provider",
    "credits_by_task",
    "data_version",
    "default_plan_id",
    "escalation_detail",
    "escalations",
    "overrun_events",
    "plan_choices",
    "plan_head",
    "plan_waves",
    "premium_requests_by_provider",
    "probe_database",
    "provider_health",
    "running_runs",
    "spend_series",
    "task_detail",
    "task_gates",
    "task_ids",
    "task_lines",
    "task_runs",
]  # fmt: skip
