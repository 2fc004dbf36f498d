"""How the main screen shares its height: header, overview, task table, output panes.

Pure arithmetic (no Textual), so every size from 80×24 to 240×70 can be checked in a test.
The table is as tall as its rows need, up to a share of what is left; the output panes
take the rest. A short terminal folds the overview (waves, budget, health) into a third
header line so that the tasks and some output still fit.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = 2  # the plan header's two lines
HEADER_FOLDED = 3  # ...plus the overview's summary, when the overview is folded away
FOOTER = 1
OVERVIEW_FULL, OVERVIEW_SHORT = 9, 7
FOLD_BELOW = 28  # terminal rows: below this the overview is folded into the header
SHORT_BELOW = 38  # terminal rows: below this the overview is shorter
TABLE_CHROME = 3  # the table's border (2) and its column header (1)
TABLE_MIN = TABLE_CHROME + 2  # two rows at least
OUTPUT_MIN = 6  # a pane's border and four lines
OUTPUT_IDLE = 3  # "No task is running…" and a blank line around it
TABLE_SHARE = 0.6  # at most this much of the space left, while output panes are shown
TABLE_SHARE_FOCUSED = 0.25  # with the output focused (f)


@dataclass(frozen=True)
class MainLayout:
    """Heights, in terminal rows, of the main screen's parts."""

    header: int
    overview: int  # 0: folded into the header's third line
    table: int
    output: int  # what is left


def main_layout(
    height: int,
    rows: int,
    *,
    live: bool = True,
    extra: int = 0,
    output_focused: bool = False,
) -> MainLayout:
    """Share ``height`` between the parts, for a table of ``rows`` rows; ``live``: some
    output panes are shown; ``extra`` is the height of whatever else is shown (the
    filter bar, the hand-off panel)."""
    folded = height < FOLD_BELOW
    header = HEADER_FOLDED if folded else HEADER
    overview = 0 if folded else (OVERVIEW_SHORT if height < SHORT_BELOW else OVERVIEW_FULL)
    left = max(0, height - header - overview - FOOTER - extra)
    if live or output_focused:
        # The table gets its rows up to its share: a plan of 10,000 tasks must not push
        # the output away, and a short plan leaves the panes the rest.
        share = TABLE_SHARE_FOCUSED if output_focused else TABLE_SHARE
        cap = min(round(left * share), left - OUTPUT_MIN)
    else:  # nothing runs: the table may take all but the "nothing running" line
        cap = left - OUTPUT_IDLE
    table = max(TABLE_MIN, min(rows + TABLE_CHROME, cap))
    return MainLayout(header, overview, table, max(0, left - table))
