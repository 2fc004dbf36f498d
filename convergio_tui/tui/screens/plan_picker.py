"""PlanPickerModal: choose the plan the dashboard shows."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from convergio_tui.store.queries import PlanSummary, plan_summaries
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui.format import money
from convergio_tui.tui.worker_failures import ReportsWorkerFailures


class PlanPickerModal(ReportsWorkerFailures, ModalScreen[int | None]):
    """Every plan, newest first; enter picks, escape keeps the current one."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back", id="plans.back")]

    class PlansListed(Message):
        """The plans were read."""

        def __init__(self, plans: tuple[PlanSummary, ...], error: str = "") -> None:
            super().__init__()
            self.plans = plans
            self.error = error

    def __init__(self, current: int | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        """A title and the list."""
        with Vertical(id="plan-dialog", classes="dialog"):
            yield Label("Switch plan — enter to show it, escape to go back", classes="dialog-title")
            yield OptionList(Option("reading plans…", disabled=True), id="plan-options")
        yield Footer()

    def on_mount(self) -> None:
        """Read the plans off the UI thread."""
        self._list()

    @work(thread=True, exit_on_error=False)
    def _list(self) -> None:
        try:
            self.post_message(self.PlansListed(plan_summaries()))
        except Exception as exc:  # say so rather than "reading…" forever
            self.post_message(self.PlansListed((), f"cannot read the plans: {exc}"))

    def on_plan_picker_modal_plans_listed(self, message: PlanPickerModal.PlansListed) -> None:
        """Fill the list and put the cursor on the current plan."""
        options = self.query_one(OptionList)
        options.clear_options()
        if message.error:
            options.add_option(Option(Content(printable(message.error)), disabled=True))
            return
        if not message.plans:
            options.add_option(
                Option("no plans yet: convergio plan import SPEC.yaml", disabled=True)
            )
            return
        for p in message.plans:
            marker = "● " if p.id == self.current else "  "
            text = (f"{marker}#{p.id:<4} {one_line(p.name):<28} {one_line(p.project):<16} {p.status:<10} "
                    f"{p.done}/{p.tasks} done  {money(p.cost_usd)}")  # fmt: skip
            options.add_option(Option(Content(text), id=str(p.id)))
        ids = [p.id for p in message.plans]
        options.highlighted = ids.index(self.current) if self.current in ids else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))
