"""What one finished run costs (SPEC §5), from what its CLI reported. Pure.

- premium (claude, gemini): the CLI's ``cost_usd`` when it gives one, else its token
  counts at the model's prices, else the reservation estimate; counts against the cap.
- zero (copilot): no USD; premium requests × the model's multiplier.
- free (opencode): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from convergio_tui.config.schema import CostTier, ModelConfig, ProviderConfig
from convergio_tui.engine.pricing import token_cost


@dataclass(frozen=True)
class Charge:
    """The ledger charge of one run."""

    usd: float
    premium: bool
    premium_requests: float
    note: str


def charge_for(
    provider: ProviderConfig,
    model: ModelConfig | None,
    *,
    success: bool,
    cost_usd: float | None,
    input_tokens: int,
    output_tokens: int,
    premium_requests: float | None,
    estimate_usd: float,
) -> Charge:
    """The charge of a run that actually started (see the module docstring)."""
    tier = provider.cost_tier
    if tier is CostTier.PREMIUM:
        if cost_usd is not None:
            return Charge(max(0.0, cost_usd), True, 0.0, "cost reported by the CLI")
        if model is not None and (input_tokens or output_tokens):
            usd = token_cost(model, input_tokens, output_tokens)
            return Charge(usd, True, 0.0, f"{input_tokens}+{output_tokens} tokens at list prices")
        return Charge(estimate_usd, True, 0.0, "no figures reported: the estimate")
    if tier is CostTier.ZERO:
        # A run that reports nothing still spent a request when it did any work.
        requests = premium_requests if premium_requests is not None else (1.0 if success else 0.0)
        multiplier = model.multiplier if model is not None else 1.0
        weighted = requests * multiplier
        return Charge(0.0, False, weighted, f"{requests:g} premium requests x {multiplier:g}")
    return Charge(0.0, False, 0.0, "free provider")
