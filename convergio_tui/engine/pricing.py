"""Cost arithmetic: estimates, charges from token counts, AI credits (pure)."""

from __future__ import annotations

from convergio_tui.config.schema import ModelConfig

CHARS_PER_TOKEN = 4


def estimate_input_tokens(prompt_chars: int) -> int:
    """The prompt's tokens, estimated as its characters / 4."""
    return max(0, prompt_chars) // CHARS_PER_TOKEN


def token_cost(model: ModelConfig, input_tokens: int, output_tokens: int) -> float:
    """USD for the given tokens at the model's list prices (missing price = 0)."""
    inp = (model.input_usd_per_mtok or 0.0) * input_tokens
    out = (model.output_usd_per_mtok or 0.0) * output_tokens
    return (inp + out) / 1_000_000


def estimate_cost(model: ModelConfig, prompt_chars: int, output_tokens: int) -> float:
    """The expected cost of one run (shown by ``run --dry-run``; never what is reserved:
    a reservation is the run's worst case, engine/reservation.py)."""
    return token_cost(model, estimate_input_tokens(prompt_chars), output_tokens)


def credits_usd(credits: float, usd_per_credit: float) -> float:
    """USD of ``credits`` AI credits (Copilot since June 2026: 1 credit = $0.01)."""
    return max(0.0, credits) * usd_per_credit


def usd_credits(usd: float, usd_per_credit: float) -> float:
    """AI credits worth ``usd``."""
    return max(0.0, usd) / usd_per_credit if usd_per_credit > 0 else 0.0
