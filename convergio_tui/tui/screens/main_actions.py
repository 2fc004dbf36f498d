"""The main screen's actions: open, pause/resume, cancel, switch plan, focus output,
filter the tasks and jump to the next one that needs a person."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.screen import Screen

from convergio_tui.store.queries import PlanHead, RunningRun, TaskLine
from convergio_tui.store.states import (
    PLAN_PAUSABLE,
    PLAN_RESUMABLE,
    TASK_CANCELLABLE,
    TASK_NEEDS_PERSON,
)
from convergio_tui.textsafe import printable
from convergio_tui.tui import engine_bridge
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.format import available
from convergio_tui.tui.messages import ActionFinished
from convergio_tui.tui.poller import DataVersions
from convergio_tui.tui.task_filter import parse_filter
from convergio_tui.tui.widgets.filter_bar import FilterBar
from convergio_tui.tui.widgets.output_grid import OutputGrid
from convergio_tui.tui.widgets.task_table import TaskTable
from convergio_tui.tui.worker_failures import ReportsWorkerFailures


class MainActions(ReportsWorkerFailures, Screen[None]):
    """Key and palette actions of the main screen; control writes run on worker threads."""

    ctx: DashboardContext
    head: PlanHead | None
    _versions: DataVersions

    def poll_now(self, *, force: bool = False) -> None:
        """Read the database now (the main screen implements it)."""
        raise NotImplementedError

    def follow_runs(self, running: tuple[RunningRun, ...]) -> None:
        """Tail these runs' logs (the main screen implements it)."""
        raise NotImplementedError

    def relayout(self) -> None:
        """Share the height out again (the main screen implements it)."""
        raise NotImplementedError

    _bindings_state: tuple[bool | None, ...] = ()

    def update_bindings(self) -> None:
        """Refresh the footer only when an action became (un)available: a refresh
        recomposes the footer, far too costly for every poll and every cursor move."""
        state = tuple(
            self.check_action(a, ())
            for a in ("toggle_pause", "open_task", "cancel_task", "clear_filter")
        )
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what cannot be done now."""
        if action == "toggle_pause":
            return available(
                self.head is not None and self.head.status in PLAN_PAUSABLE | PLAN_RESUMABLE
            )
        if action == "open_task":
            return available(self._selected_line() is not None)
        if action == "cancel_task":
            line = self._selected_line()
            return available(line is not None and line.status in TASK_CANCELLABLE)
        if action == "clear_filter":  # esc means something only while a filter is set
            return self.query_one(TaskTable).task_filter.active
        return True

    def _selected_line(self) -> TaskLine | None:
        table = self.query_one(TaskTable)
        task_id = table.selected_task_id
        return None if task_id is None else table.line(task_id)

    def action_open_task(self) -> None:
        """Open the selected task's detail."""
        from convergio_tui.tui.screens.task_detail import TaskDetailScreen

        task_id = self.query_one(TaskTable).selected_task_id
        if task_id is not None:
            self.app.push_screen(TaskDetailScreen(self.ctx, task_id))

    def action_escalations(self) -> None:
        """Open the escalation inbox."""
        from convergio_tui.tui.screens.escalations import EscalationsScreen

        self.app.push_screen(EscalationsScreen(self.ctx))

    def action_toggle_pause(self) -> None:
        """Pause a running plan, resume a paused one."""
        if self.head is None:
            return
        if self.head.status in PLAN_RESUMABLE:
            self._control(engine_bridge.resume_plan, self.head.id)
        else:
            self._control(engine_bridge.pause_plan, self.head.id)

    def action_cancel_task(self) -> None:
        """Ask, then cancel the selected task (its process tree is killed)."""
        from convergio_tui.tui.screens.confirm import ConfirmModal

        line = self._selected_line()
        if line is None or line.status not in TASK_CANCELLABLE:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._control(engine_bridge.cancel_task, line.id, line.code)

        question = f"Cancel {line.code} “{line.title}”? Its running process is killed."
        self.app.push_screen(ConfirmModal(question, yes_label="Cancel task"), decided)

    def action_new_plan(self) -> None:
        """Draft a plan from a goal (tui/screens/new_plan.py); once it is imported the App
        shows it and runs it here."""
        from convergio_tui.tui.screens.new_plan import NewPlanScreen

        self.app.push_screen(NewPlanScreen(self.ctx))

    def action_switch_plan(self) -> None:
        """Choose another plan to watch."""
        from convergio_tui.tui.screens.plan_picker import PlanPickerModal

        def chosen(plan_id: int | None) -> None:
            if plan_id is not None and plan_id != self.ctx.plan_id:
                self.switch_plan(plan_id)

        self.app.push_screen(PlanPickerModal(self.ctx.plan_id), chosen)

    def switch_plan(self, plan_id: int) -> None:
        """Watch ``plan_id`` from now on."""
        self.ctx.plan_id = plan_id
        self.head = None
        table = self.query_one(TaskTable)
        table.reset()
        self.follow_runs(())
        self.poll_now(force=True)

    def action_toggle_output(self) -> None:
        """One large output pane, or a grid of them."""
        grid = self.query_one(OutputGrid)
        grid.toggle_focus()
        self.set_class(grid.focused_mode, "-output-focused")
        self.relayout()

    # -- finding: the filter and the next task that needs a person -------------------------

    def action_filter(self) -> None:
        """Open the filter bar above the task table (``/``)."""
        self.query_one(FilterBar).open()
        self.relayout()

    def action_clear_filter(self) -> None:
        """Show every task again (esc)."""
        self.query_one(FilterBar).close(clear=True)
        self.query_one(TaskTable).focus()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        """Filter the table as the person types; say how many match or what is wrong."""
        table = self.query_one(TaskTable)
        parsed = parse_filter(message.text)
        table.set_filter(parsed)
        bar = self.query_one(FilterBar)
        if parsed.problems:
            bar.note(parsed.problems[0], problem=True)
        elif parsed.active:
            counted = f"{table.shown_rows} of {table.known_rows}"
            provider = None if table.shown_rows else _provider_meant(parsed.words, table)
            if provider:  # "copilot" typed as a word: words match codes and titles only
                bar.note(f"{counted} · for the provider type provider:{provider}", problem=True)
            else:
                bar.note(f"{counted} · enter keeps · esc clears")
        else:
            bar.note("")
        self.relayout()
        self.update_bindings()

    def on_filter_bar_closed(self, message: FilterBar.Closed) -> None:
        """Enter or down keeps the filter and goes back to the table; esc clears it."""
        self.query_one(FilterBar).close(clear=not message.keep)
        self.query_one(TaskTable).focus()
        self.relayout()

    def action_next_needing(self) -> None:
        """Move the cursor to the next task that needs a person (escalated, blocked,
        failed), round the end of the table."""
        table = self.query_one(TaskTable)
        row = table.next_row(lambda line: line.status in TASK_NEEDS_PERSON)
        if row is not None:
            table.move_cursor(row=row)
            table.focus()
            return
        hidden = sum(line.status in TASK_NEEDS_PERSON for line in table.lines())
        if hidden:
            self.notify(f"{hidden} task(s) need you, but the filter hides them (esc clears it).",
                        title="Next for you", severity="warning")  # fmt: skip
        else:
            self.notify("No task needs you now: none is escalated, blocked or failed.",
                        title="Next for you")  # fmt: skip

    def _control(self, action: Callable[..., engine_bridge.ActionResult], *args: object) -> None:
        self._run_control(action, args)

    @work(thread=True, group="control", exit_on_error=False)
    def _run_control(
        self, action: Callable[..., engine_bridge.ActionResult], args: tuple[object, ...]
    ) -> None:
        try:
            result = action(*args)
        except Exception as exc:
            result = engine_bridge.ActionResult(False, f"{type(exc).__name__}: {exc}")
        self.post_message(ActionFinished(result))

    def on_action_finished(self, message: ActionFinished) -> None:
        """Say what happened and show it at once."""
        result = message.result
        # The message names the task (and may quote an error): shown as written.
        self.notify(printable(result.message), severity="information" if result.ok else "warning",
                    markup=False)  # fmt: skip
        self._versions.forget()  # our own write does not move our data_version
        if result.ok and self.ctx.engine is not None:
            self.ctx.engine.resume_if_idle()
        self.poll_now(force=True)


def _provider_meant(words: tuple[str, ...], table: TaskTable) -> str | None:
    """A provider of the plan that one of ``words`` names, if any."""
    providers = sorted({line.provider for line in table.lines() if line.provider})
    return next((p for w in words for p in providers if p.startswith(w)), None)
