"""PlanHeader: the plan's name, status, who runs it, progress, elapsed time, spend and
escalations; on a short terminal also a line for what the overview panels would show."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from convergio_tui.engine.budget import BudgetStatus
from convergio_tui.store.queries import HealthLine, PlanHead, WaveLine
from convergio_tui.store.states import PLAN_UNDER_WAY
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import duration, elapsed, money, status_content
from convergio_tui.tui.widgets.health_panel import effective_state

LABEL = "$foreground-muted"
BADGE = "bold $text-warning on $warning-muted"
ALERT = "bold $text-error on $error-muted"
UNSANDBOXED = "agents unsandboxed"
BAR_WIDTH = 24
# How an ended in-process run left the plan (``finished (<status>)``), in words: the
# header's wide wording, then its compact one.
ENDED = {
    "done": ("finished in this dashboard", "finished here"),
    "doing": ("idle in this dashboard: waiting for a decision", "idle: needs a decision"),
    "todo": ("idle in this dashboard: waiting for a decision", "idle: needs a decision"),
    "paused": ("idle in this dashboard: the plan is paused", "idle: paused"),
    "waiting": ("idle in this dashboard: providers are cooling down", "idle: cooling down"),
    "failed": ("stopped in this dashboard: the plan failed", "stopped: failed"),
    "cancelled": ("stopped in this dashboard: the plan was cancelled", "stopped: cancelled"),
    "stopped": ("stopped in this dashboard", "stopped here"),
}


def engine_words(here: str | None, runner_pid: int | None) -> tuple[str, str]:
    """Who executes the plan, as the header says it (wide, compact): ``here`` is the state
    of the engine this dashboard hosts (``running``, ``finished (done)``, ``failed: …``),
    None when it hosts none; ``runner_pid`` the process that holds the plan."""
    if here is not None:
        if here == "running":
            return "running in this dashboard", "running here"
        if here.startswith("failed: "):
            return f"could not run here: {here.removeprefix('failed: ')}", "could not run here"
        if here.startswith("finished (") and here.endswith(")"):
            return ENDED.get(here[len("finished (") : -1], ENDED["done"])
        return ENDED.get(here, (here, here))
    if runner_pid:
        return f"convergio run, process {runner_pid}", f"convergio run ({runner_pid})"
    return "not running (g runs it here, or: convergio run PLAN)", "not running (g runs it)"


def overview_line(
    budget: BudgetStatus | None, health: tuple[HealthLine, ...], waves: tuple[WaveLine, ...],
    now: float, width: int,
) -> Content:  # fmt: skip
    """The overview panels in one line of ``width`` cells, for a terminal too short to
    show them: today's budget, the providers up (and those that are not), the waves done."""
    for labelled in (True, False):  # with labels if they fit, else without
        line = Content("  ").join(_overview_parts(budget, health, waves, now, labelled))
        if line.cell_length <= width:
            break
    return _fit(line, width)


def _overview_parts(
    budget: BudgetStatus | None, health: tuple[HealthLine, ...], waves: tuple[WaveLine, ...],
    now: float, labelled: bool,
) -> list[Content]:  # fmt: skip
    def label(text: str) -> tuple[str, str]:
        return (text if labelled else "", LABEL)

    parts: list[Content] = []
    if budget is not None:
        level = "capped" if budget.capped else "alert" if budget.alert else ""
        parts.append(Content.assemble(
            label("today "), f"{money(budget.spent_usd)}/{money(budget.cap_usd)} ",
            (f"{budget.pct:.0f}%{' ' + level if level else ''}",
             f"bold $budget-{level}" if level else ""),
        ))  # fmt: skip
    if health:
        states = [(h.provider, effective_state(h, now)) for h in health]
        up = sum(state == "up" for _, state in states)
        others = ", ".join(f"{name} {state}" for name, state in states if state != "up")
        parts.append(Content.assemble(
            label("providers "), f"{up}/{len(states)} up",
            (f" ({others})", "$warning") if others else "",
        ))  # fmt: skip
    if waves:
        done = sum(w.status == "done" for w in waves)
        counted = f"{done}/{len(waves)}"
        parts.append(
            Content.assemble(label("waves "), f"{counted} done" if labelled else f"{counted} waves")
        )
    return parts


def _fit(line: Content, width: int) -> Content:
    """``line`` cut to ``width`` cells, with an ellipsis where it was cut."""
    if line.cell_length <= width:
        return line
    return Content.assemble(line[: max(0, width - 1)], "…")


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
        self._engine = ("", "")  # wide and compact wording
        self._missing: str = ""
        self._now = 0.0
        self._shown: Content | None = None
        self._folded: Content | None = None  # the overview's line, on a short terminal

    def fold(self, line: Content | None) -> None:
        """Show ``line`` under the two lines (the overview folded into the header), or
        go back to two lines (None)."""
        lines = 2 if line is None else 3
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines
        self._folded = line
        self._show(self._content())

    def show(self, head: PlanHead | None, engine: str | tuple[str, str], now: float,
             missing: str = "") -> None:  # fmt: skip
        """Display ``head`` (None: ``missing`` explains why there is no plan); ``engine``
        says who runs it (:func:`engine_words`: wide and compact)."""
        # Fixed lines: plan and project names are written by people, errors by SQLite.
        wide, compact = (engine, engine) if isinstance(engine, str) else engine
        self._engine = (one_line(wide), one_line(compact))
        self._head, self._missing, self._now = head, one_line(missing), now
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
        # Fixed lines (two, or three folded): repaint only, and only when the text changed.
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
            ("  engine ", LABEL), self._engine[0],
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
                status_content(head.status), ("  engine ", LABEL), self._engine[1],
            )  # fmt: skip
            second = Content.assemble(
                _bar(head.done, head.tasks, 12), f" {head.done}/{head.tasks} ({pct:.0f}%) · {head.running} run",
                ("  elapsed ", LABEL), took, ("  spend ", LABEL), money(head.cost_usd),
                "  ", (f"⚑ {pending} escalated", "bold $status-escalated") if pending else "",
            )  # fmt: skip
            first, second = _fit(first, width), _fit(second, width)
        lines = [first, second]
        if self._folded is not None:
            lines.append(self._folded)
        return Content("\n").join(lines)
