"""GateEvidence: every Thor gate verdict, round by round, with its evidence."""

from __future__ import annotations

from itertools import groupby

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from convergio_tui.store.queries import GateLine
from convergio_tui.textsafe import one_line, printable
from convergio_tui.thor.summary_text import tally

VERDICT = {
    "pass": ("✔", "$status-done"),
    "fail": ("✘", "$status-failed"),
    "skip": ("–", "$foreground-muted"),
}
MAX_EVIDENCE_LINES = 12


def round_content(number: int, gates: list[GateLine]) -> Content:
    """One round: a heading with the outcome and its gates counted by verdict, then one
    line (or more) per gate."""
    # Passes, failures and skips counted apart (the skips' reasons are on their lines below).
    counted = tally(gates)
    word, style = (
        ("rejected", "$status-failed") if counted.rejected else ("accepted", "$status-done")
    )
    outcome = (f"{word}: {one_line(counted.text(reasons=False))}", style)
    lines = [Content.assemble((f"Round {number} — ", "bold"), (outcome[0], f"bold {outcome[1]}"))]
    for g in gates:
        glyph, style = VERDICT.get(g.verdict, ("?", ""))
        # Evidence quotes agent and command output: controls become visible text (first,
        # so that no control character can split or join lines either).
        evidence = printable(g.evidence or "").splitlines() or [""]
        if len(evidence) > MAX_EVIDENCE_LINES:
            more = len(evidence) - MAX_EVIDENCE_LINES
            evidence = [*evidence[:MAX_EVIDENCE_LINES], f"… {more} more lines"]
        head = Content.assemble(
            ("  ", ""),
            (f"{glyph} {g.verdict:<4}", style),
            f" {g.gate:>2} {one_line(g.name):<13} ",
            evidence[0],
        )
        lines.append(head)
        lines.extend(Content(" " * 26 + extra) for extra in evidence[1:])
    return Content("\n").join(lines)


class GateEvidence(VerticalScroll):
    """Scrollable gate results; empty rounds say so."""

    DEFAULT_CSS = """
    GateEvidence > #gate-lines { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        """One text block."""
        yield Static("no gate results yet", id="gate-lines")

    def show(self, gates: tuple[GateLine, ...]) -> None:
        """Display ``gates`` grouped by round."""
        if not gates:
            self.query_one("#gate-lines", Static).update("no gate results yet")
            return
        blocks = [round_content(n, list(g)) for n, g in groupby(gates, key=lambda g: g.round)]
        self.query_one("#gate-lines", Static).update(Content("\n\n").join(blocks))
