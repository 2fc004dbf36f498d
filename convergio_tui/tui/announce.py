"""The dashboard's notifications: a toast naming what happened, the terminal bell, and,
when this dashboard runs the engine (``--run``, the demo), the desktop notification and
the webhook (docs/configuration.md, ``notify``).

What is news comes from each poll (:class:`~convergio_tui.tui.poller.PlanDelta`): the
journal's warnings and errors since the last read, the shown plan's status, each
provider's health and the in-process engine's state, through the engine's pure
:class:`~convergio_tui.engine.notify.NewsTracker`. Everything here runs on the UI thread
and only posts: the webhook and ``notify-send`` go out from the engine's notifier thread.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from convergio_tui.engine.notify import NewsTracker, Notification, Notifier
from convergio_tui.engine.notify.model import BUDGET_ALERT, BUDGET_CAPPED, ESCALATION, PLAN_DONE
from convergio_tui.engine.notify.terminal import desktop_channel, osc9, osc777
from convergio_tui.textsafe import markup_safe
from convergio_tui.tui.context import DashboardContext

if TYPE_CHECKING:
    from textual.screen import Screen

    from convergio_tui.tui.poller import PlanDelta

SEVERITY = {"error": "error", "warning": "warning"}
TIMEOUT_S = {"error": 12.0, "warning": 10.0}


class Announcer:
    """Turns each poll into toasts, the bell and (hosting the engine) the desktop
    notification and the webhook; one per main screen, closed with it."""

    def __init__(self, ctx: DashboardContext) -> None:
        self.ctx = ctx
        self.config = ctx.config.notify
        self.tracker = NewsTracker()
        self.after_event: int | None = None  # None: the first read sets the baseline
        self._hosting = False
        notify_send = shutil.which("notify-send")
        self.channel = (
            desktop_channel(self.config.desktop_via, os.environ, notify_send is not None)
            if self.config.desktop
            else None
        )
        self._notify_send = notify_send
        self._notifier: Notifier | None = None

    @property
    def hosting(self) -> bool:
        """This process runs the engine (``--run``, the demo, "Run here"): it sends the
        desktop notification and the webhook too; a dashboard that only watches leaves
        them to the process that runs the plan."""
        return self._hosting or self.ctx.run or self.ctx.engine is not None

    @hosting.setter
    def hosting(self, value: bool) -> None:
        self._hosting = value

    def feed(self, screen: Screen[object], delta: PlanDelta) -> None:
        """Announce what ``delta`` says is new."""
        news: list[Notification] = []
        if delta.head is not None:
            news += self.tracker.plan(delta.head.id, delta.head.name, delta.head.status)
        news += self.tracker.health(
            (h.provider, h.state, h.last_error or h.detail) for h in delta.health
        )
        first = self.after_event is None
        self.after_event = delta.journal_after
        if not first:  # rows older than this dashboard are not news
            news += self.tracker.journal(delta.journal)
        if self.ctx.engine is not None:
            news += self.tracker.engine(self.ctx.engine.state)
        for note in news:
            if note.event in (BUDGET_ALERT, BUDGET_CAPPED):
                # The gauge turning amber or red already toasts and rings (MainScreen):
                # the journal's row (once a day) only goes out of the terminal.
                self.announce(screen, note, toast=False, ring=False)
            else:  # a done plan's toast is the result panel's, with the merge command
                self.announce(screen, note, toast=note.event != PLAN_DONE)

    def announce(
        self, screen: Screen[object], note: Notification, *, toast: bool = True, ring: bool = True,
        outside: bool = True,
    ) -> None:  # fmt: skip
        """Show ``note``: its toast, the bell, and outside the terminal when hosting."""
        if toast:
            body = note.text[:1].upper() + note.text[1:] + "."
            if note.event == ESCALATION:  # the journal's words add nothing to these
                body += " Press e to decide."
            elif note.detail and note.detail not in note.text:
                body += f"\n{note.detail}"
            screen.notify(markup_safe(body), title=markup_safe(note.title, one_line=True),
                          severity=SEVERITY.get(note.level, "information"),  # type: ignore[arg-type]
                          timeout=TIMEOUT_S.get(note.level, 8.0))  # fmt: skip
        if note.event not in self.config.events:
            return
        if ring and self.config.bell:
            screen.app.bell()
        if outside and self.hosting:
            self._outside(screen, note)

    def _outside(self, screen: Screen[object], note: Notification) -> None:
        sequence = {"osc9": osc9, "osc777": osc777}.get(self.channel or "")
        if sequence is not None:
            _write_terminal(screen, sequence(note))
        needs_thread = self.channel == "notify-send" or self.config.webhook_url
        if needs_thread and self._notifier is None:
            self._notifier = Notifier(
                self.config, env=os.environ, secrets=self._secrets,
                notify_send=self._notify_send if self.channel == "notify-send" else None,
            )  # fmt: skip
        if self._notifier is not None:
            self._notifier.submit(note)

    def _secrets(self) -> tuple[str, ...]:
        """The shown plan's project's vault values (read on the notifier's thread)."""
        from convergio_tui.providers.redact import project_secrets
        from convergio_tui.store.queries.plans import plan_runner

        plan = plan_runner(self.ctx.plan_id) if self.ctx.plan_id else None
        return project_secrets(plan.project) if plan is not None else ()

    def close(self) -> None:
        """Send what is queued and stop the notifier's thread (if one was started)."""
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None


def _write_terminal(screen: Screen[object], text: str) -> None:
    """Write an escape sequence to the terminal through Textual's driver, as Textual's
    own ``App.bell`` writes the bell (no public API for an OSC sequence)."""
    app = screen.app
    driver = getattr(app, "_driver", None)
    if not app.is_headless and driver is not None:
        driver.write(text)
