"""The daily cap is never overshot (hypothesis): any number of parallel dispatches on
threads, over a real SQLite file, reserving and settling through the real ledger path,
with random real costs from CLIs that honour their hard limits the way the real ones do
(checked after each model call, so a run passes its limit by at most one call).

A CLI without a hard limit (gemini) is taken at its word here: its real cost stays within
its configured worst case. Beyond that is an overrun, recorded and learned from
(tests/test_budget.py, tests/test_engine_budget_privacy.py), not prevented.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Ledger, Plan, Project, Run, Task, Wave

EPS = 1e-9
MODELS = [
    ("claude", "claude-opus-4-5"), ("claude", "claude-sonnet-4-5"), ("claude", "claude-haiku-4-5"),
    ("copilot", "gpt-5"), ("copilot", "gpt-5-mini"), ("copilot", "claude-sonnet-4.5"),
    ("gemini", "gemini-2.5-pro"), ("gemini", "gemini-2.5-flash"),
]  # fmt: skip


@dataclass(frozen=True)
class Job:
    """One dispatch: the model, how much work it would do unlimited (as a multiple of its
    reservation) and the size of each model call (as a share of the worst single call)."""

    provider: str
    model: str
    appetite: float
    calls: tuple[float, ...]


jobs = st.builds(
    lambda pm, appetite, calls: Job(pm[0], pm[1], appetite, tuple(calls)),
    st.sampled_from(MODELS),
    st.floats(0.0, 4.0),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=40),
)


def real_cost(config: Config, job: Job, run_id: int, reserved: float) -> float:
    """What the CLI spends: calls of random size (never above one call's worst case)
    until its work is done, or — checked after each call — its hard limit is reached."""
    env = budget.run_envelope(config, job.provider, job.model)
    limit = budget.run_limit(config, job.provider, job.model, run_id)
    stop_at = env.limit_usd(limit) if limit is not None else None
    if env.limit is None:  # no limit: the configured worst case is the CLI's word
        return min(job.appetite, 1.0) * reserved
    target = job.appetite * reserved
    spent, i = 0.0, 0
    call = max(env.call_usd, 0.001)
    while spent < target:
        spent += call * job.calls[i % len(job.calls)]
        i += 1
        if stop_at is not None and spent + EPS >= stop_at:
            break
    return spent


def make_runs(n: int) -> list[int]:
    project = Project.create(name="p", path="/tmp/p")
    plan = Plan.create(project=project, name="plan")
    wave = Wave.create(plan=plan, seq=1, name="w")
    return [
        Run.create(task=Task.create(plan=plan, wave=wave, code=f"T{i}", title="t", prompt="p",
                                    type="coding"), provider="x", model="x").id
        for i in range(n)
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cap=st.floats(0.3, 6.0),
    work=st.lists(jobs, min_size=1, max_size=24),
    width=st.integers(1, 8),
)
def test_parallel_dispatches_never_spend_past_the_cap(
    shipped_config: Config, cap: float, work: list[Job], width: int
) -> None:
    config = shipped_config.model_copy(update={"budget": shipped_config.budget.model_copy(
        update={"max_premium_per_day": cap})})  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        open_database(Path(folder) / "c.db")
        try:
            run_ids = make_runs(len(work))
            queue = list(zip(run_ids, work, strict=True))
            lock = threading.Lock()
            seen: list[float] = []  # spend + reservations as each dispatch saw them
            errors: list[BaseException] = []
            start = threading.Barrier(width)

            def dispatcher() -> None:
                try:
                    start.wait()
                    while True:
                        with lock:
                            if not queue:
                                return
                            run_id, job = queue.pop()
                        reserved = budget.reserve_run(config, job.provider, job.model, run_id)
                        if reserved is None:
                            continue  # the engine routes it elsewhere (free or blocked)
                        now = budget.status(config.budget)
                        with lock:
                            seen.append(now.spent_usd + now.reserved_usd)
                        cost = real_cost(config, job, run_id, reserved)
                        assert cost <= reserved + EPS, (job, cost, reserved)
                        budget.settle(job.provider, job.model, run_id, usd=cost, premium=True)
                except BaseException as exc:  # re-raised on the test thread
                    errors.append(exc)

            threads = [threading.Thread(target=dispatcher) for _ in range(width)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise errors[0]
            final = budget.status(config.budget)
            assert final.spent_usd <= cap + EPS
            assert final.reserved_usd <= EPS  # every reservation settled
            assert all(total <= cap + EPS for total in seen)
            charges = Ledger.select().where(Ledger.kind == "charge").count()
            assert charges == len(seen)  # one charge per granted dispatch
        finally:
            close_database()
