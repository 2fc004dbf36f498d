"""What a run cut short before its CLI's final report costs: the tokens its stream had
already reported, at list prices (a lower bound), or nothing when it reported none.

Used for a run whose engine died (:mod:`engine.recovery`) and for a run whose node was
lost mid-run (``execution.backend: ray``): either way its reservation is settled once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from convergio_tui.config.schema import Config
from convergio_tui.engine.charging import Charge, charge_for
from convergio_tui.engine.recovery_log import partial_usage


def partial_charge(config: Config, provider_name: str, model: str, adapter_name: str,
                   stdout_lines: Iterable[str], why: str) -> Charge | None:  # fmt: skip
    """The charge of a cut-short run from its streamed ``stdout_lines`` (see the module
    docstring); None when nothing was reported. ``why`` starts the ledger note."""
    provider = config.providers.get(provider_name)
    if provider is None:
        return None
    inp, out = partial_usage(adapter_name, stdout_lines)
    if not (inp or out):
        return None
    charge = charge_for(provider, provider.model(model), success=False, cost_usd=None,
                        input_tokens=inp, output_tokens=out, premium_requests=None,
                        estimate_usd=0.0)  # fmt: skip
    if charge.usd <= 0 and charge.premium_requests <= 0:
        return None
    return replace(charge, note=f"{why}: {inp}+{out} tokens its stream reported, at list prices")
