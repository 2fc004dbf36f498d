"""MainScreen: the plan at a glance, refreshed live from SQLite."""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Footer

from convergio_tui.engine.notify import budget_level
from convergio_tui.providers import describer
from convergio_tui.store.queries import PlanHead, RunningRun, SeenRows
from convergio_tui.tui.announce import Announcer
from convergio_tui.tui.context import DEMO_LABEL, DashboardContext
from convergio_tui.tui.main_layout import main_layout
from convergio_tui.tui.messages import EngineNudged, PlanPolled
from convergio_tui.tui.on_top import on_top
from convergio_tui.tui.poller import DataVersions, PlanDelta, PollRequest, read_delta
from convergio_tui.tui.read_state import ReadState
from convergio_tui.tui.screens.main_pages import MainPages
from convergio_tui.tui.timing import TickTimings
from convergio_tui.tui.widgets.budget_gauge import BudgetGauge, GaugeView
from convergio_tui.tui.widgets.filter_bar import FilterBar
from convergio_tui.tui.widgets.handoff_panel import HandoffPanel
from convergio_tui.tui.widgets.health_panel import HealthPanel
from convergio_tui.tui.widgets.output_grid import OutputGrid
from convergio_tui.tui.widgets.plan_header import (
    UNSANDBOXED,
    PlanHeader,
    engine_words,
    overview_line,
)
from convergio_tui.tui.widgets.task_table import TaskTable
from convergio_tui.tui.widgets.wave_progress import WaveProgress

RECHECK_S = 30.0


class MainScreen(MainPages):
    """Header, waves, budget, health, tasks and output; polls without overlap."""

    # In the footer in this order: what a person needs most comes first, so that on a
    # narrow terminal it is the rest that falls off the right edge (? lists them all).
    BINDINGS = [
        Binding("q", "app.request_quit", "Quit", id="main.quit"),
        Binding("question_mark", "app.toggle_help_panel", "Keys", id="main.keys"),
        Binding("slash", "filter", "Filter", id="tasks.filter"),
        Binding("n", "next_needing", "Next for you", id="tasks.next-needing"),
        Binding("escape", "clear_filter", "Clear filter", id="tasks.clear-filter"),
        Binding("e", "escalations", "Escalations", id="escalations.open"),
        Binding("p", "toggle_pause", "Pause/Resume", id="plan.toggle-pause"),
        Binding("c", "cancel_task", "Cancel task", id="task.cancel"),
        Binding("s", "switch_plan", "Plans", id="plan.switch"),
        Binding("N", "new_plan", "New plan", id="plan.new"),
        Binding("f", "toggle_output", "Focus output", id="output.focus"),
        Binding("t", "app.change_theme", "Theme", show=False, id="theme.switch"),
    ]

    def __init__(self, ctx: DashboardContext) -> None:
        super().__init__(id="main")
        self.ctx = ctx
        self.head: PlanHead | None = None
        self.polls = 0  # finished polls, for tests and the benchmark
        self._running: tuple[RunningRun, ...] = ()
        self._versions = DataVersions()
        # The changed rows the reads returned, each shown since (poller.read_delta): used
        # by the read worker only, one read at a time; cleared when a read was not shown.
        self._seen = SeenRows()
        self._in_flight = False
        self._force = True
        self.reads = ReadState(first_page=ctx.first_page)  # the watermark, the plan's load
        self.announcer = Announcer(ctx)  # toasts, the bell; hosting the engine: the rest
        self._last_delta: PlanDelta | None = None  # the last read shown
        self._next: Timer | None = None  # the scheduled read, if any
        self.timers: list[Timer] = []  # the clock and the output flush, stopped on unmount
        self._last_read = time.monotonic()
        self.timings = TickTimings()

    def compose(self) -> ComposeResult:
        """The layout; sizes live in themes/dashboard.tcss."""
        unsandboxed = self.ctx.config.sandbox.mode == "off"
        yield PlanHeader(
            id="plan-header",
            badge=DEMO_LABEL if self.ctx.demo else "",
            alert=UNSANDBOXED if unsandboxed else "",
        )
        with Horizontal(id="overview"):
            yield WaveProgress(id="waves")
            yield BudgetGauge(id="budget")
            yield HealthPanel(id="health")
        yield FilterBar(id="task-filter")
        yield TaskTable(id="tasks")
        yield HandoffPanel(id="handoff", worktrees=self.ctx.config.execution.worktrees)
        yield OutputGrid(id="output")
        yield Footer()

    def on_resize(self) -> None:
        """Tighter layout on small terminals; the heights are shared out again."""
        self.set_class(self.size.width < 130, "-narrow")
        self.set_class(self.size.height < 38, "-short")
        self.relayout()

    def relayout(self) -> None:
        """Share the height between the overview, the table and the output panes
        (tui/main_layout.py): the table as tall as its rows, up to its share."""
        if not self.is_mounted:
            return
        table, grid = self.query_one(TaskTable), self.query_one(OutputGrid)
        extra = sum(
            w.outer_size.height for w in (self.query_one(FilterBar), self.query_one(HandoffPanel))
            if w.display
        )  # fmt: skip
        shares = main_layout(self.size.height, table.shown_rows, live=bool(self._running),
                             extra=extra, output_focused=grid.focused_mode)  # fmt: skip
        overview = self.query_one("#overview")
        overview.display = shares.overview > 0
        if shares.overview and overview.styles.height != shares.overview:
            overview.styles.height = shares.overview
        if table.styles.height is None or table.styles.height.value != shares.table:
            table.styles.height = shares.table
        self._fold_overview(shares.overview == 0)

    def _fold_overview(self, folded: bool) -> None:
        """On a short terminal the header's third line stands in for the overview."""
        delta = self._last_delta
        line = None
        if folded and delta is not None:
            width = self.query_one(PlanHeader).content_region.width or self.size.width
            line = overview_line(delta.budget, delta.health, delta.waves, self.ctx.clock(), width)
        self.query_one(PlanHeader).fold(line)

    def on_mount(self) -> None:
        """Start polling, the one-second clock and the output flush."""
        self.query_one(TaskTable).focus()
        self.timers = [self.set_interval(1.0, self._tick), self.set_interval(0.1, self._flush)]
        self.poll_now()

    # -- polling: one read at a time, the next scheduled when the last is applied --------

    def poll_now(self, *, force: bool = False) -> None:
        """Read now (or as soon as the read in flight returns)."""
        self._force = self._force or force
        if self._next is not None:  # one schedule at a time: this call replaces it
            self._next.stop()
            self._next = None
        if self._in_flight:
            return  # its completion schedules the next read
        if not on_top(self):  # covered by a modal: try again later
            self._next = self.set_timer(self.ctx.poll_interval_s, self.poll_now)
            return
        self._in_flight = True
        table = self.query_one(TaskTable)
        request = self.reads.request(self.ctx.plan_id, force=self._force,
                                     after_event=self.announcer.after_event,
                                     known=table.known_ids)  # fmt: skip
        self._force = False
        # Even with no commit seen, re-read now and then: the day turns, cooldowns end.
        recheck = time.monotonic() - self._last_read > RECHECK_S
        self._read(request, recheck)

    @work(thread=True, group="poll", exit_on_error=False)
    def _read(self, request: PollRequest, recheck: bool) -> None:
        try:
            if not (request.force or recheck) and self._versions.unchanged():
                self.post_message(PlanPolled(None))
                return
            delta = read_delta(request, self.ctx.config, self.ctx.clock(), self._seen)
            self.post_message(PlanPolled(delta))
        except Exception as exc:  # the database went away or is locked: say so, keep polling
            self._seen.clear()  # the rows it held may not be shown
            self.post_message(PlanPolled(None, f"{type(exc).__name__}: {exc}"))

    def on_plan_polled(self, message: PlanPolled) -> None:
        """Apply a read and schedule the next one."""
        # The app is shutting down: its widgets are being closed, a read has nowhere to go.
        if self._pruning or not self.app._running:
            return
        with self.timings.measure("poll"):
            self._polled(message)

    def _polled(self, message: PlanPolled) -> None:
        self._in_flight = False
        self.polls += 1
        header = self.query_one(PlanHeader)
        if message.error is not None:
            header.show(
                None, "", self.ctx.clock(), f"database unavailable, retrying: {message.error}"
            )
            self._force = True
        elif message.delta is not None:
            self._last_read = time.monotonic()
            if message.delta.plan_id == self.ctx.plan_id or self.ctx.plan_id is None:
                self.apply(message.delta)
            else:  # the plan was switched while this read was in flight
                self._seen.clear()  # no read is in flight now: the worker is done with it
                self._force = True
        if message.error is not None:  # back off: do not hammer a database that fails
            self._next = self.set_timer(max(2.0, 4 * self.ctx.poll_interval_s), self.poll_now)
        elif self._force:
            self.call_later(self.poll_now)
        else:
            self._next = self.set_timer(self.ctx.poll_interval_s, self.poll_now)

    def apply(self, delta: PlanDelta) -> None:
        """Show one read: widgets take what changed."""
        now = self.ctx.clock()
        self.head = delta.head
        self._last_delta = delta
        if delta.plan_id is not None and self.ctx.plan_id is None:
            self.ctx.plan_id = delta.plan_id
        self.query_one(PlanHeader).show(
            delta.head, self._engine_label(delta.head), now, self._missing()
        )
        self.query_one(WaveProgress).show(delta.waves)
        self.query_one(HandoffPanel).show(delta.head)  # once done: the final branch, merge
        self.query_one(BudgetGauge).show(GaugeView.of(delta))
        self.query_one(HealthPanel).show(delta.health, now)
        table = self.query_one(TaskTable)
        # While the plan's rows are read page by page, the pages bring the tasks not in yet.
        table.apply(delta.tasks, delta.task_ids, now,
                    known_only=self.reads.loading and not delta.full)  # fmt: skip
        self.reads.read(delta)
        if delta.full and delta.head is not None:
            table.settle(delta.head.tasks)
            table.expect(delta.head.tasks if delta.more is not None else 0)
            if delta.more is not None:
                self._next_page(self.reads.load, delta.plan_id, delta.more)
        if delta.head is not None and self.reads.counted(delta.head.tasks, table.known_rows):
            self._force = True  # tasks were added or deleted: check the ids at once
        self.follow_runs(delta.running)
        self.relayout()  # rows came, went or were filtered; runs started or ended
        self.announcer.feed(self, delta)  # escalations named, plans ending, providers down…
        self.update_bindings()

    def follow_runs(self, running: tuple[RunningRun, ...]) -> None:
        """Tail the live runs' logs and give the panes to the right ones."""
        tailer = self.ctx.tailer
        live = {r.run_id for r in running}
        for run_id in tailer.following() - live:
            tailer.unfollow(run_id)
        for run in running:
            if run.log_path:  # the panes read the provider's JSON as a person would
                tailer.follow(run.run_id, run.log_path, describer(run.provider))
        self._running = running
        grid = self.query_one(OutputGrid)
        before = set(grid.shown_run_ids)
        grid.show(running, self.query_one(TaskTable).selected_task_id, self.ctx.clock())
        for run_id in set(grid.shown_run_ids) - before:
            tailer.rewind(run_id)  # a new pane starts with the last few KB of its log

    def _engine_label(self, head: PlanHead | None) -> tuple[str, str]:
        here = self.ctx.engine.state if self.ctx.engine is not None else None
        return engine_words(here, head.runner_pid if head is not None else None)

    def _missing(self) -> str:
        if self.ctx.plan_id is None:
            return "No plan yet: N drafts one from a goal, or: convergio plan import SPEC.yaml"
        return f"Plan #{self.ctx.plan_id} was not found (press s to choose a plan)."

    def _tick(self) -> None:
        if not on_top(self):
            return
        with self.timings.measure("clock"):
            now = self.ctx.clock()
            self.query_one(PlanHeader).tick(now)
            self.query_one(TaskTable).tick(now)
            self.query_one(HealthPanel).tick(now)
            self.query_one(OutputGrid).tick(now)

    def _flush(self) -> None:
        if on_top(self):
            with self.timings.measure("output"):
                self.query_one(OutputGrid).flush(self.ctx.tailer)

    def on_screen_resume(self) -> None:
        """Back from a modal or another screen: catch up at once."""
        self.poll_now(force=True)

    def on_engine_nudged(self, _message: EngineNudged) -> None:
        """The in-process engine changed something: do not wait for the next tick."""
        self.poll_now()

    @on(DataTable.RowHighlighted, "#tasks")
    def _selection_moved(self) -> None:
        grid = self.query_one(OutputGrid)
        grid.show(self._running, self.query_one(TaskTable).selected_task_id, self.ctx.clock())
        self.update_bindings()

    @on(DataTable.RowSelected, "#tasks")
    def _task_chosen(self) -> None:
        self.action_open_task()

    def on_budget_gauge_level_raised(self, message: BudgetGauge.LevelRaised) -> None:
        """Amber or red: tell the person, once per level, with the terminal bell (the
        engine's journal row of it goes out of the terminal: tui/announce.py)."""
        status = message.status
        note = budget_level(message.level, status.spent_usd, status.cap_usd, status.pct,
                            status.enforce)  # fmt: skip
        self.announcer.announce(self, note, outside=False)

    def on_unmount(self) -> None:
        """Stop every timer of this screen (none may fire once it is gone), then send
        what is still queued for the desktop and the webhook."""
        for timer in [*self.timers, *([self._next] if self._next is not None else [])]:
            timer.stop()
        self._next = None
        self.announcer.close()
