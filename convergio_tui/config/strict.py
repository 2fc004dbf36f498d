"""The base of the pydantic models read from a user's file (plan specs, constitutions):
unknown keys are errors. The configuration's own sections are dataclasses
(config/section.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from convergio_tui.config.section import check_regex

__all__ = ["StrictModel", "check_regex"]


class StrictModel(BaseModel):
    """Forbid unknown keys (a typo must not be silently ignored) and freeze instances.

    The validator is built on first use, not at import: a command whose configuration
    comes from the cache (config/cache.py) never validates and so never pays for it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
