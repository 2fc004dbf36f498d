"""Today's premium spend against the cap, read in plain SQL (no peewee).

:func:`read_status` is the one reading of the budget: the engine calls it through
``engine.budget.status`` with the open database's connection, and ``convergio budget``
with a read-only connection of its own (cli/quick.py), so the command starts fast.
"""

from __future__ import annotations

import sqlite3
from dataclasses import field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from convergio_tui.config.schema import BudgetConfig
from convergio_tui.engine.reservation import EPSILON as EPSILON
from convergio_tui.engine.reservation import p95
from convergio_tui.frozen import Frozen, frozen
from convergio_tui.store import ledger_sql

if TYPE_CHECKING:  # the router is imported where a status is turned into its view
    from convergio_tui.engine.router import BudgetView

# The learned worst case of a provider·model: the p95 of its last LEARN_RUNS premium
# charges of the last LEARN_DAYS days.
LEARN_RUNS = 50
LEARN_DAYS = 30


def day_window(timezone: str, at: float) -> tuple[date, float, float]:
    """The calendar day containing ``at`` in ``timezone``: (date, start, end) epoch seconds."""
    tz = None
    if timezone != "local":
        from zoneinfo import ZoneInfo  # only for a named zone: most use the machine's

        tz = ZoneInfo(timezone)
    moment = datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1)).replace(tzinfo=start.tzinfo)
    if tz is not None:  # rebuild through the zone so DST days are 23 or 25 hours long
        end = datetime(end.year, end.month, end.day, tzinfo=tz)
    else:
        end = datetime(end.year, end.month, end.day).astimezone()
    return start.date(), start.timestamp(), end.timestamp()


@frozen
class BudgetStatus(Frozen):
    """Today's premium spend against the cap (the shape of ``convergio budget --json``)."""

    date: str
    cap_usd: float
    spent_usd: float
    reserved_usd: float
    alert_threshold_pct: float
    enforce: bool
    by_provider: dict[str, float] = field(default_factory=dict)
    learned: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def pct(self) -> float:
        """Spent share of the cap in percent (reservations excluded)."""
        return 100.0 * self.spent_usd / self.cap_usd if self.cap_usd > 0 else 100.0

    @property
    def alert(self) -> bool:
        """Spend has reached the alert threshold."""
        return self.pct + EPSILON >= self.alert_threshold_pct

    @property
    def capped(self) -> bool:
        """Spend has reached the cap."""
        return self.spent_usd + EPSILON >= self.cap_usd

    def view(self) -> BudgetView:
        """The router's view of this status."""
        from convergio_tui.engine.router import BudgetView

        return BudgetView(
            self.spent_usd, self.reserved_usd, self.cap_usd, self.enforce, dict(self.learned)
        )

    @property
    def headroom_usd(self) -> float:
        """What is left of the cap after spend and outstanding reservations."""
        return self.cap_usd - self.spent_usd - self.reserved_usd

    def as_dict(self) -> dict[str, object]:
        """The JSON of ``convergio budget --json`` (docs/cli.md)."""
        return {
            "date": self.date,
            "cap_usd": round(self.cap_usd, 6),
            "spent_usd": round(self.spent_usd, 6),
            "reserved_usd": round(self.reserved_usd, 6),
            "headroom_usd": round(max(0.0, self.headroom_usd), 6),
            "pct": round(self.pct, 2),
            "alert": self.alert,
            "capped": self.capped,
            "by_provider": {k: round(v, 6) for k, v in sorted(self.by_provider.items())},
        }


def learned_p95(con: sqlite3.Connection, at: float) -> dict[tuple[str, str], float]:
    """The p95 of each provider·model's recent premium charges (see ``LEARN_RUNS``)."""
    costs = ledger_sql.recent_premium_costs(con, at - LEARN_DAYS * 86400, LEARN_RUNS)
    learned = {key: p95(values) for key, values in costs.items()}
    return {key: value for key, value in learned.items() if value is not None}


def read_status(con: sqlite3.Connection, config: BudgetConfig, at: float) -> BudgetStatus:
    """Today's spend (the day of ``at``), outstanding reservations and spend by provider."""
    day, start, end = day_window(config.timezone, at)
    return BudgetStatus(
        date=day.isoformat(),
        cap_usd=config.max_premium_per_day,
        spent_usd=ledger_sql.premium_spent(con, start, end),
        reserved_usd=ledger_sql.outstanding_reserved(con),
        alert_threshold_pct=config.alert_threshold_pct,
        enforce=config.enforce_budget,
        by_provider=ledger_sql.spent_by_provider(con, start, end),
        learned=learned_p95(con, at),
    )
