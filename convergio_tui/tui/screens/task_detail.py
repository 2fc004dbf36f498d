"""TaskDetailScreen: prompt, why this provider, every run, every gate, and the work itself:
the log (as the panes describe it, or raw, with search), the diff, the agent's answer."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import Worker

from convergio_tui.store.queries import TaskDetail, task_detail
from convergio_tui.store.states import TASK_ACTIVE, TASK_DECIDABLE
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.format import available, duration, elapsed, money, status_content
from convergio_tui.tui.on_top import on_top
from convergio_tui.tui.screens.rerun import RerunsTask
from convergio_tui.tui.task_log import LogChunk, read_new_log
from convergio_tui.tui.widgets.answer_view import AnswerView
from convergio_tui.tui.widgets.diff_view import DiffView
from convergio_tui.tui.widgets.gate_evidence import GateEvidence
from convergio_tui.tui.widgets.log_view import TaskLogView
from convergio_tui.tui.widgets.run_table import RunTable
from convergio_tui.tui.worker_failures import ReportsWorkerFailures

# Where a task's work is read: the answer is the result of these; the log of the rest.
ANSWER_FIRST = frozenset({"review", "research"})


class TaskDetailScreen(ReportsWorkerFailures, RerunsTask, Screen[None]):
    """Everything about one task; refreshes by itself while the task is active."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("r", "rerun", "Re-run", id="detail.rerun"),  # screens/rerun.py
        Binding("ctrl+r", "reload", "Refresh", id="detail.refresh"),
        Binding("d", "decide", "Decide escalation", id="detail.decide"),
        Binding("l", "show_tab('detail-tab-log')", "Log", id="detail.log"),
        Binding("v", "show_tab('detail-tab-diff')", "Diff", id="detail.diff"),
        Binding("t", "show_tab('detail-tab-answer')", "Answer", id="detail.answer"),
        Binding("slash,ctrl+f", "search_log", "Search log", id="detail.search"),
    ]
    DEFAULT_CSS = """
    #detail-work { width: 1fr; border: round $frame; border-title-color: $foreground;
                   border-title-style: bold; }
    #detail-work TabPane { padding: 0; }
    """

    class Loaded(Message):
        """The task and the new part of its log were read."""

        def __init__(self, detail: TaskDetail | None, log: LogChunk) -> None:
            super().__init__()
            self.detail = detail
            self.log = log

    def __init__(self, ctx: DashboardContext, task_id: int) -> None:
        super().__init__(id="task-detail")
        self.ctx = ctx
        self.task_id = task_id
        self.detail: TaskDetail | None = None
        self._offsets: dict[int, int] = {}
        self._loading = False
        self._diff_for: tuple[str, int] | None = None  # (status, round) the diff was read at

    def compose(self) -> ComposeResult:
        """Title, prompt and reasons, runs, gates and log."""
        yield Static("reading the task…", id="detail-title")
        with Horizontal(id="detail-top"):
            with VerticalScroll(id="detail-prompt"):
                yield Static("", id="detail-prompt-text")
            with VerticalScroll(id="detail-reasons"):
                yield Static("", id="detail-reasons-text")
        yield RunTable(id="detail-runs")
        with Horizontal(id="detail-bottom"):
            yield GateEvidence(id="detail-gates")
            with TabbedContent(id="detail-work"):
                with TabPane("Log", id="detail-tab-log"):
                    yield TaskLogView(id="detail-log-view")
                with TabPane("Diff", id="detail-tab-diff"):
                    yield DiffView(id="detail-diff")
                with TabPane("Answer", id="detail-tab-answer"):
                    yield AnswerView(id="detail-answer")
        yield Footer()

    def on_mount(self) -> None:
        """Label the boxes, read, and keep reading while the task moves."""
        self.query_one("#detail-prompt").border_title = "Prompt"
        self.query_one("#detail-reasons").border_title = "Why this provider"
        self.query_one("#detail-gates").border_title = "Thor gate results by round"
        self.query_one("#detail-work").border_title = "The work: l log · v diff · t answer"
        self.action_reload()
        self.set_interval(2.0, self._auto_reload)

    def _auto_reload(self) -> None:
        if self.detail is not None and self.detail.line.status in TASK_ACTIVE and on_top(self):
            self.action_reload()

    def action_reload(self) -> None:
        """Read the task again (and any new log lines)."""
        if not self._loading:
            self._loading = True
            self._load(dict(self._offsets))

    @work(thread=True, group="detail", exit_on_error=False)
    def _load(self, offsets: dict[int, int]) -> None:
        detail = task_detail(self.task_id)
        log = read_new_log(detail.runs, offsets) if detail is not None else LogChunk((), (), ())
        self.post_message(self.Loaded(detail, log))

    def worker_failed(self, worker: Worker[object]) -> None:
        """A read that failed (a locked or changed database): say so and read again later,
        instead of waiting for that read forever."""
        self._loading = False
        self.query_one("#detail-title", Static).update(
            f"Task {self.task_id}: could not read it ({one_line(str(worker.error))[:200]}); "
            "retrying"
        )
        self.set_timer(2.0, self.action_reload)

    def on_task_detail_screen_loaded(self, message: TaskDetailScreen.Loaded) -> None:
        """Show what was read."""
        self._loading = False
        detail = message.detail
        if detail is None:
            self.query_one("#detail-title", Static).update(f"Task {self.task_id} no longer exists.")
            return
        self.detail = detail
        self._offsets = dict(message.log.offsets)
        now = self.ctx.clock()
        self.query_one("#detail-title", Static).update(self._title(detail, now))
        # The prompt holds the plan author's text and agents' output quoted by Thor.
        self.query_one("#detail-prompt-text", Static).update(Content(printable(detail.prompt)))
        self.query_one("#detail-reasons-text", Static).update(self._reasons(detail))
        self.query_one(RunTable).show(detail.runs, now)
        self.query_one(GateEvidence).show(detail.gates)
        self._show_work(detail, message.log)
        self.refresh_bindings()

    def _show_work(self, detail: TaskDetail, log: LogChunk) -> None:
        """New log lines, the answer, and the diff when the task moved on (a new round's
        work is committed as the status changes); the first read picks the tab."""
        first = self._diff_for is None
        if log.described or log.raw:
            self.query_one(TaskLogView).write(log)
        self.query_one(AnswerView).show(detail.answer)
        moved = (detail.line.status, detail.line.round)
        if moved != self._diff_for:
            self._diff_for = moved
            diff = self.query_one(DiffView)
            if first:
                diff.show_task(self.task_id)
            else:
                diff.reload()
        if first and detail.line.type in ANSWER_FIRST:
            self.query_one(TabbedContent).active = "detail-tab-answer"

    def action_show_tab(self, tab: str) -> None:
        """Show the log, the diff or the answer, and give it the keys."""
        self.query_one(TabbedContent).active = tab
        target = {"detail-tab-log": "#detail-log-view LineView", "detail-tab-diff": "#detail-diff LineView",
                  "detail-tab-answer": "#detail-answer"}[tab]  # fmt: skip
        self.query_one(target).focus()

    def action_search_log(self) -> None:
        """Search the log (shown first if another tab was)."""
        self.query_one(TabbedContent).active = "detail-tab-log"
        self.query_one(TaskLogView).action_search()

    def _title(self, detail: TaskDetail, now: float) -> Content:
        line = detail.line
        target = one_line(f"{line.provider}·{line.model}") if line.provider else "no provider"
        took = duration(elapsed(line.started_at, line.finished_at, now))
        meta = (f"\n{line.type} · {line.priority} · {line.privacy} · {target} · round {line.round}"
                f" · cost {money(line.cost_usd)} · elapsed {took}")  # fmt: skip
        if detail.validated_by:
            meta += f" · validated by {one_line(detail.validated_by)}"
        return Content.assemble(
            (f"{one_line(line.code)} ", "bold $primary"), (one_line(line.title), "bold"), "  ",
            status_content(line.status),
            (meta, "$foreground-muted"),
        )  # fmt: skip

    def _reasons(self, detail: TaskDetail) -> Content:
        if not detail.line.reasons:
            return Content.styled("no routing reasons recorded", "$foreground-muted")
        lines = [
            Content.assemble((f"{i}. ", "$foreground-muted"), printable(r))
            for i, r in enumerate(detail.line.reasons, 1)
        ]
        if detail.blocked_reason:
            blocked = printable(f"blocked: {detail.blocked_reason}")
            lines.append(Content.styled(blocked, "$status-blocked"))
        return Content("\n").join(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Deciding is for escalated tasks only."""
        if action == "decide":
            return available(self.detail is not None and self.detail.line.status in TASK_DECIDABLE)
        if action == "rerun":
            return self.rerun_available()
        return True

    def action_decide(self) -> None:
        """Open the approval modal of this task's pending escalation."""
        from convergio_tui.tui.screens.approval import ApprovalModal

        self.app.push_screen(
            ApprovalModal(self.ctx, task_id=self.task_id), lambda _: self.action_reload()
        )
