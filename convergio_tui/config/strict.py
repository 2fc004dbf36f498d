"""The base of every model read from a user's file: unknown keys are errors."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Forbid unknown keys (a typo must not be silently ignored) and freeze instances."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_regex(value: str) -> str:
    """Validate a regular expression from a user's file; return it unchanged."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value
