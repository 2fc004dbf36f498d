"""What is worth telling a person, and in which words: pure, no I/O.

Inputs are what the engine leaves behind: journal rows (``event`` table: an escalation,
an engine error or refusal, a provider cooling down, the budget alert and cap), a plan's
status, each provider's health state, and the engine's own :class:`PlanChanged` events.
:class:`NewsTracker` remembers what it has seen, so a reader that looks again and again
(the dashboard's poll, ``convergio run``'s notifier) hears of each thing once.

A :class:`Notification`'s ``title`` and ``text`` are built only from codes, titles,
statuses and amounts: they may leave the machine (a webhook). What the engine wrote
in its own words (an error quoted from an agent, a health check's detail) is ``detail``,
shown on this machine only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from convergio_tui.engine.events import EngineEvent, PlanChanged
from convergio_tui.money import usd
from convergio_tui.store.queries.journal import JournalLine

# The events a person can choose in notify.events (config/notify_schema.py).
ESCALATION, PLAN_DONE, PLAN_FAILED = "escalation", "plan.done", "plan.failed"
PROVIDER_DOWN, BUDGET_ALERT, BUDGET_CAPPED = "provider.down", "budget.alert", "budget.capped"
ENGINE_ERROR = "engine.error"

# Journal kinds that mean the engine could not go on with a task without a person.
_ENGINE_PROBLEMS = {
    "engine.error": "engine error",
    "integrity.violation": "integrity violation",
    "config.invalid": "configuration invalid",
}
_DOWN_STATES = {"down": "is down", "cooldown": "is cooling down"}
_WAVE = re.compile(r"wave (\d+)")


@dataclass(frozen=True)
class Notification:
    """One thing to tell a person.

    ``event`` is one of the names above; ``level`` ``info``, ``warning`` or ``error``;
    ``title`` and ``text`` are safe to send off the machine; ``detail`` is not.
    """

    event: str
    level: str
    title: str
    text: str
    detail: str = ""


def _quoted(title: str | None) -> str:
    return f" “{' '.join(title.split())[:80]}”" if title else ""


def from_journal(line: JournalLine) -> Notification | None:
    """The notification a journal row calls for, or None."""
    code = line.task_code or (f"task {line.task_id}" if line.task_id else "")
    kind = line.kind
    if kind == "escalation":
        if line.task_id is None:  # a wave's escalation (thor/wave_escalations.py)
            found = _WAVE.match(line.message)
            wave = f"wave {found.group(1)}" if found else "a wave"
            return Notification(
                ESCALATION, "warning", f"Escalated: {wave}",
                f"{wave} of plan #{line.plan_id} failed its review with no task left to "
                "send back and waits for your decision", line.message,
            )  # fmt: skip
        return Notification(
            ESCALATION, "warning", f"Escalated: {code}",
            f"{code}{_quoted(line.task_title)} was rejected by Thor and waits for your decision",
            line.message,
        )  # fmt: skip
    if kind in (BUDGET_ALERT, BUDGET_CAPPED):
        title = "Budget alert" if kind == BUDGET_ALERT else "Budget cap reached"
        pct = line.data.get("pct")
        share = f"{pct:.0f}% of" if isinstance(pct, int | float) else "at"
        return Notification(
            kind, "warning" if kind == BUDGET_ALERT else "error", title,
            f"premium spend is {share} the daily cap", line.message,
        )  # fmt: skip
    if kind == "provider.cooldown":
        provider = line.message.split(" ", 1)[0]
        return provider_down(provider, "cooldown", line.message)
    what = _ENGINE_PROBLEMS.get(kind) or (
        f"{kind.removesuffix('.refused')} refused" if kind.endswith(".refused") else None
    )
    if what is None or line.level != "error":
        return None
    subject = code or "the plan"
    plan = f" (plan #{line.plan_id})" if line.plan_id else ""
    return Notification(
        ENGINE_ERROR, "error", f"{what.capitalize()}: {subject}",
        f"{subject}{plan} stopped: {what}; a person must look", line.message,
    )  # fmt: skip


def plan_finished(plan_id: int, name: str, status: str) -> Notification | None:
    """A plan that is done or failed; None for any other status."""
    label = f"plan #{plan_id}{_quoted(name)}"
    if status == "done":
        return Notification(PLAN_DONE, "info", f"Plan done: #{plan_id}",
                            f"{label} is done: every wave passed Thor's review")  # fmt: skip
    if status == "failed":
        return Notification(PLAN_FAILED, "error", f"Plan failed: #{plan_id}",
                            f"{label} failed: a wave failed and the plan cannot finish")  # fmt: skip
    return None


def from_engine_event(event: EngineEvent, plan_name: str = "") -> Notification | None:
    """The notification an engine event calls for (a plan that finished), or None.

    Escalations, errors, cooldowns and budget alerts are journaled by the engine: they
    are read from the journal (:func:`from_journal`), where every reader finds them."""
    if isinstance(event, PlanChanged):
        return plan_finished(event.plan_id, plan_name, event.status)
    return None


def provider_down(provider: str, state: str, detail: str = "") -> Notification | None:
    """A provider that is down or cooling down; None for ``up`` (or an unknown state)."""
    said = _DOWN_STATES.get(state)
    if said is None:
        return None
    return Notification(
        PROVIDER_DOWN, "warning", f"Provider {state}: {provider}",
        f"{provider} {said}: its tasks wait or go to another provider", detail,
    )  # fmt: skip


def budget_level(level: str, spent: float, cap: float, pct: float, enforce: bool) -> Notification:
    """The budget at its alert threshold (``alert``) or at the cap (``capped``)."""
    if level == "capped":
        text = f"premium spend reached the {usd(cap)} daily cap"
        if enforce:
            text += "; premium providers are out of routing until tomorrow"
        return Notification(BUDGET_CAPPED, "error", "Budget cap reached", text)
    return Notification(
        BUDGET_ALERT, "warning", "Budget alert",
        f"premium spend is {pct:.0f}% of the {usd(cap)} daily cap ({usd(spent)})",
    )  # fmt: skip


def engine_stopped(error: str) -> Notification:
    """The engine itself stopped on an error (not one task: the whole run)."""
    return Notification(ENGINE_ERROR, "error", "Engine stopped",
                        "the engine stopped on an error; the plan is not running", error)  # fmt: skip


class NewsTracker:
    """What a reader has already been told: each plan's status, each provider's state,
    the engine's state. The first look at each is the baseline (no news: it was so
    before the reader came); a change after that is news, once."""

    def __init__(self) -> None:
        self._plans: dict[int, str] = {}
        self._providers: dict[str, str] = {}
        self._engine = ""

    def plan(self, plan_id: int, name: str, status: str) -> list[Notification]:
        """News of ``plan_id`` now at ``status``."""
        before = self._plans.get(plan_id)
        self._plans[plan_id] = status
        if before is None or before == status:
            return []
        found = plan_finished(plan_id, name, status)
        return [found] if found else []

    def health(self, states: Iterable[tuple[str, str, str]]) -> list[Notification]:
        """News from (provider, state, detail) rows: one that left ``up``."""
        news: list[Notification] = []
        for provider, state, detail in states:
            before = self._providers.get(provider)
            self._providers[provider] = state
            if before is not None and before != state and state in _DOWN_STATES:
                if before in _DOWN_STATES:  # down <-> cooldown: already told
                    continue
                found = provider_down(provider, state, detail)
                news += [found] if found else []
        return news

    def journal(self, lines: Iterable[JournalLine]) -> list[Notification]:
        """News from journal rows not seen before (the reader asks by id)."""
        news: list[Notification] = []
        for line in lines:
            found = from_journal(line)
            if found is None:
                continue
            if found.event == PROVIDER_DOWN:  # a cooldown the health rows may say too
                provider = line.message.split(" ", 1)[0]
                if self._providers.get(provider) in _DOWN_STATES:
                    continue
                self._providers[provider] = "cooldown"
            news.append(found)
        return news

    def engine(self, state: str) -> list[Notification]:
        """News from the in-process engine's state (``failed: …`` once per failure)."""
        before, self._engine = self._engine, state
        if state.startswith("failed") and state != before:
            return [engine_stopped(state.removeprefix("failed: "))]
        return []
