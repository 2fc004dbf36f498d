"""HandoffPanel: once the plan is done, where its result is and how to take it.

Hidden while the plan runs. When the header shows the plan ``done`` the panel reads the
plan's hand-off on a worker thread — the ``plan.handoff`` event the engine recorded
(``engine.handoff_read.recorded``), or, for a plan finished before there was one, the same
hand-off read from the store and git — and shows the final wave branch, its diff stat
against the base branch and the commands to review and merge it (the text of
``convergio run``). The first time per plan it also says so in a notification.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from convergio_tui.engine.handoff import Handoff, handoff_lines, headline
from convergio_tui.engine.handoff_read import read, recorded
from convergio_tui.store.queries import PlanHead
from convergio_tui.store.states import PlanStatus
from convergio_tui.textsafe import markup_safe, one_line

Key = tuple[int, float | None]  # the plan and when it finished: a new finish, a new read


class HandoffPanel(Static):
    """The plan's hand-off under the task table; ``show`` feeds it every poll."""

    DEFAULT_CSS = """
    HandoffPanel {
        display: none;
        height: auto;
        max-height: 16;
        padding: 0 1;
        border: round $success;
        border-title-color: $success;
        border-title-style: bold;
    }
    HandoffPanel.-shown {
        display: block;
    }
    """

    @dataclass
    class Loaded(Message):
        """A read of the hand-off ended: ``handoff`` (None: none), or ``error``."""

        key: Key
        handoff: Handoff | None
        error: str = ""

    def __init__(self, *, worktrees: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.worktrees = worktrees  # execution.worktrees, for a plan with no recorded hand-off
        self.handoff: Handoff | None = None
        self._key: Key | None = None
        self._announced: set[int] = set()

    def show(self, head: PlanHead | None) -> None:
        """Follow the plan: hidden unless it is done; read once per finish."""
        if head is None or head.status != PlanStatus.DONE:
            if self._key is not None:
                self._key, self.handoff = None, None
                self.remove_class("-shown")
            return
        key: Key = (head.id, head.finished_at)
        if key != self._key:
            self._key = key
            self._load(key)

    @work(thread=True, group="handoff", exclusive=True, exit_on_error=False)
    def _load(self, key: Key) -> None:
        try:
            found = recorded(key[0]) or read(key[0], worktrees=self.worktrees)
        except Exception as exc:  # a locked database: read again at the next poll
            self.post_message(self.Loaded(key, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Loaded(key, found))

    def on_handoff_panel_loaded(self, message: HandoffPanel.Loaded) -> None:
        """Show what was read (unless the plan changed meanwhile)."""
        message.stop()
        if message.key != self._key:
            return
        if message.error or message.handoff is None:
            self._key = None  # try again on the next poll
            return
        found = self.handoff = message.handoff
        # Paths and branch names come from the configuration and git: shown as written.
        self.border_title = markup_safe(f"Result · {headline(found)}", one_line=True)
        self.update(Content("\n".join(one_line(line) for line in handoff_lines(found))))
        self.add_class("-shown")
        plan_id = message.key[0]
        if plan_id not in self._announced:
            self._announced.add(plan_id)
            self.notify(markup_safe(f"Plan #{plan_id} is done: {headline(found)}. "
                                    "The commands are in the result panel."),
                        title="Plan done", timeout=12)  # fmt: skip
