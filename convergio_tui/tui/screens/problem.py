"""ProblemScreen: a database that cannot be shown, said plainly, with what to do."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.migrations import SCHEMA_VERSION
from convergio_tui.store.queries import DbProbe
from convergio_tui.textsafe import printable
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.messages import DatabaseChecked, RecheckRequested
from convergio_tui.tui.worker_failures import ReportsWorkerFailures

TITLES = {
    "missing": "No database here yet",
    "locked": "The database is locked",
    "too_old": "The database needs an upgrade",
    "too_new": "The database is newer than this Convergio",
    "unreadable": "The database cannot be read",
}
HINTS = {
    "missing": "Create it with  convergio init  (or import a plan), or point at another file "
    "with  --db FILE  or  CONVERGIO_DB.",
    "locked": "Another process holds an exclusive lock on it. The dashboard tries again every "
    "few seconds; press r to try now.",
    "too_old": f"Press m to upgrade it to schema version {SCHEMA_VERSION} now (any convergio "
    "command does the same when it starts). Stop a running older Convergio first.",
    "too_new": "Upgrade Convergio (pip install -U convergio-tui), or use another database "
    "with  --db FILE.",
    "unreadable": "Check the path: it may not be a Convergio database, or it may be damaged.",
}


class ProblemScreen(ReportsWorkerFailures, Screen[None]):
    """What is wrong with the database and the keys that help."""

    BINDINGS = [
        Binding("r", "retry", "Try again", id="problem.retry"),
        Binding("m", "migrate", "Upgrade database", id="problem.migrate"),
        Binding("q", "app.quit", "Quit", id="problem.quit"),
    ]

    def __init__(self, ctx: DashboardContext, probe: DbProbe) -> None:
        super().__init__(id="problem")
        self.ctx = ctx
        self.probe = probe

    def compose(self) -> ComposeResult:
        """A boxed message in the middle of the screen."""
        with Middle(), Center(), Vertical(id="problem-box", classes="dialog"):
            yield Static(Content.styled(TITLES.get(self.probe.state, "Problem"), "bold $error"),
                         id="problem-title")  # fmt: skip
            yield Static(Content(printable(self.probe.message)), id="problem-message")
            yield Static(Content(HINTS.get(self.probe.state, "")), id="problem-hint")
            yield Static(
                Content.styled(printable(f"database: {self.probe.path}"), "$foreground-muted")
            )
        yield Footer()

    def on_mount(self) -> None:
        """A lock usually goes away: retry by itself."""
        if self.probe.state == "locked":
            self.set_interval(3.0, self.action_retry)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Upgrading is only for an older schema."""
        if action == "migrate":
            return self.probe.state == "too_old"  # hidden, not dimmed: it only fits one case
        return True

    def action_retry(self) -> None:
        """Probe the database again (the App goes back to the start-up check)."""
        self.post_message(RecheckRequested())

    def action_migrate(self) -> None:
        """Apply the pending migrations, then open the dashboard."""
        if self.probe.state == "too_old":
            self.query_one("#problem-hint", Static).update("Upgrading…")
            self._migrate()

    @work(thread=True, exit_on_error=False)
    def _migrate(self) -> None:
        try:
            open_database(self.ctx.db_path)
            close_database()
        except Exception as exc:
            probe = DbProbe("unreadable", self.probe.path, f"The upgrade failed: {exc}.")
            self.post_message(DatabaseChecked(probe))
            return
        self.post_message(DatabaseChecked(DbProbe("ok", self.probe.path, "")))

    def on_database_checked(self, message: DatabaseChecked) -> None:
        """Open the upgraded database, or show why the upgrade failed."""
        message.stop()  # this screen's own upgrade: the App hears a recheck instead
        if message.probe.ok:
            self.action_retry()
            return
        self.probe = message.probe
        self.query_one("#problem-message", Static).update(Content(printable(message.probe.message)))
        self.refresh_bindings()
