"""Cost arithmetic: estimates and actual charges from token counts (pure)."""

from __future__ import annotations

from convergio_tui.config.schema import ModelConfig

CHARS_PER_TOKEN = 4


def estimate_input_tokens(prompt_chars: int) -> int:
    """SPEC §5: the prompt's characters / 4."""
    return max(0, prompt_chars) // CHARS_PER_TOKEN


def token_cost(model: ModelConfig, input_tokens: int, output_tokens: int) -> float:
    """USD for the given tokens at the model's list prices (missing price = 0)."""
    inp = (model.input_usd_per_mtok or 0.0) * input_tokens
    out = (model.output_usd_per_mtok or 0.0) * output_tokens
    return (inp + out) / 1_000_000


def estimate_cost(model: ModelConfig, prompt_chars: int, output_tokens: int) -> float:
    """The reservation estimate of SPEC §5 for one run."""
    return token_cost(model, estimate_input_tokens(prompt_chars), output_tokens)
