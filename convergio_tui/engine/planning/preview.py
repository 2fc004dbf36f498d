"""Where each task of a plan spec would go now, before the plan is stored: what
``convergio plan new`` shows of a drafted plan, in the rows ``run --dry-run`` prints.

Routes exactly as ``plan import`` would store it (:func:`engine.planner.route_spec`):
today's budget and the cached health; runs nothing and writes nothing.
"""

from __future__ import annotations

from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec
from convergio_tui.engine.planner import route_spec
from convergio_tui.engine.preview import PreviewRow
from convergio_tui.engine.projects import ProjectRef


def preview_spec(config: Config, spec: PlanSpec, ref: ProjectRef) -> list[PreviewRow]:
    """One row per task, in the spec's order, with its wave's position."""
    decisions = route_spec(spec, ref, config)
    rows = []
    for seq, wave in enumerate(spec.waves, start=1):
        for task in wave.tasks:
            _, why, d = decisions[task.code]
            reasons = (why, *d.reasons) if why else d.reasons
            rows.append(PreviewRow(task.code, seq, "draft", d.provider, d.model,
                                   d.estimate_usd, tuple(reasons), d.reserve_usd))  # fmt: skip
    return rows
