"""EscalationsScreen: the inbox of tasks Thor gave up on, waiting for a person.

Enter opens the selected escalation's dialog; ``a``, ``r`` and ``x`` open it asking that
decision once more (approve, retry, reject): the same key again decides, esc takes it back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from convergio_tui.store.queries import EscalationView, pending
from convergio_tui.textsafe import one_line
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.format import available, duration, money
from convergio_tui.tui.on_top import on_top
from convergio_tui.tui.worker_failures import ReportsWorkerFailures

COLUMNS = ("#", "task", "title", "plan", "rounds", "waiting", "spend", "reason")


def row_cells(e: EscalationView, now: float) -> tuple[Text, ...]:
    """One inbox row, in :data:`COLUMNS` order (text from agents made one printable line)."""
    reason = one_line(e.reason)
    return (
        Text(str(e.id)), Text(one_line(e.task_code), style="bold"), Text(one_line(e.task_title)),
        Text(one_line(e.plan_name)),
        Text(str(e.round), justify="right"), Text(duration(now - e.created_at), justify="right"),
        Text(money(e.spend_usd), justify="right"),
        Text(f"⚠ {reason}", style="bold") if e.conflict else Text(reason),
    )  # fmt: skip


class EscalationTable(DataTable[Text]):
    """The inbox table; enter is shown in the footer as "Decide"."""

    BINDINGS = [Binding("enter", "select_cursor", "Decide", id="escalations.decide")]


class EscalationsScreen(ReportsWorkerFailures, Screen[None]):
    """Pending escalations of every plan, oldest first; enter opens the decision."""

    BINDINGS = [
        Binding("a", "open('approve')", "Approve", id="escalations.approve"),
        Binding("r", "open('retry')", "Retry", id="escalations.retry"),
        Binding("x", "open('reject')", "Reject", id="escalations.reject"),
        Binding("ctrl+r", "reload", "Refresh", id="escalations.refresh"),
        Binding("escape", "app.pop_screen", "Back", id="escalations.back"),
    ]

    class Listed(Message):
        """The pending escalations were read."""

        def __init__(self, lines: tuple[EscalationView, ...]) -> None:
            super().__init__()
            self.lines = lines

    def __init__(self, ctx: DashboardContext) -> None:
        super().__init__(id="escalations")
        self.ctx = ctx
        self.lines: tuple[EscalationView, ...] = ()

    def compose(self) -> ComposeResult:
        """A title, the table, the footer."""
        yield Static(
            "Escalation inbox — tasks rejected three times by Thor", id="escalations-title"
        )
        yield EscalationTable(id="escalations-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="escalations-empty")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, first read, and a slow refresh while open."""
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        table.border_title = "Pending escalations"
        table.focus()
        self.action_reload()
        self.set_interval(3.0, self._auto_reload)

    def _auto_reload(self) -> None:
        if on_top(self):
            self.action_reload()

    def action_reload(self) -> None:
        """Read the inbox again."""
        self._list()

    @work(thread=True, group="escalations", exclusive=True, exit_on_error=False)
    def _list(self) -> None:
        self.post_message(self.Listed(tuple(pending())))

    def on_escalations_screen_listed(self, message: EscalationsScreen.Listed) -> None:
        """Update the table in place by row key: changed cells, new rows at the end (the
        inbox is oldest first), decided ones removed; the cursor stays on its row."""
        self.lines = message.lines
        table = self.query_one(EscalationTable)
        now = self.ctx.clock()
        wanted = {str(e.id): row_cells(e, now) for e in message.lines}
        # The cursor follows its escalation, not its row number, as rows come and go.
        at = table.cursor_coordinate
        mark = table.coordinate_to_cell_key(at).row_key if table.is_valid_coordinate(at) else None
        for gone in [k for k in table.rows if k.value not in wanted]:
            table.remove_row(gone)
        for key, cells in wanted.items():
            if key not in table.rows:
                table.add_row(*cells, key=key)
                continue
            for column, cell in zip(COLUMNS, cells, strict=True):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell)
        if mark is not None and mark in table.rows:
            table.move_cursor(row=table.get_row_index(mark))
        elif table.row_count and table.cursor_row >= table.row_count:  # its row was decided
            table.move_cursor(row=table.row_count - 1)
        table.border_title = f"Pending escalations · {len(message.lines)}"
        empty = "" if message.lines else "Nothing waits for you. Escalated tasks appear here."
        self.query_one("#escalations-empty", Static).update(empty)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Deciding needs a row."""
        if action == "open":
            return available(bool(self.lines))
        return True

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open()

    def action_open(self, ask: str | None = None) -> None:
        """Open the approval modal for the escalation under the cursor; with ``ask``, it
        opens asking that decision once more (its evidence and warning in view)."""
        from convergio_tui.tui.screens.approval import ApprovalModal

        table = self.query_one(DataTable)
        if not self.lines or not table.is_valid_coordinate(table.cursor_coordinate):
            return
        esc_id = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

        def closed(_result: ActionResult | None) -> None:
            self.action_reload()

        self.app.push_screen(ApprovalModal(self.ctx, escalation_id=esc_id, ask=ask), closed)
