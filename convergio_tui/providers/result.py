"""What a provider run produced, as read from its structured output."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class ErrorClass(StrEnum):
    """Why a run failed; decides what the engine does next (docs/providers.md)."""

    rate_limit = "rate_limit"  # cool the provider down at once
    auth = "auth"  # mark the provider down
    model_not_found = "model_not_found"  # configuration error, shown in health
    timeout = "timeout"  # killed at timeout_s
    crashed = "crashed"  # died by a signal / abnormally
    failed = "failed"  # anything else, including no structured result
    spending_limit = "spending_limit"  # stopped by its own per-run limit: work unfinished
    integrity = "integrity"  # the agent changed what it must not: a person decides
    none = "none"  # success


@dataclass(frozen=True)
class ProviderResult:
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
    credits: float | None = None  # AI credits a credit-billed CLI reported (copilot)

    @classmethod
    def succeeded(
        cls,
        text: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cost_usd: float | None = None,
        premium_requests: float | None = None,
        session_id: str | None = None,
        credits: float | None = None,
    ) -> ProviderResult:
        """A run whose structured result says it succeeded: no error class, no message."""
        return cls(
            True, text, input_tokens, output_tokens, cost_usd, premium_requests,
            ErrorClass.none, "", session_id, credits,
        )  # fmt: skip

    def as_failure(self, error_class: ErrorClass, error: str) -> ProviderResult:
        """The same text, usage and session, marked failed; the message trimmed to 4000."""
        return replace(self, success=False, error_class=error_class, error=error[:4000])


def failure(error_class: ErrorClass, error: str, *, text: str = "") -> ProviderResult:
    """A failed run known only by its message (and any answer text): no usage, no cost."""
    return ProviderResult.succeeded(text).as_failure(error_class, error)
