"""DraftPreview: a drafted plan as ``run --dry-run`` shows a plan, and its YAML.

What the New plan screen shows once a plan is drafted (or read back after an edit): a
summary line (name, waves, tasks, project, who drafted it and what that cost, the file);
a table of the tasks by wave with the provider·model each would go to now, its estimate
and its reservation; the routing reasons of the highlighted task in full; the totals
against today's headroom; and the file's YAML, highlighted and scrollable. Every string
in it was written by an agent or a person: each goes through ``textsafe`` first.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from convergio_tui.engine.planning.steps import Reviewed
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui.diff_render import highlighted
from convergio_tui.tui.format import money
from convergio_tui.tui.widgets.line_view import LineView

COLUMNS = ("wave", "task", "title", "provider·model", "estimate", "reserve", "why")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def shown_path(reviewed: Reviewed) -> str:
    """The plan file, relative to the project when it is inside it."""
    try:
        return str(reviewed.out.relative_to(reviewed.ref.path))
    except ValueError:
        return str(reviewed.out)


def summary(reviewed: Reviewed) -> Content:
    """The line over the table: the plan's shape, who drafted it, the file."""
    tasks = len(reviewed.rows)
    parts: list[str | tuple[str, str] | Content] = [
        (one_line(reviewed.name), "bold $primary"), "  ",
        f"{_plural(len(reviewed.waves), 'wave')}, {_plural(tasks, 'task')} for ",
        (one_line(reviewed.ref.name), "bold"), "\n",
    ]  # fmt: skip
    if reviewed.rounds:
        last = reviewed.rounds[-1].attempt
        who = one_line(f"{last.provider}·{last.model}")
        parts.append(f"drafted by {who} in {_plural(len(reviewed.rounds), 'round')}; ")
    parts.append(f"planning cost so far {money(reviewed.planning_cost_usd)}")
    if reviewed.edited:
        parts.append(("  ·  edited by you", "$text-accent"))
    parts += ["\n", ("file ", "$text-muted"), printable(shown_path(reviewed), one_line=True)]
    if reviewed.out_taken:
        parts.append(("  (another file is there: you are asked before it is overwritten)",
                      "$text-warning"))  # fmt: skip
    return Content.assemble(*parts)


def totals(reviewed: Reviewed) -> Content:
    """What the plan may cost against today's headroom, and what is blocked now."""
    today = reviewed.today
    headroom = max(0.0, today.headroom_usd)
    parts: list[str | tuple[str, str]] = [
        f"estimated premium spend {money(reviewed.estimate_usd)} · premium runs reserve up to "
        f"{money(reviewed.reserve_usd)} while they run\n",
        f"headroom today {money(headroom)} of the {money(today.cap_usd)} cap (spent "
        f"{money(today.spent_usd)}, reserved {money(today.reserved_usd)})",
    ]  # fmt: skip
    if reviewed.reserve_usd > headroom:
        parts.append(("  ·  more than the headroom: some tasks wait for it or go elsewhere",
                      "$text-warning"))  # fmt: skip
    blocked = [r.code for r in reviewed.rows if not r.provider]
    if blocked:
        parts.append((f"\nblocked now: {one_line(', '.join(blocked))} (see why above)",
                      "$text-error"))  # fmt: skip
    return Content.assemble(*parts)


def yaml_lines(text: str) -> list[Content]:
    """The file's lines, highlighted as YAML, made inert first."""
    safe = [printable(line.rstrip("\r")).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
            for line in text.splitlines()]  # fmt: skip
    return [Content(line, spans) for line, spans in zip(safe, highlighted(safe, "yaml"), strict=True)]  # fmt: skip


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis where it was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def deciding_reason(reasons: tuple[str, ...]) -> str:
    """The reason that names the choice (or the block), for the table's one-line cell."""
    for reason in reasons:
        if reason.startswith(("chosen:", "blocked:")):
            return reason
    return reasons[-1] if reasons else ""


def reasons_text(code: str, reasons: tuple[str, ...]) -> Content:
    """Why one task goes where it goes, one reason a line."""
    lines: list[str | tuple[str, str]] = [(f"why {one_line(code)}: ", "bold")]
    lines += [f"\n  - {one_line(reason)}" for reason in reasons] or ["no reasons recorded"]
    return Content.assemble(*lines)


class DraftPreview(VerticalScroll):
    """See the module docstring; :meth:`show` fills it. It scrolls as one page: on a
    short terminal the file is below the fold, never squeezed out."""

    DEFAULT_CSS = """
    DraftPreview { height: 1fr; }
    DraftPreview:focus { background-tint: $foreground 5%; }
    DraftPreview #draft-summary { height: auto; margin-bottom: 1; }
    DraftPreview #draft-routes { height: auto; max-height: 12; }
    DraftPreview #draft-why { height: auto; max-height: 6; color: $text-muted; }
    DraftPreview #draft-totals { height: auto; margin: 1 0; }
    DraftPreview #draft-yaml { height: auto; border: round $frame; overflow-x: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reviewed: Reviewed | None = None

    def compose(self) -> ComposeResult:
        """The summary, the table, the highlighted task's reasons, the totals, the YAML."""
        yield Static(id="draft-summary")
        yield DataTable(id="draft-routes", cursor_type="row", zebra_stripes=True)
        yield Static(id="draft-why")
        yield Static(id="draft-totals")
        yield LineView(id="draft-yaml")

    def on_mount(self) -> None:
        """The table's columns; the YAML's title."""
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one(LineView).border_title = "plan file"

    def show(self, reviewed: Reviewed) -> None:
        """Show this plan (it replaces the one shown)."""
        self.reviewed = reviewed
        self._routing(shown=True)
        self.query_one("#draft-summary", Static).update(summary(reviewed))
        table = self.query_one(DataTable)
        table.clear()
        titles = dict(reviewed.titles)
        for row in reviewed.rows:
            target = one_line(f"{row.provider}·{row.model}") if row.provider else "BLOCKED"
            table.add_row(
                Text(f"w{row.wave}"), Text(one_line(row.code), style="bold"),
                Text(cut(one_line(titles.get(row.code, "")), 48)),
                Text(target, style="" if row.provider else "bold red"),
                Text(money(row.estimate_usd), justify="right"),
                Text(money(row.reserve_usd) if row.reserve_usd else "—", justify="right"),
                Text(cut(one_line(deciding_reason(row.reasons)), 52)),
                key=row.code,
            )  # fmt: skip
        self._show_reasons(0)
        self.query_one("#draft-totals", Static).update(totals(reviewed))
        view = self.query_one(LineView)
        view.set_lines(yaml_lines(reviewed.text))
        view.border_subtitle = printable(shown_path(reviewed), one_line=True)

    def show_invalid(self, text: str) -> None:
        """Show a file that does not validate (a person's edit): its text, no routing."""
        self._routing(shown=False)
        self.query_one("#draft-summary", Static).update(Content.styled(
            "The file as you left it does not validate (the problems are above); where its "
            "tasks would go is shown once it does.", "$text-warning"))  # fmt: skip
        self.query_one(LineView).set_lines(yaml_lines(text))

    def _routing(self, *, shown: bool) -> None:
        for part in ("#draft-routes", "#draft-why", "#draft-totals"):
            self.query_one(part).display = shown

    def _show_reasons(self, index: int) -> None:
        rows = self.reviewed.rows if self.reviewed is not None else ()
        why = self.query_one("#draft-why", Static)
        why.update(reasons_text(rows[index].code, rows[index].reasons) if index < len(rows) else "")

    @on(DataTable.RowHighlighted, "#draft-routes")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_reasons(event.cursor_row)
