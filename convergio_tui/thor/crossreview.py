"""Gate 10's optional cross-review: another provider reads the wave's diff and answers
``VERDICT: PASS`` or ``VERDICT: FAIL``.

The reviewer is the provider ``routing.by_type.review`` prefers, excluding the provider
that wrote most of the wave, and only among providers that every task's privacy level
and the project allow, that are enabled and not down or cooling. The run goes through
the same worker modules and runner as a task; its cost is charged to the ledger.
"""

from __future__ import annotations

import re
import shlex
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config, CostTier
from convergio_tui.store.db import immediate
from convergio_tui.store.models import Ledger, ProviderHealth, Run, Task

MAX_DIFF_CHARS = 60_000  # stays under the kernel's 128 KiB limit for one argv string
_VERDICT = re.compile(r"^[\s*#>_`-]*VERDICT[\s*_`]*:[\s*_`]*(PASS|FAIL)\b", re.I | re.M)


@dataclass(frozen=True)
class Reviewer:
    """The chosen reviewer (``provider`` None when nobody qualifies) and why."""

    provider: str | None
    model: str | None
    reason: str


@dataclass(frozen=True)
class CrossReview:
    """What the reviewer said: ``verdict`` None when it could not be obtained."""

    verdict: str | None
    text: str
    detail: str
    cost_usd: float = 0.0


def parse_verdict(text: str) -> str | None:
    """The last ``VERDICT: PASS|FAIL`` line of ``text`` (``pass``/``fail``), else None."""
    found = _VERDICT.findall(text or "")
    return found[-1].lower() if found else None


def wave_authors(tasks: Iterable[Task]) -> Counter[str]:
    """How many of the wave's tasks each provider wrote (its last run, else its route)."""
    counts: Counter[str] = Counter()
    for task in tasks:
        last = Run.select(Run.provider).where(Run.task == task.id).order_by(Run.id.desc()).first()
        provider = last.provider if last is not None else task.executor_agent
        if provider:
            counts[provider] += 1
    return counts


def _unavailable() -> set[str]:
    now = time.time()
    return {
        h.provider for h in ProviderHealth.select()
        if h.state == "down" or (h.cooldown_until is not None and h.cooldown_until > now)
    }  # fmt: skip


def choose_reviewer(
    config: Config,
    authors: Counter[str],
    privacy_levels: Iterable[str],
    project_allowed: Iterable[str] | None = None,
    unavailable: Iterable[str] = (),
) -> Reviewer:
    """Pick the reviewer as the module docstring says; pure given its arguments."""
    rule = config.routing.by_type.get("review")  # type: ignore[call-overload]
    preferred = list(rule.preferred_providers) if rule is not None else []
    order = list(dict.fromkeys([*preferred, *config.budget.fallback_chain]))
    writer = authors.most_common(1)[0][0] if authors else None
    allowed = set(config.enabled_providers())
    for level in set(privacy_levels):
        by_privacy = config.routing.by_privacy.get(level)  # type: ignore[call-overload]
        if by_privacy is not None:
            allowed &= set(by_privacy.allowed_providers)
    if project_allowed is not None:
        allowed &= set(project_allowed)
    down = set(unavailable)
    for name in order:
        if name == writer or name not in allowed or name in down:
            continue
        provider = config.providers[name]
        wanted = rule.default_model if rule is not None else None
        model = wanted if wanted and provider.model(wanted) else provider.default_model
        why = "preferred for reviews" if name in preferred else "next in the fallback chain"
        wrote = f"; {writer} wrote most of the wave" if writer else ""
        return Reviewer(name, model, f"{name} ({model}) {why}{wrote}")
    return Reviewer(None, None, "no other provider may review this wave (privacy, health, "
                    f"or the only candidate {writer or '-'} wrote the wave)")  # fmt: skip


def review_prompt(wave_name: str, codes: list[str], diff_text: str) -> str:
    """What the reviewer is asked: judge the diff, end with one verdict line."""
    if len(diff_text) > MAX_DIFF_CHARS:
        diff_text = diff_text[:MAX_DIFF_CHARS] + "\n[... diff truncated ...]"
    return (
        f"You are reviewing the combined changes of wave {wave_name!r} (tasks: "
        f"{', '.join(codes)}). Do not modify any file. Look for bugs, missing tests, "
        "security problems and changes that do not fit together. Name the task code "
        "(e.g. T1-02) of the work each problem comes from. End your answer with exactly "
        "one line: VERDICT: PASS or VERDICT: FAIL.\n\n```diff\n" + diff_text + "\n```\n"
    )


def strictest(levels: Iterable[str]) -> str:
    """The strictest privacy level among ``levels`` (public < internal < sensitive)."""
    order = ("public", "internal", "sensitive")
    return max(levels, key=order.index, default="internal")


def run_review(
    config: Config, reviewer: Reviewer, prompt: str, workdir: Path, log_name: str,
    privacy: str = "internal",
) -> CrossReview:  # fmt: skip
    """Run the reviewer headless in ``workdir``, confined like any agent (sandbox,
    environment allow-list; no network but a local endpoint when ``privacy`` is
    sensitive), and read its verdict."""
    from convergio_tui.sandbox.confine import (
        RunRequest,
        SandboxUnavailable,
        confine,
        relaying,
        run_folder,
    )  # fmt: skip
    from convergio_tui.store.db import database_file
    from convergio_tui.workers import get_worker, run_process

    assert reviewer.provider is not None and reviewer.model is not None
    provider = config.providers[reviewer.provider]
    worker = get_worker(reviewer.provider)
    inv = worker.build_invocation(list(provider.cli), prompt, reviewer.model, workdir)
    timeout = min(provider.timeout_s, config.thor.command_timeout_s)
    log_path = paths.logs_dir() / f"{log_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with run_folder(paths.run_dirs(), log_name) as run_dir:
        request = RunRequest(
            provider=reviewer.provider, argv=list(inv.argv), workdir=workdir, privacy=privacy,
            run_dir=run_dir, invocation_env=inv.env, db_file=database_file(),
        )  # fmt: skip
        try:
            confined = confine(config, request)
        except SandboxUnavailable as exc:
            return CrossReview(None, "", f"cross-review not run: {exc}")
        with relaying(confined):
            outcome = run_process(
                confined.argv, cwd=workdir, env=confined.env, timeout_s=timeout,
                log_path=log_path, stdin_text=inv.stdin_text,
                header=f"$ {shlex.join(inv.argv)} [cross-review]",
            )  # fmt: skip
    result = worker.parse(outcome)
    cost = float(result.cost_usd or 0.0)
    _charge(config, reviewer, cost, float(result.premium_requests or 0.0), log_name)
    if not result.success:
        return CrossReview(None, result.text, f"{reviewer.provider} failed: {result.error}", cost)
    verdict = parse_verdict(result.text)
    detail = f"{reviewer.reason}; log {log_path}"
    if verdict is None:
        return CrossReview(None, result.text, f"{reviewer.provider} gave no VERDICT line", cost)
    return CrossReview(verdict, result.text, detail, cost)


def _charge(
    config: Config, reviewer: Reviewer, usd: float, premium_requests: float, note: str
) -> None:
    """One ledger charge for the review (the daily cap counts it like any run)."""
    if usd <= 0 and premium_requests <= 0:
        return
    assert reviewer.provider is not None
    premium = config.providers[reviewer.provider].cost_tier == CostTier.PREMIUM
    with immediate():
        Ledger.create(
            provider=reviewer.provider, model=reviewer.model, kind="charge", usd=usd,
            premium=premium, premium_requests=premium_requests, note=f"thor cross-review {note}",
        )  # fmt: skip


def unavailable_providers() -> set[str]:
    """Providers the health table marks down or cooling now."""
    return _unavailable()
