"""The router's budget steps (pure): premium candidates whose worst case does not fit the
headroom leave routing; past the alert threshold, premium work of the shifting priorities
moves to the next cheaper provider of its routing order.

"Cheaper" compares the cost tier first (free < zero < premium), then, between premium
providers, the worst case each would reserve for this task (engine/reservation.py).
"""

from __future__ import annotations

from convergio_tui.config.schema import Config, CostTier, ModelConfig
from convergio_tui.engine.reservation import EPSILON, Envelope, envelope
from convergio_tui.frozen import Frozen, frozen


@frozen
class BudgetFilter(Frozen):
    """What the budget step kept, dropped, and why."""

    kept: list[str]
    over_cap: list[str]
    envelopes: dict[str, Envelope]
    reason: str | None


def premium_envelopes(
    config: Config,
    models: dict[str, ModelConfig | None],
    learned: dict[tuple[str, str], float],
) -> dict[str, Envelope]:
    """The worst case of each premium candidate with its chosen model."""
    return {
        name: envelope(name, config.providers[name], model, config.budget, learned)
        for name, model in models.items()
        if model is not None and config.providers[name].cost_tier is CostTier.PREMIUM
    }


def filter_by_budget(
    kept: list[str],
    envelopes: dict[str, Envelope],
    *,
    spent_usd: float,
    reserved_usd: float,
    cap_usd: float,
    enforce: bool,
) -> BudgetFilter:
    """Step 5: drop premium candidates whose whole worst case does not fit the headroom."""
    used = spent_usd + reserved_usd
    headroom = cap_usd - used
    over = [p for p in kept if p in envelopes and not envelopes[p].fits(headroom)]
    if not over:
        return BudgetFilter(kept, [], envelopes, None)
    head = f"budget: ${used:.2f} used of ${cap_usd:.2f} cap"
    needs = ", ".join(f"{p} ${envelopes[p].worst_usd:.2f}" for p in over)
    detail = f" (worst case {needs}; ${max(0.0, headroom):.2f} left)"
    if not enforce:
        return BudgetFilter(kept, over, envelopes, f"{head}; over the cap but not enforced")
    still = [p for p in kept if p not in over]
    return BudgetFilter(
        still, over, envelopes, f"{head}; premium dropped: {', '.join(over)}{detail}"
    )


def _cost_key(name: str, config: Config, envelopes: dict[str, Envelope]) -> tuple[int, float]:
    tier = config.providers[name].cost_tier
    worst = envelopes[name].worst_usd if name in envelopes else 0.0
    return (tier.rank, worst if tier is CostTier.PREMIUM else 0.0)


def shift_at_alert(
    priority: str,
    ordered: list[str],
    config: Config,
    envelopes: dict[str, Envelope],
    *,
    spent_usd: float,
    cap_usd: float,
) -> tuple[str, str | None]:
    """Past the alert threshold, move premium work of ``budget.shift_priorities`` to the
    first cheaper provider after the choice in ``ordered``. (chosen, reason or None)."""
    chosen = ordered[0]
    rules = config.budget
    if not rules.shift_at_alert or priority not in rules.shift_priorities:
        return chosen, None
    if config.providers[chosen].cost_tier is not CostTier.PREMIUM:
        return chosen, None
    pct = 100.0 * spent_usd / cap_usd if cap_usd > 0 else 100.0
    if pct + EPSILON < rules.alert_threshold_pct:
        return chosen, None
    head = (f"budget: spend is {pct:.0f}% of the cap, past the {rules.alert_threshold_pct:g}% "
            f"alert: {priority} premium work moves to a cheaper provider")  # fmt: skip
    mine = _cost_key(chosen, config, envelopes)
    for name in ordered[1:]:
        if _cost_key(name, config, envelopes) < mine:
            return name, f"{head}: {chosen} -> {name}"
    return chosen, f"{head}, but none is cheaper than {chosen}: it keeps the task"
