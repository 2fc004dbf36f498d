"""StartupScreen: check the database off the UI thread, then show the plan or a problem."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from convergio_tui.store.db import open_database
from convergio_tui.store.queries import DbProbe, default_plan_id, probe_database
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.messages import DatabaseChecked
from convergio_tui.tui.worker_failures import ReportsWorkerFailures


class StartupScreen(ReportsWorkerFailures, Screen[None]):
    """A moment's "opening…" while the database is probed and bound."""

    def __init__(self, ctx: DashboardContext) -> None:
        super().__init__(id="startup")
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        """One line in the middle."""
        with Middle(), Center():
            yield Static(f"Opening {self.ctx.db_path} …", id="startup-text")

    def on_mount(self) -> None:
        """Probe on a worker thread."""
        self._probe()

    @work(thread=True, exit_on_error=False)
    def _probe(self) -> None:
        probe = probe_database(self.ctx.db_path)
        if probe.ok:
            try:
                # Binds the models for every thread; the schema is current, nothing migrates.
                open_database(self.ctx.db_path, migrate_schema=False)
                if self.ctx.plan_id is None:
                    self.ctx.plan_id = default_plan_id()
            except Exception as exc:  # locked between the probe and now, for instance
                probe = DbProbe(
                    "unreadable", str(self.ctx.db_path), f"Cannot open the database: {exc}."
                )
        self.post_message(DatabaseChecked(probe))
