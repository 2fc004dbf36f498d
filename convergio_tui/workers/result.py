"""What a provider run produced, as read from its structured output."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorClass(StrEnum):
    """Why a run failed; decides what the engine does next (PROVIDERS.md)."""

    rate_limit = "rate_limit"  # cool the provider down at once
    auth = "auth"  # mark the provider down
    model_not_found = "model_not_found"  # configuration error, shown in health
    timeout = "timeout"  # killed at timeout_s
    crashed = "crashed"  # died by a signal / abnormally
    failed = "failed"  # anything else, including no structured result
    none = "none"  # success


@dataclass(frozen=True)
class WorkerResult:
    """The parsed outcome of one run. ``success`` only when the tool's result says so."""

    success: bool
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    premium_requests: float | None
    error_class: ErrorClass
    error: str
    session_id: str | None


def failure(
    error_class: ErrorClass,
    error: str,
    *,
    text: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float | None = None,
    premium_requests: float | None = None,
    session_id: str | None = None,
) -> WorkerResult:
    """A failed WorkerResult with the message trimmed to a readable size."""
    return WorkerResult(
        success=False,
        text=text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
        premium_requests=premium_requests,
        error_class=error_class,
        error=error[:4000],
        session_id=session_id,
    )
