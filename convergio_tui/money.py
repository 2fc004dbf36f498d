"""Money as people read it, one way everywhere: the CLI, the dashboard, notifications.

Dollars always have two decimals (``$0.70``, ``$1,234.50``, ``$0.00``); an amount above
zero but under a cent is ``<$0.01`` rather than a string of zeros or a rounded-up cent;
AI credits (what copilot bills) are counted as credits (``12 credits``), with their
dollar value beside them where both matter. JSON output keeps the raw numbers: only text
goes through here. Pure, imports nothing of the package.
"""

from __future__ import annotations

CENT = 0.01


def usd(amount: float) -> str:
    """``$0.70``; ``<$0.01`` for a positive amount under a cent; ``$0.00`` for zero."""
    if amount < 0:
        return "-" + usd(-amount)
    if 0 < amount < CENT:
        return "<$0.01"
    return f"${amount:,.2f}"


def credits(count: float) -> str:
    """AI credits: ``12 credits``, ``1 credit``, ``0.5 credits``."""
    shown = f"{count:,.2f}".rstrip("0").rstrip(".") if count != int(count) else f"{count:,.0f}"
    return f"{shown} credit" + ("" if count == 1 else "s")


def cost(amount: float, ai_credits: float = 0.0) -> str:
    """What a run or provider cost: dollars, or for a credit-billed CLI (copilot) its
    credits first and their dollar value after (``12 credits ($0.12)``)."""
    if ai_credits:
        return f"{credits(ai_credits)} ({usd(amount)})"
    return usd(amount)


def rate(amount_per_hour: float) -> str:
    """A burn rate: ``$1.20/h`` (``<$0.01/h`` when barely spending)."""
    return f"{usd(amount_per_hour)}/h"
