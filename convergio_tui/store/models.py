"""Peewee models: the tables (statuses: docs/architecture.md). Times are UTC epoch seconds (REAL).

Models are bound to :data:`db`, a proxy initialised by :func:`store.db.open_database`.
Schema changes go through ``store/migrations.py``; never call ``create_tables`` elsewhere.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import peewee as pw

from convergio_tui.store.states import (
    EscalationStatus,
    PlanStatus,
    RunStatus,
    TaskStatus,
    WaveStatus,
)

db = pw.DatabaseProxy()

# Statuses and the moves between them: store/states.py; writes: store/transitions.py.
LEDGER_KINDS = ("reserve", "charge", "release")
GATE_VERDICTS = ("pass", "fail", "skip")
HEALTH_STATES = ("up", "down", "cooldown")


def now() -> float:
    """Current UTC time as epoch seconds, the unit of every ``*_at`` column."""
    return time.time()


_UID_FIRST = "abcdefghijklmnopqrstuvwxyz"
_UID_REST = _UID_FIRST + "234567"  # lowercase base32


def new_uid(length: int = 10) -> str:
    """A random identifier for names outside the database (branches, worktrees, markers).

    10 lowercase base32 characters (~50 bits), the first a letter so a uid can never be
    read as a plan id: a migrated plan keeps its id as its uid (see ``migrations``).
    """
    return secrets.choice(_UID_FIRST) + "".join(
        secrets.choice(_UID_REST) for _ in range(length - 1)
    )


class JSONField(pw.TextField):
    """A JSON document stored as text."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class Base(pw.Model):
    """Base model bound to the shared database proxy."""

    class Meta:
        database = db
        legacy_table_names = False


class Project(Base):
    """A code repository that plans work on, identified by its resolved absolute path;
    its name is the configuration's key for that path, else the directory's name."""

    name = pw.CharField()
    path = pw.TextField(unique=True)
    privacy = pw.CharField(default="internal")
    allowed_providers = JSONField(null=True)
    base_branch = pw.CharField(default="main")
    created_at = pw.FloatField(default=now)


class Plan(Base):
    """An execution plan: waves of tasks."""

    project = pw.ForeignKeyField(Project, backref="plans", on_delete="CASCADE")
    name = pw.CharField()
    # Names this plan's branches and worktrees (`convergio/<uid>/...`): unique across
    # databases, where the plan id is not.
    uid = pw.CharField(unique=True, default=new_uid)
    privacy = pw.CharField(null=True)  # the spec's plan-level privacy, if any
    status = pw.CharField(default=PlanStatus.TODO, index=True)
    spec_path = pw.TextField(null=True)
    # SHA-256 of the spec file's bytes at import: with spec_path, how `plan import`
    # recognises the same file imported again (NULL: imported before it was recorded).
    spec_sha256 = pw.CharField(null=True)
    created_at = pw.FloatField(default=now)
    started_at = pw.FloatField(null=True)
    finished_at = pw.FloatField(null=True)
    updated_at = pw.FloatField(default=now)
    # The live `convergio run` that owns this plan (one runner at a time).
    runner_pid = pw.IntegerField(null=True)
    runner_started_at = pw.FloatField(null=True)


class Wave(Base):
    """One wave of a plan; waves run in ``seq`` order."""

    plan = pw.ForeignKeyField(Plan, backref="waves", on_delete="CASCADE")
    seq = pw.IntegerField()
    name = pw.CharField()
    status = pw.CharField(default=WaveStatus.PENDING)
    branch = pw.CharField(null=True)
    updated_at = pw.FloatField(default=now)

    class Meta:
        indexes = ((("plan", "seq"), True),)


class Task(Base):
    """One unit of work routed to a provider."""

    plan = pw.ForeignKeyField(Plan, backref="tasks", on_delete="CASCADE")
    wave = pw.ForeignKeyField(Wave, backref="tasks", on_delete="CASCADE")
    code = pw.CharField()
    title = pw.TextField()
    prompt = pw.TextField()
    type = pw.CharField()
    priority = pw.CharField(default="P1")
    privacy = pw.CharField(default="internal")
    provider = pw.CharField(null=True)  # the provider it is routed to (JSON: executor_agent too)
    model = pw.CharField(null=True)
    requested_provider = pw.CharField(null=True)  # the spec's explicit provider
    requested_model = pw.CharField(null=True)  # the spec's explicit model
    route_reasons = JSONField(default=list)
    estimate_usd = pw.FloatField(default=0.0)
    files = JSONField(default=list)
    verify = JSONField(default=list)
    depends_on = JSONField(default=list)
    timeout_s = pw.FloatField(null=True)
    status = pw.CharField(default=TaskStatus.PENDING, index=True)
    round = pw.IntegerField(default=1)
    blocked_reason = pw.TextField(null=True)
    worktree = pw.TextField(null=True)
    branch = pw.CharField(null=True)
    result_text = pw.TextField(null=True)
    validated_by = pw.CharField(null=True)
    validated_at = pw.FloatField(null=True)
    created_at = pw.FloatField(default=now)
    updated_at = pw.FloatField(default=now, index=True)

    class Meta:
        indexes = ((("plan", "code"), True),)


class Run(Base):
    """One dispatch of a task to a provider."""

    # A task's run, or (task NULL) a run of the wave itself: Thor's cross-review; or
    # (task and wave NULL) a planning run of `convergio plan new`, before any plan exists.
    task = pw.ForeignKeyField(Task, null=True, backref="runs", on_delete="CASCADE")
    wave = pw.ForeignKeyField(Wave, null=True, backref="runs", on_delete="CASCADE")
    provider = pw.CharField()
    model = pw.CharField()
    round = pw.IntegerField(default=1)
    status = pw.CharField(default=RunStatus.RUNNING, index=True)
    pid = pw.IntegerField(null=True)
    engine_pid = pw.IntegerField(null=True)
    argv = JSONField(default=list)
    started_at = pw.FloatField(default=now)
    finished_at = pw.FloatField(null=True)
    exit_code = pw.IntegerField(null=True)
    error_class = pw.CharField(null=True)
    log_path = pw.TextField(null=True)
    input_tokens = pw.IntegerField(default=0)
    output_tokens = pw.IntegerField(default=0)
    cost_usd = pw.FloatField(default=0.0)
    premium_requests = pw.FloatField(default=0.0)
    ai_credits = pw.FloatField(default=0.0)  # credit-billed CLIs (copilot): credits spent
    fallback_from = pw.CharField(null=True)
    route_reasons = JSONField(default=list)
    node = pw.CharField(null=True)  # the Ray node it ran on (execution.backend: ray)


class Ledger(Base):
    """The single cost ledger: reservations, releases and charges."""

    ts = pw.FloatField(default=now, index=True)
    provider = pw.CharField()
    model = pw.CharField(null=True)
    run = pw.ForeignKeyField(Run, null=True, backref="ledger", on_delete="SET NULL")
    kind = pw.CharField()
    usd = pw.FloatField(default=0.0)
    premium = pw.BooleanField(default=False)
    premium_requests = pw.FloatField(default=0.0)
    ai_credits = pw.FloatField(default=0.0)  # credit-billed CLIs (copilot): credits spent
    note = pw.TextField(null=True)


class GateResult(Base):
    """One Thor gate verdict for a task or a wave."""

    task = pw.ForeignKeyField(Task, null=True, backref="gate_results", on_delete="CASCADE")
    wave = pw.ForeignKeyField(Wave, null=True, backref="gate_results", on_delete="CASCADE")
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    round = pw.IntegerField(default=1)
    gate = pw.IntegerField()
    name = pw.CharField()
    verdict = pw.CharField()
    evidence = pw.TextField(default="")
    created_at = pw.FloatField(default=now)


class Escalation(Base):
    """A task that Thor rejected too often, or a wave whose merged branch fails its checks
    with no task left to send back (``task`` None, ``wave`` set): waits for a person."""

    task = pw.ForeignKeyField(Task, backref="escalations", on_delete="CASCADE", null=True)
    wave = pw.ForeignKeyField(Wave, backref="escalations", on_delete="CASCADE", null=True)
    created_at = pw.FloatField(default=now)
    reason = pw.TextField()
    status = pw.CharField(default=EscalationStatus.PENDING, index=True)
    decided_by = pw.CharField(null=True)
    decided_at = pw.FloatField(null=True)
    note = pw.TextField(null=True)
    provider = pw.CharField(null=True)  # retry elsewhere: the chosen provider
    model = pw.CharField(null=True)
    summary = JSONField(default=dict)  # rounds' evidence, diff stat, spend


class ProviderHealth(Base):
    """The last known health of a provider."""

    provider = pw.CharField(unique=True)
    checked_at = pw.FloatField(default=now)
    state = pw.CharField(default="up")
    latency_ms = pw.FloatField(null=True)
    detail = pw.TextField(default="")
    version = pw.CharField(null=True)
    consecutive_failures = pw.IntegerField(default=0)
    cooldown_until = pw.FloatField(null=True)
    last_error = pw.TextField(null=True)


class ModelEntry(Base):
    """The model registry (table ``model``)."""

    provider = pw.CharField()
    model_id = pw.CharField()
    tier = pw.CharField()
    multiplier = pw.FloatField(default=1.0)
    input_usd_per_mtok = pw.FloatField(null=True)
    output_usd_per_mtok = pw.FloatField(null=True)
    privacy_safe = pw.BooleanField(default=False)
    enabled = pw.BooleanField(default=True)

    class Meta:
        table_name = "model"
        indexes = ((("provider", "model_id"), True),)


class Event(Base):
    """Alerts, fallbacks, escalations: the engine's journal."""

    ts = pw.FloatField(default=now, index=True)
    level = pw.CharField(default="info")
    kind = pw.CharField(index=True)
    plan = pw.ForeignKeyField(Plan, null=True, on_delete="CASCADE")
    task = pw.ForeignKeyField(Task, null=True, on_delete="CASCADE")
    message = pw.TextField()
    data = JSONField(null=True)


class StoreMeta(Base):
    """Facts about the database itself (table ``meta``), e.g. its identity."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()

    class Meta:
        table_name = "meta"


DATABASE_ID_KEY = "database_id"


def database_identity() -> str:
    """This database's random identity, written once by the migration that made the
    table: it tells the branches and worktrees it made from another database's."""
    row = StoreMeta.get_or_none(StoreMeta.key == DATABASE_ID_KEY)
    if row is None:
        raise RuntimeError("the database has no identity: it was not migrated")
    return str(row.value)


ALL_MODELS: list[type[Base]] = [
    Project, Plan, Wave, Task, Run, Ledger, GateResult, Escalation, ProviderHealth, ModelEntry,
    Event, StoreMeta,
]  # fmt: skip
