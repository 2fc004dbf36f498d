"""Money is written one way everywhere: two decimals, sub-cent as <$0.01, credits as credits."""

from __future__ import annotations

import pytest

from convergio_tui import money
from convergio_tui.tui.format import cost_text
from convergio_tui.tui.format import money as tui_money


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0.7, "$0.70"),
        (0.0, "$0.00"),
        (0.004, "<$0.01"),
        (0.0099, "<$0.01"),
        (0.01, "$0.01"),
        (1.1, "$1.10"),
        (1234.5, "$1,234.50"),
        (-0.5, "-$0.50"),
    ],
)
def test_dollars_have_two_decimals_and_sub_cent_reads_as_under_a_cent(
    amount: float, text: str
) -> None:
    assert money.usd(amount) == text
    assert tui_money(amount) == text  # the dashboard writes them the same way


@pytest.mark.parametrize(
    ("count", "text"),
    [(12, "12 credits"), (1, "1 credit"), (0.5, "0.5 credits"), (1500, "1,500 credits")],
)
def test_ai_credits_are_counted_as_credits(count: float, text: str) -> None:
    assert money.credits(count) == text


def test_a_credit_billed_cost_says_its_credits_first() -> None:
    assert money.cost(0.12, 12) == "12 credits ($0.12)"
    assert cost_text(0.12, 12) == "12 credits ($0.12)"
    assert money.cost(0.7) == "$0.70"
    assert money.rate(1.2) == "$1.20/h"
