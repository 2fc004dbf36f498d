"""RunTable: every dispatch of a task — provider, model, tokens, cost, exit, duration."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from convergio_tui.store.queries import RunLine
from convergio_tui.textsafe import one_line
from convergio_tui.tui.format import cost_text, duration, elapsed, money, status_text

COLUMNS = ("run", "round", "provider", "model", "status", "tokens in", "tokens out", "reserved",
           "cost", "exit", "duration", "note")  # fmt: skip


class RunTable(DataTable[Text]):
    """One row per run, oldest first."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._runs: tuple[RunLine, ...] = ()
        self.border_title = "Runs"

    def on_mount(self) -> None:
        """Columns."""
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show(self, runs: tuple[RunLine, ...], now: float) -> None:
        """Display ``runs`` (rewritten: a task has a handful)."""
        if runs == self._runs:
            return
        self._runs = runs
        variables = self.app.theme_variables
        self.clear()
        for r in runs:
            note = f"fallback from {r.fallback_from}" if r.fallback_from else (r.error_class or "")
            # A run on a Ray node says which: "claude @ gpu-box/1a2b3c4d".
            where = f"{r.provider} @ {r.node}" if r.node else r.provider
            provider, model, note = one_line(where), one_line(r.model), one_line(note)
            self.add_row(
                Text(str(r.id)), Text(str(r.round), justify="right"), Text(provider), Text(model),
                status_text(r.status, variables), Text(f"{r.input_tokens:,}", justify="right"),
                Text(f"{r.output_tokens:,}", justify="right"),
                Text(money(r.reserved_usd) if r.reserved_usd else "—", justify="right"),
                Text(cost_text(r.cost_usd, r.ai_credits), justify="right"),
                Text("—" if r.exit_code is None else str(r.exit_code), justify="right"),
                Text(duration(elapsed(r.started_at, r.finished_at, now)), justify="right"), Text(note),
                key=str(r.id),
            )  # fmt: skip
        self.border_title = f"Runs · {len(runs)}"
