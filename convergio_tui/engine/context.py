"""State one plan execution shares between the scheduler and its worker threads."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config, CostTier
from convergio_tui.engine import gitops
from convergio_tui.engine.events import Bus
from convergio_tui.engine.ownership import Owner
from convergio_tui.engine.privacy import Effective, for_plan
from convergio_tui.engine.router import BudgetView, HealthView, RouteRequest
from convergio_tui.engine.snapshot import budget_view, health_views
from convergio_tui.store.db import database_file
from convergio_tui.store.models import Plan, Project, database_identity

log = logging.getLogger(__name__)

HEALTH_CACHE_S = 0.2
CONFIG_RECHECK_S = 1.0


@dataclass
class ActiveRun:
    """A dispatch in flight: what the scheduler needs to count, cancel and wait for."""

    task_id: int
    run_id: int
    provider: str
    cancel: threading.Event
    worktree: Path | None = None


@dataclass
class EngineContext:
    """Configuration, project facts and the live bookkeeping of one executor."""

    config: Config
    plan_id: int
    project: Project
    bus: Bus
    stop: threading.Event
    parallel: int
    plan_uid: str = ""  # names the plan's branches and worktrees (see worktree_for)
    active: dict[int, ActiveRun] = field(default_factory=dict)  # by task id
    hard_blocked: set[int] = field(default_factory=set)  # refused tasks: need a person
    waiting: set[int] = field(default_factory=set)  # blocked only by cooling providers
    providers_ok: set[str] = field(default_factory=set)  # succeeded since their last error
    infra_retries: dict[tuple[int, int], int] = field(default_factory=dict)  # (task, round)
    codes: dict[int, str] = field(default_factory=dict)  # task id -> code, of tasks dispatched
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The integrity check's window bookkeeping: a counter, when each task's dispatch
    # ended, and the wave-branch commits the engine made (only these may move them).
    seq: int = 0
    ended: dict[int, int] = field(default_factory=dict)  # task id -> seq at its end, in order
    open_windows: set[int] = field(default_factory=set)  # tokens of windows not yet checked
    engine_commits: set[str] = field(default_factory=set)
    _secrets: dict[str, str] | None = None
    _health: tuple[float, dict[str, HealthView]] | None = None
    _current: Config | None = None  # the configuration file as last re-read
    _plan_row: tuple[float, Plan] | None = None  # (read at, the plan with its project)
    # task privacy -> (configuration, plan row, effective): valid while both are the same
    # objects, i.e. until the file or the row is read again (CONFIG_RECHECK_S).
    _privacy: dict[str | None, tuple[Config, Plan, Effective]] = field(default_factory=dict)
    _identity: str | None = None  # the database's identity (never changes)
    _config_checked: float = 0.0
    _config_mtime: int | None = None
    config_problem: str | None = None  # the configuration file changed and does not validate

    @classmethod
    def for_plan(cls, config: Config, plan_id: int, bus: Bus, stop: threading.Event,
                 parallel: int | None = None) -> EngineContext:  # fmt: skip
        """Build the context of ``plan_id`` (raises ``Plan.DoesNotExist``)."""
        plan = Plan.get_by_id(plan_id)
        width = parallel if parallel is not None else config.execution.max_parallel
        if config.sandbox.mode == "off":
            # Unsandboxed agents run one at a time so the integrity check can attribute
            # every change in a run's window to that run's agent.
            width = 1
        return cls(config, plan_id, plan.project, bus, stop, max(1, width), str(plan.uid))

    @property
    def journal_plan(self) -> int | None:
        """The plan this context's journal rows belong to: None for a planning run
        (``convergio plan new``, engine/planning/), whose context has no plan yet and
        ``plan_id`` 0 (plan ids start at 1)."""
        return self.plan_id or None

    @property
    def repo(self) -> Path:
        """The project's repository."""
        return Path(self.project.path)

    @property
    def worktrees(self) -> bool:
        """Whether tasks run in their own git worktrees."""
        return self.config.execution.worktrees

    @property
    def worktree_root(self) -> Path:
        """``execution.worktree_root`` or ``$CONVERGIO_HOME/worktrees``."""
        return paths.worktrees_dir(self.config.execution.worktree_root)

    @property
    def plan_dir(self) -> Path:
        """``<worktree_root>/<plan uid>``: this plan's task worktrees. The uid, unlike the
        plan id, is unique across databases (docs/worktrees.md)."""
        return self.worktree_root / self.plan_uid

    def worktree_for(self, code: str) -> Path:
        """``<worktree_root>/<plan uid>/<task_code>``."""
        return self.plan_dir / code

    def task_branch(self, code: str) -> str:
        """``convergio/<plan uid>/<task_code>/work``."""
        return gitops.task_branch_name(self.plan_uid, code)

    @property
    def owner(self) -> Owner:
        """This database and plan: who may touch ``convergio/<plan uid>/...``."""
        return Owner(self.identity, self.plan_uid)

    def health(self) -> dict[str, HealthView]:
        """Provider health as routing sees it, read at most every ``HEALTH_CACHE_S``.

        A worker that cools a provider calls :meth:`forget_health` before it hands the
        task back, so the next dispatch always sees that cooldown.
        """
        cached = self._health
        at = time.monotonic()
        if cached is None or at - cached[0] > HEALTH_CACHE_S:
            cached = (at, health_views())
            self._health = cached
        return cached[1]

    def forget_health(self) -> None:
        """Drop the cached health (after a check or a cooling error)."""
        self._health = None

    def budget_for(self, premium_possible: bool) -> BudgetView:
        """Today's budget; skipped (a zero view) when no premium provider could be chosen."""
        if premium_possible:
            return budget_view(self.config)
        return BudgetView(cap_usd=self.config.budget.max_premium_per_day,
                          enforce=self.config.budget.enforce_budget)  # fmt: skip

    def current_config(self) -> Config:
        """The configuration as the file says now (re-read when it changed, at most every
        ``CONFIG_RECHECK_S``), for what must only tighten at dispatch: project privacy and
        ``allowed_providers``. While an edit does not validate, :attr:`config_problem`
        says why and nothing is dispatched: the edit may have been meant to tighten."""
        source = self.config.source
        at = time.monotonic()
        if not source or at - self._config_checked < CONFIG_RECHECK_S:
            return self._current or self.config
        self._config_checked = at
        try:
            mtime = Path(source).stat().st_mtime_ns
        except OSError:
            return self._current or self.config
        if mtime != self._config_mtime:
            from convergio_tui.config.errors import InputError
            from convergio_tui.config.loader import load_config

            self._config_mtime = mtime
            try:
                self._current = load_config(Path(source))
                self.config_problem = None
            except InputError as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.config_problem = (f"{source} changed and is not valid ({first}): fix it; "
                                       "nothing is dispatched until it validates")  # fmt: skip
                self.bus.journal("config.invalid", self.config_problem, level="error",
                                 plan_id=self.plan_id)  # fmt: skip
        return self._current or self.config

    def effective_privacy(self, task_privacy: str | None) -> Effective:
        """The privacy and project allow-list a run of this plan is routed with now (see
        :mod:`engine.privacy`): stricter than or as strict as everything recorded.

        Worked out again when the configuration or the plan row was read again, not on
        every dispatch: it resolves every project's path."""
        config, plan = self.current_config(), self.plan_row()
        known = self._privacy.get(task_privacy)
        if known is not None and known[0] is config and known[1] is plan:
            return known[2]
        found = for_plan(config, plan, task_privacy)
        self._privacy[task_privacy] = (config, plan, found)
        return found

    def plan_row(self) -> Plan:
        """The plan's row and its project's as stored, read again at most every
        ``CONFIG_RECHECK_S`` like the configuration file: a level stored stricter meanwhile
        governs dispatches as soon as an edit of the file would."""
        cached = self._plan_row
        at = time.monotonic()
        if cached is None or at - cached[0] >= CONFIG_RECHECK_S:
            plan = Plan.select(Plan, Project).join(Project).where(Plan.id == self.plan_id).get()
            cached = self._plan_row = (at, plan)
        return cached[1]

    @property
    def identity(self) -> str:
        """The database's identity (:func:`~convergio_tui.store.models.database_identity`),
        read once: it is written once, by a migration."""
        if self._identity is None:
            self._identity = database_identity()
        return self._identity

    def premium_possible(self, req: RouteRequest) -> bool:
        """Whether routing this request could pick a premium provider."""
        rule = self.config.routing.by_privacy.get(req.privacy)  # type: ignore[call-overload]
        allowed = set(rule.allowed_providers) if rule else set()
        if req.project_allowed is not None:
            allowed &= set(req.project_allowed)
        return any(
            self.config.providers[p].cost_tier is CostTier.PREMIUM
            for p in allowed
            if p in self.config.providers and self.config.providers[p].enabled
        )

    def secrets(self) -> dict[str, str]:
        """The vault's values for the project (none when it has no vault).

        Read once per execution: the key derivation is deliberately slow. Raises
        ``VaultUnavailable`` (one line: what is wrong, what to do) when the vault exists
        but cannot be opened — wrong or missing key, tampered or rolled back — so the run
        stops before anything is dispatched instead of going on without its secrets.
        """
        if self._secrets is None:
            from convergio_tui.tools.vault import Vault

            self._secrets = Vault().secrets_for_run(self.project.name)
        return self._secrets

    def tick(self) -> int:
        """Open an integrity window: advance and return the window counter (its token).
        Close it with :meth:`close_window` once its check is done."""
        with self.lock:
            self.seq += 1
            self.open_windows.add(self.seq)
            return self.seq

    def close_window(self, token: int) -> None:
        """The window ``token`` is checked: what ended before every open window can go."""
        with self.lock:
            self.open_windows.discard(token)
            self._forget_ended()

    def dispatch_ended(self, task_id: int) -> None:
        """Record that ``task_id``'s dispatch (run, review, merge) is over."""
        with self.lock:
            self.active.pop(task_id, None)
            self.seq += 1
            self.ended.pop(task_id, None)  # re-inserted last: the dict stays in ``seq`` order
            self.ended[task_id] = self.seq
            self._forget_ended()

    def _forget_ended(self) -> None:
        # An end older than every open window is in no window's answer, nor in any later
        # one's: dropping it keeps active_since's work to the runs of the open windows, not
        # every task the plan has run (call with the lock).
        floor = min(self.open_windows, default=self.seq + 1)
        while self.ended:
            oldest = next(iter(self.ended))
            if self.ended[oldest] >= floor:
                break
            del self.ended[oldest]

    def active_since(self, token: int) -> set[int]:
        """Tasks whose dispatch was under way at some moment since ``tick()`` gave ``token``."""
        with self.lock:
            return set(self.active) | {t for t, at in self.ended.items() if at >= token}

    @property
    def db_file(self) -> Path:
        """The database file (hidden from every agent)."""
        found = database_file()
        assert found is not None, "the engine runs with its database open"
        return found

    def run_tag(self, run_id: int) -> str:
        """See :func:`run_tag`."""
        return run_tag(run_id)

    def busy_providers(self) -> dict[str, int]:
        """Running dispatches per provider."""
        counts: dict[str, int] = {}
        with self.lock:
            for active in self.active.values():
                counts[active.provider] = counts.get(active.provider, 0) + 1
        return counts


def run_tag(run_id: int) -> str:
    """A marker put into each agent's environment (``CONVERGIO_RUN_TAG``) so a resumed
    engine or a cancel can find exactly that run's processes (unique per database)."""
    return f"{database_file()}#{run_id}"
