"""How ``plan new`` and ``plan import`` show a plan's routing: the rows ``run --dry-run``
prints (provider·model, estimate, reservation, why), the totals against today's headroom,
and the one-paragraph summary of an import. Text only; the callers print it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from convergio_tui.money import usd
from convergio_tui.textsafe import one_line


def totals(rows: Sequence[Any]) -> tuple[float, float]:
    """The expected premium spend and the sum of the reservations premium runs take."""
    return sum(r.estimate_usd for r in rows), sum(r.reserve_usd for r in rows)


def headroom_line(today: Any) -> str:
    """Today's headroom, as ``run --dry-run`` says it."""
    return (f"headroom today: {usd(max(0.0, today.headroom_usd))} of the {usd(today.cap_usd)} "
            f"cap (spent {usd(today.spent_usd)}, reserved {usd(today.reserved_usd)}); each "
            "premium run holds its reservation while it runs")  # fmt: skip


def preview_lines(rows: Sequence[Any], today: Any, waves: Sequence[str] = ()) -> list[str]:
    """Each task's route (grouped by wave when ``waves`` names them) and the totals."""
    lines: list[str] = []
    seen_wave = 0
    for r in rows:
        if waves and r.wave != seen_wave and r.wave <= len(waves):
            seen_wave = r.wave
            lines.append(f"  wave {r.wave}: {one_line(waves[r.wave - 1])}")
        target = f"{r.provider}·{r.model}" if r.provider else "BLOCKED"
        reserve = f"  reserve {usd(r.reserve_usd)}" if r.reserve_usd else ""
        lines.append(f"  w{r.wave} {r.code:<10} {one_line(target):<34} est "
                     f"{usd(r.estimate_usd)}{reserve}")  # fmt: skip
        lines += [f"      - {one_line(reason)}" for reason in r.reasons]
    estimate, reserve = totals(rows)
    lines.append(f"estimated premium spend: {usd(estimate)}; reservations while running: up "
                 f"to {usd(reserve)} in all")  # fmt: skip
    lines.append(headroom_line(today))
    return lines


def routed_counts(rows: Sequence[Any]) -> dict[str, int]:
    """Tasks per provider, most first; blocked tasks under ``"blocked"``."""
    counts = Counter(r.provider or "blocked" for r in rows)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def import_summary(plan_id: int, name: str, project: str, waves: int, rows: Sequence[Any],
                   today: Any) -> list[str]:  # fmt: skip
    """What ``plan import`` says after storing a plan: its shape, where the tasks go, what
    they may cost against today's headroom, and the next command."""
    counts = routed_counts(rows)
    routed = ", ".join(f"{p} {n}" for p, n in counts.items()) or "nothing to route"
    estimate, reserve = totals(rows)
    lines = [
        f"plan {plan_id} {one_line(name)!r} imported for project {one_line(project)}: "
        f"{waves} wave{'s' if waves != 1 else ''}, {len(rows)} task{'s' if len(rows) != 1 else ''}",
        f"  routed now: {routed}",
        f"  estimated premium spend {usd(estimate)}; premium runs reserve up to "
        f"{usd(reserve)} while they run (headroom today {usd(max(0.0, today.headroom_usd))})",
    ]  # fmt: skip
    if "blocked" in counts:
        lines.append(f"  blocked now: {', '.join(r.code for r in rows if not r.provider)} "
                     f"(see why: convergio run {plan_id} --dry-run)")  # fmt: skip
    lines.append(f"next: convergio run {plan_id} --dry-run (where each task goes and why), "
                 f"then convergio run {plan_id}")  # fmt: skip
    return lines
