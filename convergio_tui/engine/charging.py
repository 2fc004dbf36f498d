"""What one finished run costs (docs/budget.md), from what its CLI reported. Pure.

- premium (claude, gemini, copilot): the AI credits the CLI reports, at the provider's
  ``usd_per_credit`` (copilot); else its ``cost_usd``; else its token counts at the
  model's prices; else — nothing reported, so nothing is known — the run's reservation,
  its worst case (charging less could let real spend pass the cap). Counts against the cap.
- zero (a flat-rate CLI): no USD; premium requests × the model's multiplier.
- free (opencode): nothing.

Copilot's premium requests are still recorded beside its credits, for the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from convergio_tui.config.schema import CostTier, ModelConfig, ProviderConfig
from convergio_tui.engine.pricing import credits_usd, token_cost, usd_credits


@dataclass(frozen=True)
class Charge:
    """The ledger charge of one run (``credits``: AI credits, for a credit-billed CLI)."""

    usd: float
    premium: bool
    premium_requests: float
    note: str
    credits: float = 0.0


def _raw_requests(premium_requests: float | None, success: bool) -> float:
    # A run that reports nothing still spent a request when it did any work.
    return premium_requests if premium_requests is not None else (1.0 if success else 0.0)


def _requests(model: ModelConfig | None, premium_requests: float | None, success: bool) -> float:
    multiplier = model.multiplier if model is not None else 1.0
    return _raw_requests(premium_requests, success) * multiplier


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
    credits: float | None = None,
    reserved_usd: float | None = None,
) -> Charge:
    """The charge of a run that actually started (see the module docstring).

    ``reserved_usd`` is what the run reserved; without one (an older caller) a run that
    reported nothing is charged ``estimate_usd``.
    """
    tier = provider.cost_tier
    rate = provider.usd_per_credit
    if tier is CostTier.PREMIUM:
        requests = _requests(model, premium_requests, success) if rate else 0.0
        if rate and credits is not None:
            usd = credits_usd(credits, rate)
            return Charge(usd, True, requests, f"{credits:g} AI credits reported by the CLI",
                          max(0.0, credits))  # fmt: skip
        if cost_usd is not None:
            usd = max(0.0, cost_usd)
            return Charge(usd, True, requests, "cost reported by the CLI", _credits(usd, rate))
        if model is not None and (input_tokens or output_tokens):
            usd = token_cost(model, input_tokens, output_tokens)
            note = f"{input_tokens}+{output_tokens} tokens at list prices"
            return Charge(usd, True, requests, note, _credits(usd, rate))
        if reserved_usd is not None:
            note = "no figures reported: charged the reservation (the run's worst case)"
            return Charge(reserved_usd, True, requests, note, _credits(reserved_usd, rate))
        return Charge(estimate_usd, True, requests, "no figures reported: the estimate",
                      _credits(estimate_usd, rate))  # fmt: skip
    if tier is CostTier.ZERO:
        raw = _raw_requests(premium_requests, success)
        multiplier = model.multiplier if model is not None else 1.0
        return Charge(0.0, False, raw * multiplier, f"{raw:g} premium requests x {multiplier:g}")
    return Charge(0.0, False, 0.0, "free provider")


def _credits(usd: float, rate: float | None) -> float:
    return usd_credits(usd, rate) if rate else 0.0
