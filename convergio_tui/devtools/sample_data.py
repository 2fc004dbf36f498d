"""A realistic sample database for screenshots, UI tests and the benchmark.

Not used by the running dashboard (which never writes): this module builds a plan
through the real planner and then writes runs, gate verdicts, ledger charges, health
and an escalation the way the engine and Thor would, at times relative to ``now`` so
screenshots are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from convergio_tui.config.schema import Config, ProjectConfig
from convergio_tui.devtools import sample_logs
from convergio_tui.engine import gitops
from convergio_tui.engine.planner import import_plan
from convergio_tui.store.db import open_database
from convergio_tui.store.models import (
    Escalation,
    GateResult,
    Ledger,
    Plan,
    ProviderHealth,
    Run,
    Task,
    Wave,
)  # fmt: skip

# A fixed moment (2026-05-20 15:00 UTC) so screenshots do not change from run to run.
SAMPLE_NOW = 1_779_289_200.0

_TASKS: list[tuple[str, str, str, str, str]] = [
    # code, title, type, priority, privacy
    ("T1-01", "Add password hashing helper", "coding", "P1", "internal"),
    ("T1-02", "Research session token storage options", "research", "P2", "public"),
    ("T1-03", "Write user model migration", "coding", "P0", "public"),
    ("T1-04", "Document the auth architecture", "docs", "P2", "public"),
    ("T2-01", "Implement login endpoint", "coding", "P0", "public"),
    ("T2-02", "Add rate limiting to login", "coding", "P1", "internal"),
    ("T2-03", "Fix flaky session expiry test", "test", "P1", "internal"),
    ("T2-04", "Review OAuth callback handling", "review", "P1", "public"),
    ("T2-05", "Encrypt stored refresh tokens", "coding", "P0", "sensitive"),
    ("T2-06", "Rename legacy auth helpers", "bulk", "P3", "internal"),
    ("T3-01", "End-to-end login tests", "test", "P1", "internal"),
    ("T3-02", "Audit password reset flow", "review", "P0", "public"),
    ("T3-03", "Update API reference for /login", "docs", "P2", "public"),
    ("T3-04", "Tidy imports across auth package", "bulk", "P3", "internal"),
]
_WAVES = {"T1": "foundations", "T2": "login feature", "T3": "hardening"}
# status and rounds so far of the tasks that have started
_STATE: dict[str, tuple[str, int]] = {
    "T1-01": ("done", 1), "T1-02": ("done", 1), "T1-03": ("done", 2), "T1-04": ("done", 1),
    "T2-01": ("running", 1), "T2-02": ("running", 2), "T2-03": ("escalated", 3),
    "T2-04": ("validating", 1), "T2-05": ("running", 1), "T2-06": ("queued", 1),
}  # fmt: skip
# USD charged per (task, round) on premium providers; with the morning's other work below,
# today's premium spend is 83.7% of the default $10 cap (past the 80% alert).
_COSTS = {("T1-02", 1): 1.27, ("T1-03", 1): 1.10, ("T1-03", 2): 1.35, ("T2-04", 1): 1.20}
# Earlier today, other plans: (hours before now, provider, model, usd)
_EARLIER = [(5.8, "claude", "claude-sonnet-4-5", 0.82), (4.3, "gemini", "gemini-2.5-pro", 1.05),
            (3.4, "claude", "claude-sonnet-4-5", 0.70), (1.9, "claude", "claude-opus-4-5", 0.88)]  # fmt: skip
GATES = [
    (1, "compliance"),
    (2, "quality"),
    (3, "standards"),
    (4, "repo"),
    (8, "tdd"),
    (9, "constitution"),
]


@dataclass(frozen=True)
class SampleIds:
    """Ids of the rows tests and screenshots point at."""

    plan_id: int
    task_ids: dict[str, int]
    running_runs: dict[str, int]
    escalation_id: int
    logs_dir: Path


def write_spec(directory: Path, project_dir: Path) -> Path:
    """Write the sample plan spec (``add-login``) into ``directory``."""
    waves: dict[str, list[dict[str, object]]] = {}
    for code, title, typ, prio, privacy in _TASKS:
        prompt = f"{title}. Keep the change small, add tests, and follow the project rules."
        task = {"code": code, "title": title, "prompt": prompt, "type": typ,
                "priority": prio, "privacy": privacy}  # fmt: skip
        waves.setdefault(code[:2], []).append(task)
    spec = {
        "name": "add-login",
        "project": str(project_dir),
        "waves": [{"name": _WAVES[k], "tasks": v} for k, v in waves.items()],
    }
    path = directory / "add-login.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def sample_config(config: Config) -> Config:
    """``config`` with the budget day in UTC, so the sample looks the same in every zone."""
    return config.model_copy(
        update={"budget": config.budget.model_copy(update={"timezone": "UTC"})}
    )


def seed(db_path: Path, config: Config, *, now: float = SAMPLE_NOW, logs_dir: Path) -> SampleIds:
    """Create the sample plan in ``db_path`` (opened and migrated here)."""
    open_database(db_path)
    work = db_path.parent / "sample"
    project = work / "webapp"
    project.mkdir(parents=True, exist_ok=True)
    # A project is the top of a git repository (plans run in its worktrees), configured
    # public so its tasks' own privacy levels stand (a task can raise a project's, never
    # lower it).
    gitops.git(project, "init", "-q")
    webapp = ProjectConfig(path=str(project), privacy="public")
    config = config.model_copy(update={"projects": {**config.projects, "webapp": webapp}})
    logs_dir.mkdir(parents=True, exist_ok=True)
    plan_id = import_plan(write_spec(work, project), config)
    start = now - 47 * 60
    Plan.update(status="doing", created_at=start - 600, started_at=start).where(
        Plan.id == plan_id
    ).execute()
    tasks = {t.code: t for t in Task.select().where(Task.plan == plan_id)}
    for wave in Wave.select().where(Wave.plan == plan_id):
        wave.status = {1: "done", 2: "running"}.get(wave.seq, "pending")
        wave.save()
    running: dict[str, int] = {}
    for i, (code, (status, rounds)) in enumerate(_STATE.items()):
        task = tasks[code]
        begin = start + i * 240
        for rnd in range(1, rounds + 1):
            live = status == "running" and rnd == rounds
            run = _run(task, rnd, begin + (rnd - 1) * 300, live, logs_dir, now)
            if live:
                running[code] = run.id
            elif status != "validating" or rnd < rounds:
                _gates(task, run, rnd, fail=rnd < rounds or status == "escalated")
        task.round = rounds
        task.status = "queued" if status == "done" else status
        task.save()
        if status == "done":
            Task.update(status="done", validated_by="thor", validated_at=begin + 600).where(
                Task.id == task.id
            ).execute()
    esc = Escalation.create(
        task=tasks["T2-03"], created_at=now - 420, reason="Thor rejected 3 rounds (gate 8 tdd)",
        summary={"diff_stat": " tests/test_session.py | 14 +++++++---\n app/session.py | 6 ++++--\n 2 files changed, 13 insertions(+), 7 deletions(-)"},
    )  # fmt: skip
    _health(now)
    for hours, provider, model, usd in _EARLIER:
        Ledger.create(ts=now - hours * 3600, provider=provider, model=model, kind="charge", usd=usd,
                      premium=True, note="another plan")  # fmt: skip
    return SampleIds(plan_id, {c: t.id for c, t in tasks.items()}, running, int(esc.id), logs_dir)


def _run(task: Task, rnd: int, begin: float, live: bool, logs_dir: Path, now: float) -> Run:
    provider, model = task.provider or "opencode", task.model or "ollama/qwen3-coder"
    premium = provider in ("claude", "gemini")
    cost = 0.0 if live else _COSTS.get((task.code, rnd), 0.0)
    run = Run.create(
        task=task, provider=provider, model=model, round=rnd, status="running" if live else "succeeded",
        started_at=begin, finished_at=None if live else begin + 240, exit_code=None if live else 0,
        input_tokens=0 if live else 18_000 + 900 * rnd, output_tokens=0 if live else 3_100 + 80 * rnd,
        cost_usd=cost, premium_requests=1.0 if provider == "copilot" and not live else 0.0,
    )  # fmt: skip
    log = logs_dir / f"{run.id}.log"
    lines = _log_lines(task, rnd, provider, model, run)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run.log_path = str(log)
    run.save()
    if not live:
        Ledger.create(ts=min(now - 60, begin + 240), provider=provider, model=model, run=run,
                      kind="charge", usd=cost, premium=premium,
                      premium_requests=run.premium_requests)  # fmt: skip
    return run


def _log_lines(task: Task, rnd: int, provider: str, model: str, run: Run) -> list[str]:
    """What the agent printed (its simulated CLI's output), as the engine logs it."""
    done = None if run.status == "running" else (run.input_tokens, run.output_tokens, run.cost_usd)
    worktree = f"{sample_logs.HOME}/.convergio/worktrees/{task.plan_id}/{task.code}"
    slug = task.code.lower().replace("-", "_")
    return sample_logs.sample_log(provider, model, title=task.title, slug=slug, worktree=worktree,
                                  started_at=run.started_at, done=done)  # fmt: skip


def _gates(task: Task, run: Run, rnd: int, *, fail: bool) -> None:
    for gate, name in GATES:
        failed = fail and gate == 8
        evidence = ("tests/test_session.py::test_expiry failed: expected 401, got 200"
                    if failed else f"{name}: ok")  # fmt: skip
        GateResult.create(task=task, run=run, round=rnd, gate=gate, name=name,
                          verdict="fail" if failed else "pass", evidence=evidence)  # fmt: skip


def _health(now: float) -> None:
    rows = [
        ("claude", "up", 412.0, now - 12, None, 0, None),
        ("copilot", "up", 288.0, now - 12, None, 0, None),
        ("gemini", "cooldown", None, now - 40, now + 95, 2, "429 rate limited: quota exceeded"),
        ("opencode", "up", 35.0, now - 5, None, 0, None),
    ]
    for provider, state, latency, checked, until, fails, error in rows:
        ProviderHealth.replace(provider=provider, state=state, latency_ms=latency, checked_at=checked,
                               cooldown_until=until, consecutive_failures=fails, last_error=error,
                               detail=error or "ok").execute()  # fmt: skip
