"""The task table's columns: what each cell says, and how wide each column is. Pure (no
Textual): columns grow to their widest cell up to a cap, the title takes what is left."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len

from convergio_tui.store.queries import TaskLine
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import duration, elapsed, money

# key, label, width (title's width follows the table's)
# Live columns first, so a narrow terminal still shows what moves.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("code", "code", 5), ("title", "title", 30), ("status", "status", 12), ("round", "round", 5),
    ("target", "provider·model", 14), ("cost", "cost", 5), ("elapsed", "elapsed", 7),
    ("type", "type", 6), ("priority", "prio", 4), ("privacy", "privacy", 9),
)  # fmt: skip
# Columns as wide as their widest cell, between the width above and this cap: an
# 8-character code is shown whole, a long model name up to the cap.
FIT_MAX = {"code": 16, "target": 34, "cost": 10, "type": 12}
TITLE_MIN, TITLE_MAX = 16, 48
PADDING = 1  # cells each side of a cell


def task_cells(line: TaskLine, now: float) -> dict[str, str]:
    """The plain text of each cell of ``line`` (compared to skip unchanged cells), with
    terminal controls and line breaks neutralised: a title is written by whoever wrote
    the plan."""
    return {
        **fitted_cells(line), "title": one_line(line.title), "priority": line.priority,
        "privacy": line.privacy, "status": line.status, "round": str(line.round),
        "elapsed": duration(elapsed(line.started_at, line.finished_at, now)),
    }  # fmt: skip


def fitted_cells(line: TaskLine) -> dict[str, str]:
    """The cells of the columns fitted to their widest cell (``FIT_MAX``)."""
    return {"code": one_line(line.code), "target": target_cell(line.provider, line.model),
            "cost": cost_cell(line.cost_usd), "type": line.type}  # fmt: skip


def target_cell(provider: str | None, model: str | None) -> str:
    """The provider·model cell."""
    return one_line(f"{provider}·{model}") if provider else "— no provider"


def cost_cell(cost_usd: float) -> str:
    """The cost cell."""
    return money(cost_usd) if cost_usd else "—"


def fitted_widths(lines: Iterable[TaskLine]) -> dict[str, int]:
    """The widest cell of each fitted column among ``lines`` (a page of 2,500 rows at a
    time: the few providers, models, costs and types are measured once each)."""
    codes: set[str] = set()
    targets: set[tuple[str | None, str | None]] = set()
    costs: set[float] = set()
    types: set[str] = set()
    for line in lines:
        codes.add(line.code)
        targets.add((line.provider, line.model))
        costs.add(line.cost_usd)
        types.add(line.type)
    widest = {"code": 0, "target": 0, "cost": 0, "type": 0}
    for code in codes:
        # A code as the plan format allows is as wide as it is long.
        width = len(code) if code.isascii() and code.isprintable() else cell_len(one_line(code))
        widest["code"] = max(widest["code"], width)
    for provider, model in targets:
        widest["target"] = max(widest["target"], cell_len(target_cell(provider, model)))
    for cost in costs:
        widest["cost"] = max(widest["cost"], cell_len(cost_cell(cost)))
    for type_ in types:
        widest["type"] = max(widest["type"], cell_len(type_))
    return widest


class ColumnWidths:
    """Each column's width: the fitted ones only grow (a column that shrank back as rows
    come and go would make the table jump)."""

    def __init__(self) -> None:
        self.widths = {key: width for key, _, width in COLUMNS}

    def reset(self) -> None:
        """Back to the starting widths (another plan)."""
        self.widths = {key: width for key, _, width in COLUMNS}

    def grow(self, widest: dict[str, int]) -> list[str]:
        """Widen the fitted columns to their ``widest`` cells (``fitted_widths``); the keys
        that grew."""
        grown = []
        for key, cap in FIT_MAX.items():
            width = min(cap, widest[key])
            if width > self.widths[key]:
                self.widths[key] = width
                grown.append(key)
        return grown

    def fixed(self) -> int:
        """Cells every column but the title takes, padding and the border included."""
        others = sum(w for k, w in self.widths.items() if k != "title")
        return others + 2 * PADDING * len(COLUMNS) + 2

    def title(self, available: int) -> int:
        """The title's width in a table ``available`` cells wide."""
        return max(TITLE_MIN, min(TITLE_MAX, available - self.fixed()))

    def overflows(self, available: int) -> bool:
        """Whether some columns are past the right edge of ``available`` cells."""
        return available > 0 and self.fixed() + self.title(available) > available
