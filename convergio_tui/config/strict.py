"""The base of every model read from a user's file: unknown keys are errors."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Forbid unknown keys (a typo must not be silently ignored) and freeze instances.

    The validator is built on first use, not at import: a command whose configuration
    comes from the cache (config/cache.py) never validates and so never pays for it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def check_regex(value: str) -> str:
    """Validate a regular expression from a user's file; return it unchanged."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value
