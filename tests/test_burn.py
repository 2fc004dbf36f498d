"""Today's burn rate and the forecast of the cap, computed from the day's premium charges."""

from __future__ import annotations

import pytest

from convergio_tui.engine.burn import Burn, burn_rate, burn_text, forecast, span_text

NOW = 1_000_000.0
DAY_END = NOW + 10 * 3600  # ten hours of the budget day left


def test_the_rate_is_measured_from_the_first_charge_of_the_last_hour() -> None:
    # $1 over the last 30 minutes is $2/h, not $1/h diluted over the whole hour.
    charges = [(NOW - 1800, 0.5), (NOW - 60, 0.5)]
    assert burn_rate(charges, NOW) == pytest.approx(2.0)


def test_charges_older_than_an_hour_do_not_count() -> None:
    assert burn_rate([(NOW - 3601, 5.0)], NOW) == 0.0
    assert burn_rate([(NOW - 3601, 5.0), (NOW - 3000, 1.0)], NOW) == pytest.approx(
        1.0 * 3600 / 3000
    )


def test_a_first_charge_a_minute_ago_is_spread_over_a_quarter_hour() -> None:
    # One $0.25 run a minute ago is $1/h (15 minutes at least), not $15/h.
    assert burn_rate([(NOW - 60, 0.25)], NOW) == pytest.approx(1.0)


def test_the_cap_forecast_at_this_rate() -> None:
    charges = [(NOW - 3600 + 1, 1.0)]  # ≈ $1/h
    burn = forecast(charges, spent=4.0, cap=6.0, now=NOW, day_end=DAY_END)
    assert burn.state == "today"
    assert burn.cap_in_s == pytest.approx(2 * 3600, rel=1e-3)
    assert burn_text(burn) == "burn $1.00/h · cap in 1h59m at this rate"


def test_a_cap_past_midnight_is_not_reached_today() -> None:
    burn = forecast([(NOW - 1800, 0.5)], spent=1.0, cap=100.0, now=NOW, day_end=DAY_END)
    assert (burn.state, burn.cap_in_s) == ("not_today", None)
    assert burn_text(burn) == "burn $1.00/h · cap not reached today at this rate"


def test_idle_and_reached() -> None:
    assert forecast([], spent=1.0, cap=2.0, now=NOW, day_end=DAY_END) == Burn(0.0, "idle")
    reached = forecast([(NOW - 900, 0.5)], spent=2.0, cap=2.0, now=NOW, day_end=DAY_END)
    assert reached.state == "reached" and burn_text(reached) == "cap reached · burn $2.00/h"
    assert burn_text(Burn(0.0, "idle")) == "burn $0.00/h · nothing charged in the last hour"


def test_spans_read_as_hours_and_minutes() -> None:
    assert [span_text(s) for s in (30, 60 * 45, 3600 * 3 + 60 * 20)] == [
        "under a minute", "45m", "3h20m"]  # fmt: skip
