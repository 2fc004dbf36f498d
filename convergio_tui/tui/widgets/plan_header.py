"""PlanHeader: the plan's name, status, progress, elapsed time, spend and escalations."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from convergio_tui.store.queries import PlanHead
from convergio_tui.store.states import PLAN_UNDER_WAY
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import duration, elapsed, money, status_content

LABEL = "$foreground-muted"
BADGE = "bold $text-warning on $warning-muted"
ALERT = "bold $text-error on $error-muted"
UNSANDBOXED = "agents unsandboxed"
BAR_WIDTH = 24


def _bar(done: int, total: int, cells: int) -> Content:
    filled = round(cells * done / total) if total else 0
    return Content.assemble(("━" * filled, "$status-done"), ("━" * (cells - filled), "$frame"))


class PlanHeader(Static):
    """Two lines at the top of the main screen; ``show`` feeds it, ``tick`` ages it."""

    DEFAULT_CSS = """
    PlanHeader {
        height: 2;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, *, id: str | None = None, badge: str = "", alert: str = "") -> None:
        super().__init__(id=id)
        self.badge = badge  # "DEMO · simulated agents" in ``convergio demo``
        self.alert = alert  # "agents unsandboxed" with ``sandbox.mode: off``
        self._head: PlanHead | None = None
        self._engine = ""
        self._missing: str = ""
        self._now = 0.0
        self._shown: Content | None = None

    def show(self, head: PlanHead | None, engine: str, now: float, missing: str = "") -> None:
        """Display ``head`` (None: ``missing`` explains why there is no plan)."""
        # Two fixed lines: plan and project names are written by people, errors by SQLite.
        engine, missing = one_line(engine), one_line(missing)
        self._head, self._engine, self._missing, self._now = head, engine, missing, now
        self._show(self._content())

    def tick(self, now: float) -> None:
        """Advance the elapsed time."""
        self._now = now
        if self._head is not None and self._head.status in PLAN_UNDER_WAY:
            self._show(self._content())

    def on_resize(self) -> None:
        """Wide or compact wording."""
        self._show(self._content())

    def _show(self, content: Content) -> None:
        # A fixed two-line widget: repaint only, and only when the text changed.
        if content != self._shown:
            self._shown = content
            self.update(content, layout=False)

    def _brand(self) -> Content:
        """``Convergio``, with the badge and the alert beside it when there are any."""
        parts: list[str | tuple[str, str]] = [("Convergio", "bold $primary")]
        if self.badge:
            parts += [" ", (f" {self.badge} ", BADGE)]
        if self.alert:
            parts += [" ", (f" {self.alert} ", ALERT)]
        return Content.assemble(*parts)

    def _content(self) -> Content:
        head = self._head
        if head is None:
            return Content.assemble(self._brand(), "  ", (self._missing, "$warning"))
        width = self.content_region.width or 160
        pct = 100 * head.done / head.tasks if head.tasks else 0
        end = head.finished_at if head.status not in PLAN_UNDER_WAY else None
        took = duration(elapsed(head.started_at, end, self._now))
        name, project = one_line(head.name), one_line(head.project)
        pending = head.pending_escalations
        escalations = (
            (f"⚑ {pending} pending", "bold $status-escalated") if pending else ("none pending", "")
        )
        first = Content.assemble(
            self._brand(), ("  plan ", LABEL), (f"#{head.id} {name}", "bold"),
            ("  project ", LABEL), project, ("  status ", LABEL), status_content(head.status),
            ("  engine ", LABEL), self._engine,
        )  # fmt: skip
        second = Content.assemble(
            ("progress ", LABEL), _bar(head.done, head.tasks, BAR_WIDTH),
            f" {head.done}/{head.tasks} done ({pct:.0f}%) · {head.running} running · {head.failed} failed",
            ("  elapsed ", LABEL), took, ("  plan spend ", LABEL), money(head.cost_usd),
            ("  escalations ", LABEL), escalations,
        )  # fmt: skip
        if max(first.cell_length, second.cell_length) > width:  # compact wording
            first = Content.assemble(
                self._brand(), "  ", (f"#{head.id} {name}", "bold"), "  ",
                status_content(head.status), ("  engine ", LABEL), self._engine,
            )[:width]  # fmt: skip
            second = Content.assemble(
                _bar(head.done, head.tasks, 12), f" {head.done}/{head.tasks} ({pct:.0f}%) · {head.running} run",
                ("  elapsed ", LABEL), took, ("  spend ", LABEL), money(head.cost_usd),
                "  ", (f"⚑ {pending} escalated", "bold $status-escalated") if pending else "",
            )[:width]  # fmt: skip
        return Content("\n").join([first, second])
