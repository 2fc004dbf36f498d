"""Messages worker threads post to the UI (past tense: something already happened)."""

from __future__ import annotations

from textual.message import Message

from convergio_tui.store.queries import DbProbe, TaskLine
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.poller import PlanDelta


class DatabaseChecked(Message):
    """The database was probed: open it, or explain why not."""

    def __init__(self, probe: DbProbe) -> None:
        super().__init__()
        self.probe = probe


class RecheckRequested(Message):
    """A screen asks to probe the database again (the App goes back to the start-up check)."""


class PlanPolled(Message):
    """A poll finished: ``delta`` is None when nothing changed, ``error`` when it failed."""

    def __init__(self, delta: PlanDelta | None, error: str | None = None) -> None:
        super().__init__()
        self.delta = delta
        self.error = error


class TasksPaged(Message):
    """A page of the plan's task rows was read (``error``: it could not be)."""

    def __init__(
        self, load: int, plan_id: int, after: tuple[int, str],
        lines: tuple[TaskLine, ...], error: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.load = load  # the load it is of (ReadState.load)
        self.plan_id = plan_id
        self.after = after  # where it starts: the place it was read after
        self.lines = lines
        self.error = error


class ActionFinished(Message):
    """A control action (pause, resume, cancel, decide) returned."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__()
        self.result = result


class EngineNudged(Message):
    """The in-process engine reported a state change: poll soon."""

    def can_replace(self, message: Message) -> bool:
        """Many nudges in a row are worth one poll."""
        return isinstance(message, EngineNudged)
