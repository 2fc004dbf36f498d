"""What the engine tells its listeners, and the journal (``event`` table) it keeps.

Listeners (the ``convergio run`` progress display, the dashboard) receive the frozen
dataclasses below from engine threads; they must be quick and thread-safe. The
journal is the durable side: fallbacks, cooldowns, alerts and refusals are written to
the ``event`` table so a later reader (the dashboard, a person) sees why things happened.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convergio_tui.store.models import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskChanged:
    """A task moved to ``status`` (``detail`` says why when there is something to say)."""

    task_id: int
    status: str
    code: str = ""
    detail: str = ""


@dataclass(frozen=True)
class RunStarted:
    """A task was dispatched to a provider."""

    run_id: int
    task_id: int
    code: str
    provider: str
    model: str
    log_path: str
    fallback_from: str | None = None


@dataclass(frozen=True)
class RunFinished:
    """A dispatch ended (``status`` is the run row's status)."""

    run_id: int
    task_id: int
    code: str
    status: str
    cost_usd: float
    error: str = ""


@dataclass(frozen=True)
class WaveChanged:
    """A wave moved to ``status``."""

    wave_id: int
    seq: int
    status: str
    detail: str = ""


@dataclass(frozen=True)
class PlanChanged:
    """The plan moved to ``status``."""

    plan_id: int
    status: str


@dataclass(frozen=True)
class Notice:
    """Something recorded in the journal: a fallback, a cooldown, an alert, a refusal."""

    level: str
    kind: str
    message: str
    task_id: int | None = None


# Output lines are not events: readers tail each run's log file (tui/tailer.py).
EngineEvent = TaskChanged | RunStarted | RunFinished | WaveChanged | PlanChanged | Notice
Listener = Callable[[EngineEvent], None]


def _identity(text: str) -> str:
    return text


def _masked(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` (a journal row's data) with every string in it redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _masked(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v, redact) for v in value]
    return value


class Bus:
    """Fans events out to one optional listener; a failing listener never stops the engine.

    ``redact`` (the project's vault redactor, set by the executor once it knows the
    project) masks the text of every event and journal row: a detail or an error quoted
    from an agent must not carry a secret to the screen or into the ``event`` table.
    """

    def __init__(
        self, listener: Listener | None = None, redact: Callable[[str], str] | None = None
    ) -> None:
        self.listener = listener
        self.redact: Callable[[str], str] = _identity
        self.use_redactor(redact)

    def use_redactor(self, redact: Callable[[str], str] | None) -> None:
        """Mask events and journal rows with ``redact`` from now on (None: no masking)."""
        # An empty Redactor is falsy: skip the per-event work when there is nothing to mask.
        self.redact = redact or _identity

    def _clean(self, event: EngineEvent) -> EngineEvent:
        if self.redact is _identity:
            return event
        # Any: mypy types replace() on a union of event classes as taking no field at all.
        changes: dict[str, Any] = {
            f.name: self.redact(getattr(event, f.name))
            for f in dataclasses.fields(event)
            if f.type == "str" and isinstance(getattr(event, f.name), str)
        }
        return dataclasses.replace(event, **changes)

    def emit(self, event: EngineEvent) -> None:
        """Deliver ``event`` (errors in the listener are logged and swallowed)."""
        if self.listener is None:
            return
        try:
            event = self._clean(event)
            self.listener(event)
        except Exception:  # a broken UI must not kill a run
            log.exception("engine listener failed on %r", event)

    def journal(
        self,
        kind: str,
        message: str,
        *,
        level: str = "info",
        plan_id: int | None = None,
        task_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Record an ``event`` row and tell the listener."""
        if self.redact is not _identity:
            message, data = self.redact(message), _masked(data, self.redact)
        record(kind, message, level=level, plan_id=plan_id, task_id=task_id, data=data)
        self.emit(Notice(level, kind, message, task_id))

    def notify(self, level: str, kind: str, message: str, task_id: int | None = None) -> None:
        """Tell the listener about a journal row someone else already wrote."""
        self.emit(Notice(level, kind, message, task_id))


def record(
    kind: str,
    message: str,
    *,
    level: str = "info",
    plan_id: int | None = None,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one journal row."""
    Event.create(level=level, kind=kind, plan=plan_id, task=task_id, message=message, data=data)
