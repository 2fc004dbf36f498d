"""GateEvidence: every Thor gate verdict, round by round, with its evidence."""

from __future__ import annotations

from itertools import groupby

from rich.cells import cell_len
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
INDENT = 26  # cells before a gate's evidence: "  ✘ fail  8 tdd           "
UNDER = 6  # a narrow panel puts the evidence under its gate, this far in
MIN_WRAP = 20  # less room than this beside the gate: the evidence goes under it


def _wrap(evidence: list[str], room: int) -> list[Content]:
    """Evidence lines wrapped to ``room`` cells; a line's own indentation (a traceback's,
    a diff's) holds for its continuations."""
    wrapped: list[Content] = []
    for line in evidence:
        body = line.lstrip(" ")
        lead = min(len(line) - len(body), room // 2)
        parts = Content(body).wrap(room - lead) if body else [Content("")]
        wrapped.extend(Content.assemble(" " * lead, part) for part in parts)
    return wrapped


def _evidence_block(evidence: list[str], width: int | None) -> tuple[Content, list[Content]]:
    """What follows the gate on its own line, and the lines under it: beside the gate
    and wrapped under itself when there is room (or it fits as it is), else all under
    the gate."""
    if width is None:  # not laid out yet: as it is
        return Content(evidence[0]), [Content(" " * INDENT + line) for line in evidence[1:]]
    room = width - INDENT
    if room >= MIN_WRAP or all(cell_len(line) <= room for line in evidence):
        first, *rest = _wrap(evidence, max(1, room))
        return first, [Content.assemble(" " * INDENT, line) for line in rest]
    if evidence == [""]:
        return Content(""), []
    return Content(""), [
        Content.assemble(" " * UNDER, line) for line in _wrap(evidence, max(1, width - UNDER))
    ]


def round_content(number: int, gates: list[GateLine], width: int | None = None) -> Content:
    """One round: a heading with the outcome and its gates counted by verdict, then one
    line (or more) per gate; with ``width``, evidence wraps under itself."""
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
        first, under = _evidence_block(evidence, width)
        head = Content.assemble(
            ("  ", ""),
            (f"{glyph} {g.verdict:<4}", style),
            f" {g.gate:>2} {one_line(g.name):<13} ",
            first,
        )
        lines.append(head.rstrip())
        lines.extend(under)
    return Content("\n").join(lines)


class GateEvidence(VerticalScroll):
    """Scrollable gate results; empty rounds say so."""

    DEFAULT_CSS = """
    GateEvidence > #gate-lines { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._gates: tuple[GateLine, ...] = ()

    def compose(self) -> ComposeResult:
        """One text block."""
        yield Static("no gate results yet", id="gate-lines")

    def show(self, gates: tuple[GateLine, ...]) -> None:
        """Display ``gates`` grouped by round."""
        self._gates = gates
        self._render_gates()

    def on_resize(self) -> None:
        """Wrap the evidence again for the new width."""
        self._render_gates()

    def _render_gates(self) -> None:
        lines = self.query_one("#gate-lines", Static)
        if not self._gates:
            lines.update("no gate results yet")
            return
        # Leave room for a vertical scrollbar that long evidence may bring.
        bar = 0 if self.show_vertical_scrollbar else self.styles.scrollbar_size_vertical
        width = max(0, self.scrollable_content_region.width - bar) or None
        rounds = groupby(self._gates, key=lambda g: g.round)
        blocks = [round_content(n, list(g), width) for n, g in rounds]
        lines.update(Content("\n\n").join(blocks))
