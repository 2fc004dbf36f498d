"""Today's burn rate and when the daily cap is reached at that rate (docs/budget.md).

Pure: the caller reads the day's premium charges (``store.queries.premium_charges``) and
passes the clock. The dashboard's budget panel and ``convergio budget`` both show it.

The rate is what was charged over the last hour, divided by the time it was charged
over: from the first charge of that hour (work that began ten minutes ago is measured
over those ten minutes, not diluted over the hour), but never less than a quarter of an
hour, so the first cheap run of the day does not forecast the cap in a few minutes.
The forecast divides what is left of the cap by that rate; a cap that would only be
reached after midnight is not reached today (the budget day starts again).
"""

from __future__ import annotations

from collections.abc import Iterable

from convergio_tui.frozen import Frozen, frozen
from convergio_tui.money import rate

WINDOW_S = 3600.0  # the rate looks back this far
MIN_SPAN_S = 900.0  # and divides by at least this much
EPSILON = 1e-9


@frozen
class Burn(Frozen):
    """The premium burn rate now and what it means for today's cap.

    ``state``: ``reached`` (spend is at the cap), ``idle`` (nothing charged in the last
    hour), ``today`` (the cap is reached ``cap_in_s`` from now at this rate) or
    ``not_today`` (not before the budget day ends)."""

    usd_per_hour: float
    state: str
    cap_in_s: float | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON of the burn rate (``convergio budget --json``'s ``burn``)."""
        in_s = None if self.cap_in_s is None else round(self.cap_in_s, 1)
        return {"usd_per_hour": round(self.usd_per_hour, 6), "forecast": self.state,
                "cap_in_s": in_s}  # fmt: skip


def burn_rate(charges: Iterable[tuple[float, float]], now: float) -> float:
    """USD per hour charged over the last :data:`WINDOW_S` (``charges``: (ts, usd))."""
    recent = [(ts, amount) for ts, amount in charges if now - WINDOW_S < ts <= now]
    if not recent:
        return 0.0
    first = min(ts for ts, _ in recent)
    span = max(MIN_SPAN_S, now - first)
    return sum(amount for _, amount in recent) * 3600.0 / span


def forecast(
    charges: Iterable[tuple[float, float]], spent: float, cap: float, now: float, day_end: float
) -> Burn:
    """Today's burn rate and when ``cap`` is reached at it, given ``spent`` so far."""
    per_hour = burn_rate(charges, now)
    if spent + EPSILON >= cap:
        return Burn(per_hour, "reached", 0.0)
    if per_hour <= EPSILON:
        return Burn(0.0, "idle")
    cap_in_s = (cap - spent) / per_hour * 3600.0
    if now + cap_in_s >= day_end:
        return Burn(per_hour, "not_today")
    return Burn(per_hour, "today", cap_in_s)


def span_text(seconds: float) -> str:
    """``3h20m``, ``45m`` or ``under a minute``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def burn_text(burn: Burn) -> str:
    """``burn $1.20/h · cap in 3h20m at this rate``, worded for each state."""
    match burn.state:
        case "reached":
            return "cap reached" + (
                f" · burn {rate(burn.usd_per_hour)}" if burn.usd_per_hour else ""
            )
        case "idle":
            return "burn $0.00/h · nothing charged in the last hour"
        case "today" if burn.cap_in_s is not None:
            return (
                f"burn {rate(burn.usd_per_hour)} · cap in {span_text(burn.cap_in_s)} at this rate"
            )
    return f"burn {rate(burn.usd_per_hour)} · cap not reached today at this rate"


__all__ = ["Burn", "burn_rate", "burn_text", "forecast", "span_text"]
