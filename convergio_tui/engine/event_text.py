"""One line of text per engine event, for every reader of the bus: ``convergio run``'s
progress lines, the headless demo and anything else that prints the engine's story.

Pure: ``match`` on the event classes of :mod:`engine.events`.
"""

from __future__ import annotations

from convergio_tui.engine.events import (
    EngineEvent,
    Notice,
    PlanChanged,
    RunFinished,
    RunStarted,
    TaskChanged,
    WaveChanged,
)

# Task statuses worth a line; `running` is said by RunStarted, with provider and model.
SHOWN_TASK_STATUSES = frozenset(
    {"done", "blocked", "escalated", "failed", "queued", "skipped", "cancelled"}
)
CODE_WIDTH = 10


def describe(event: EngineEvent) -> str:
    """A one-line text for ``event``, or "" for those not worth a line."""
    match event:
        case RunStarted(code=code, provider=provider, model=model, fallback_from=was):
            via = f" (fallback from {was})" if was else ""
            return f"{code:<{CODE_WIDTH}} {'running':<10} {provider}·{model}{via}"
        case TaskChanged(status=status, code=code, task_id=task_id, detail=detail) if (
            status in SHOWN_TASK_STATUSES
        ):
            return f"{code or task_id:<{CODE_WIDTH}} {status:<10} {detail}".rstrip()
        case RunFinished(status=status, code=code, run_id=run_id, error=error) if (
            status != "succeeded"
        ):
            return f"{code:<{CODE_WIDTH}} run {run_id} {status}: {error[:160]}".rstrip(": ")
        case WaveChanged(seq=seq, status=status, detail=detail):
            return f"wave {seq} {status}" + (f": {detail}" if detail else "")
        case Notice(kind="run.node", message=message):  # "T1: run 4 on node host/1a2b3c4d"
            code, _, where = message.partition(": ")
            return f"{code:<{CODE_WIDTH}} {'placed':<10} {where}"
        case Notice(level=level, kind=kind, message=message) if level in ("warning", "error"):
            return f"[{kind}] {message}"
        case PlanChanged(status=status):
            return f"plan {status}"
    return ""
