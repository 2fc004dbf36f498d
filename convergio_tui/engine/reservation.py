"""What one premium run may cost at most, and the hard limit its CLI is given. Pure.

A premium run reserves its **worst case** before it starts: the model's ``max_run_usd``
(``budget.default_max_run_usd`` when unset), raised to the learned p95 of that
provider·model's real costs when those run higher. The ledger grants the whole worst case
or nothing (a smaller grant would start runs that are likely to be stopped half-way by
their limit and then paid again): a run that does not fit the headroom leaves routing
for a provider whose worst case fits, as at the cap.

Where the CLI takes a per-run limit (claude ``--max-budget-usd``, copilot
``--max-ai-credits``), the run gets one. Both CLIs check it only after a model call
returns, so a run can pass its limit by one call: the limit passed is the reservation
minus the model's worst single call (``max_call_usd``), and the real cost stays inside the
reservation. The ledger I/O around this lives in ``engine/budget.py``; see docs/budget.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from convergio_tui.config.schema import BudgetConfig, ModelConfig, ProviderConfig
from convergio_tui.frozen import Frozen, frozen

EPSILON = 1e-9
# The adapter modules, by name (providers/__init__.py): a provider named otherwise runs the
# adapter of its CLI's basename, as the engine's dispatch does.
ADAPTER_NAMES = ("claude", "copilot", "gemini", "opencode")
# GitHub's rate since June 2026 (1 AI credit = $0.01), for a copilot provider without
# ``usd_per_credit``.
DEFAULT_USD_PER_CREDIT = 0.01


@frozen
class HardLimit(Frozen):
    """A CLI's per-run spending limit: its unit and the smallest value it accepts."""

    unit: Literal["usd", "credits"]
    minimum: float


HARD_LIMITS: dict[str, HardLimit] = {
    "claude": HardLimit("usd", 0.01),  # --max-budget-usd
    "copilot": HardLimit("credits", 30.0),  # --max-ai-credits: the CLI refuses less than 30
}


def cli_name(name: str, provider: ProviderConfig) -> str:
    """The adapter a provider runs: its own name when an adapter has it, else its CLI's."""
    return name if name in ADAPTER_NAMES else Path(provider.cli[0]).name


def call_usd(model: ModelConfig) -> float:
    """One model call's worst case: ``max_call_usd``, else its output cap at list price."""
    if model.max_call_usd is not None:
        return model.max_call_usd
    return model.max_output_tokens * (model.output_usd_per_mtok or 0.0) / 1_000_000


def p95(costs: Sequence[float]) -> float | None:
    """The nearest-rank 95th percentile of ``costs`` (None for none): with fewer than 20
    costs it is the largest, so one overrun raises the next reservations at once."""
    if not costs:
        return None
    ordered = sorted(costs)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@frozen
class Envelope(Frozen):
    """The worst case of one run on a provider·model, and how its CLI is held to it."""

    provider: str
    model: str
    worst_usd: float
    call_usd: float
    limit: HardLimit | None
    usd_per_credit: float
    why: str

    def fits(self, headroom_usd: float) -> bool:
        """Whether the whole worst case fits the remaining headroom."""
        return self.worst_usd <= headroom_usd + EPSILON

    def hard_limit(self, reserved_usd: float) -> float | None:
        """The value passed to the CLI for a run that reserved ``reserved_usd``, in the
        CLI's unit (rounded down); None when the CLI has no limit or none fits."""
        if self.limit is None:
            return None
        usd = reserved_usd - self.call_usd
        if self.limit.unit == "credits":
            value = float(math.floor(usd / self.usd_per_credit + EPSILON))
        else:
            value = math.floor(usd * 10_000 + EPSILON) / 10_000
        return value if value + EPSILON >= self.limit.minimum else None

    def limit_usd(self, value: float) -> float:
        """A hard limit value in USD."""
        return value * self.usd_per_credit if self.limit and self.limit.unit == "credits" else value


def envelope(
    name: str,
    provider: ProviderConfig,
    model: ModelConfig,
    budget: BudgetConfig,
    learned: Mapping[tuple[str, str], float] | None = None,
) -> Envelope:
    """The worst case of a run of ``model`` on provider ``name`` (see the module doc)."""
    limit = HARD_LIMITS.get(cli_name(name, provider))
    rate = provider.usd_per_credit or DEFAULT_USD_PER_CREDIT
    call = call_usd(model)
    configured = model.max_run_usd if model.max_run_usd is not None else budget.default_max_run_usd
    worst, why = configured, f"max_run_usd ${configured:.2f}"
    if model.max_run_usd is None:
        why = f"budget.default_max_run_usd ${configured:.2f}"
    seen = (learned or {}).get((name, model.id))
    if seen is not None and seen > worst + EPSILON:
        worst, why = seen, f"learned p95 ${seen:.2f} (above max_run_usd ${configured:.2f})"
    if limit is not None:
        # The CLI refuses a limit under its minimum: the reservation must hold that plus
        # the call that may pass it.
        floor = call + limit.minimum * (rate if limit.unit == "credits" else 1.0)
        if floor > worst + EPSILON:
            worst, why = floor, f"the smallest limit {name} accepts plus one call (${floor:.2f})"
    return Envelope(name, model.id, worst, call, limit, rate, why)
