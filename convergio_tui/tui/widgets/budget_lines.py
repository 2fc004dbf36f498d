"""The budget panel's lines, each fitted to a width: today's spend against the cap, the
burn rate and when the cap is reached at it, spend per provider and per plan, the
reservations in flight and the overruns. Pure: values in, Textual ``Content`` out.

Money is written by ``convergio_tui.money`` (``$0.70``, ``<$0.01``, copilot in credits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content

from convergio_tui.engine.budget import BudgetStatus
from convergio_tui.engine.burn import Burn, burn_text, span_text
from convergio_tui.money import cost, credits, rate, usd
from convergio_tui.store.queries import InFlight, OverrunLine, PlanSpend
from convergio_tui.textsafe import one_line

MUTED = "$foreground-muted"
SOON_S = 2 * 3600  # a cap this close is said in the alert colour
Part = str | tuple[str, str]


def fit(parts: Sequence[Part], width: int) -> Content:
    """``parts`` on one line, cut to ``width`` cells with an ellipsis."""
    content = Content.assemble(*parts)
    return content if content.cell_length <= width else content.truncate(width, ellipsis=True)


def labelled(label: str, items: Sequence[str], width: int) -> Content:
    """``label item · item · …``; the label is left out first when the line is too long."""
    parts: list[Part] = []
    for i, item in enumerate(items):
        parts += [(" · ", MUTED)] if i else []
        parts.append(item)
    with_label = [(f"{label} ", MUTED), *parts]
    whole = Content.assemble(*with_label)
    return whole if whole.cell_length <= width else fit(parts, width)


def summary_line(status: BudgetStatus, width: int) -> Content:
    """Spend, cap, share, the headroom left for new reservations and what running
    premium runs hold, as much of it as fits ``width`` cells."""
    spent, cap = usd(status.spent_usd), usd(status.cap_usd)
    pct, alert = f"{status.pct:.0f}%", f"{status.alert_threshold_pct:.0f}%"
    left = f"{usd(max(0.0, status.headroom_usd))} headroom"
    held = f" · {usd(status.reserved_usd)} reserved" if status.reserved_usd > 0 else ""
    candidates = (
        Content.assemble((spent, "bold"), f" of {cap} premium", (f" · {pct}", "bold"),
                         f" · {left}", (f"{held} · alert at {alert}", MUTED)),
        Content.assemble((spent, "bold"), f"/{cap}", (f" {pct}", "bold"), f" · {left}", (held, MUTED)),
        Content.assemble((spent, "bold"), f"/{cap}", (f" {pct}", "bold"), f" · {left}"),
    )  # fmt: skip
    return next((c for c in candidates if c.cell_length <= width), fit(candidates[-1], width))


def burn_line(burn: Burn | None, width: int) -> Content:
    """``burn $1.20/h · cap in 3h20m at this rate`` (the forecast bold when it is close)."""
    if burn is None:
        return Content.styled("burn rate: reading the ledger…", MUTED)
    if burn.state == "today" and burn.cap_in_s is not None:
        soon = "bold $budget-alert" if burn.cap_in_s < SOON_S else "bold"
        parts: list[Part] = [("burn ", MUTED), (rate(burn.usd_per_hour), "bold"),
                             (" · cap in ", MUTED), (span_text(burn.cap_in_s), soon),
                             (" at this rate", MUTED)]  # fmt: skip
        return fit(parts if Content.assemble(*parts).cell_length <= width else parts[:-1], width)
    return fit([(burn_text(burn), MUTED)], width)


def providers_line(
    by_provider: Mapping[str, float],
    requests: Mapping[str, float],
    ai_credits: Mapping[str, float],
    width: int,
) -> Content:
    """Today's spend per provider: dollars, copilot in credits, zero-tier in requests."""
    names = sorted(set(by_provider) | set(requests) | set(ai_credits))
    if not names:
        return Content.styled("no charges yet today", MUTED)
    items = []
    for name in names:
        amount = by_provider.get(name, 0.0)
        if amount == 0 and name in requests and name not in ai_credits:  # zero-tier
            items.append(f"{name} {requests[name]:g} req")
        else:
            items.append(f"{name} {cost(amount, ai_credits.get(name, 0.0))}")
    return labelled("by provider", items, width)


def plans_line(spend: Sequence[PlanSpend], width: int) -> Content:
    """Today's spend per plan, the costliest first."""
    if not spend:
        return Content.styled("no plan charged today", MUTED)
    items = []
    for plan in spend:  # a plan's runs may mix providers: dollars, its credits beside
        label = f"#{plan.plan_id} {one_line(plan.name)}" if plan.plan_id else "other"
        extra = f" incl. {credits(plan.ai_credits)}" if plan.ai_credits else ""
        items.append(f"{label} {usd(plan.usd)}{extra}")
    return labelled("by plan", items, width)


def in_flight_line(held: Sequence[InFlight], width: int) -> Content:
    """The reservations running premium runs hold: their total, then each, largest first."""
    if not held:
        return Content.styled("nothing reserved in flight", MUTED)
    parts: list[Part] = [("in flight ", MUTED), (usd(sum(r.usd for r in held)), "bold"), ": "]
    for i, run in enumerate(held):
        who = one_line(run.task_code) if run.task_code else f"run {run.run_id}"
        parts += [(" · ", MUTED)] if i else []
        parts.append(f"{who} {run.provider} {usd(run.usd)}")
    return fit(parts, width)


def overrun_text(overruns: Sequence[OverrunLine]) -> str:
    """``2 OVERRUNS: T2-01 gemini $4.50 > $3.00 reserved`` (the newest), or ''."""
    if not overruns:
        return ""
    last = overruns[0]
    who = f"{one_line(last.task_code)} " if last.task_code else ""
    plural = "S" if len(overruns) > 1 else ""
    return (f"{len(overruns)} OVERRUN{plural}: {who}{last.provider} {usd(last.actual_usd)} > "
            f"{usd(last.reserved_usd)} reserved")  # fmt: skip
