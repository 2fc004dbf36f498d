"""The shape of ``orchestrator.yaml``: frozen dataclasses that pydantic validates strictly
(unknown keys are errors) when a file is read, and that a cached configuration is rebuilt
from without importing pydantic (config/section.py).

Cross-references (routing rules naming providers, default models) are checked in
``config.validate`` so each error can point at its own key and line.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from convergio_tui.config.notify_schema import NotifyConfig
from convergio_tui.config.section import Check, Limits, Section
from convergio_tui.config.thor_schema import ThorConfig
from convergio_tui.frozen import frozen_kw_only as section

PRIORITIES = ("P0", "P1", "P2", "P3")
# `plan` is the type of a planning run (`convergio plan new`), never of a plan's task.
TASK_TYPES = ("coding", "research", "review", "test", "bulk", "pr-ops", "docs", "plan")
PRIVACY_LEVELS = ("public", "internal", "sensitive")


class CostTier(StrEnum):
    """Provider cost tiers, ordered free < zero < premium."""

    FREE = "free"
    ZERO = "zero"
    PREMIUM = "premium"

    @property
    def rank(self) -> int:
        """Position in the ordering, for ceiling comparisons."""
        return ("free", "zero", "premium").index(self.value)


@section
class ModelConfig(Section):
    """One model a provider offers, with its list prices and its worst-case run cost.

    ``max_run_usd`` is what one run may cost at most: a premium run reserves it (or the
    learned p95 of this model's real costs when that is higher) before it starts.
    ``max_call_usd`` is the worst case of one model call: a CLI that checks its budget
    only after each call can pass its limit by that much, so the hard limit passed to it
    is the reservation minus this. Unset, it is ``max_output_tokens`` at the output price.
    See docs/budget.md.
    """

    id: Annotated[str, Limits(min_length=1)]
    multiplier: Annotated[float, Limits(ge=0)] = 1.0
    input_usd_per_mtok: Annotated[float | None, Limits(ge=0)] = None
    output_usd_per_mtok: Annotated[float | None, Limits(ge=0)] = None
    max_run_usd: Annotated[float | None, Limits(ge=0)] = None
    max_call_usd: Annotated[float | None, Limits(ge=0)] = None
    max_output_tokens: Annotated[int, Limits(ge=1)] = 32_000
    privacy_safe: bool = False
    enabled: bool = True


@section
class ProviderConfig(Section):
    """One AI CLI: how to run it headless, what it costs, where its data goes."""

    enabled: bool = True
    cli: Annotated[list[str], Limits(min_length=1)]
    auth_check: list[str] = field(default_factory=list)
    privacy_level: Literal["cloud", "local"]
    cost_tier: CostTier
    timeout_s: Annotated[float, Limits(gt=0)] = 900
    max_parallel: Annotated[int, Limits(ge=1)] = 2
    models: Annotated[list[ModelConfig], Limits(min_length=1)]
    default_model: str
    # Set for a CLI billed in credits (Copilot's AI credits: 0.01): its hard per-run
    # limit is passed in credits and its reported credits are charged at this rate.
    usd_per_credit: Annotated[float | None, Limits(gt=0)] = None
    endpoint: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # None: the shipped defaults for this CLI (convergio_tui/sandbox/defaults.py).
    state_dirs: list[str] | None = None
    env_pass: list[str] | None = None

    def model(self, model_id: str) -> ModelConfig | None:
        """The enabled model with this id, if the provider offers it."""
        for m in self.models:
            if m.id == model_id and m.enabled:
                return m
        return None


@section
class PriorityRule(Section):
    """Routing rule for one priority level."""

    label: str = ""
    preferred_providers: Annotated[list[str], Limits(min_length=1)]
    fallback_providers: list[str] = field(default_factory=list)
    max_cost_tier: CostTier = CostTier.PREMIUM
    prefer_model: Literal["strongest", "cheapest"] | None = None


@section
class TypeRule(Section):
    """Routing preference for one task type."""

    preferred_providers: Annotated[list[str], Limits(min_length=1)]
    default_model: str | None = None


@section
class PrivacyRule(Section):
    """Which providers may see tasks of one privacy level."""

    allowed_providers: Annotated[list[str], Limits(min_length=1)]


@section
class RoutingConfig(Section):
    """The four-dimension routing rules."""

    by_priority: dict[Literal["P0", "P1", "P2", "P3"], PriorityRule]
    by_type: dict[
        Literal["coding", "research", "review", "test", "bulk", "pr-ops", "docs", "plan"],
        TypeRule,
    ]
    by_privacy: dict[Literal["public", "internal", "sensitive"], PrivacyRule]


def _thor_per_project(value: object) -> object:
    # Rounds are counted by the engine for every project alike (thor.max_rounds).
    if isinstance(value, dict) and "max_rounds" in value:
        raise ValueError("max_rounds applies to every project: set it under thor:")
    return value


@section
class ProjectConfig(Section):
    """A project: where its repository is and what may see its code."""

    path: str
    privacy: Literal["public", "internal", "sensitive"] = "internal"
    allowed_providers: list[str] | None = None
    base_branch: str = "main"
    # Overrides of the thor: section for this project (only the keys given count).
    thor: Annotated[ThorConfig | None, Check(_thor_per_project, before=True)] = None


def _low_priorities() -> list[Literal["P0", "P1", "P2", "P3"]]:
    """The default of ``shift_priorities`` (a lambda's list would be typed ``list[str]``)."""
    return ["P2", "P3"]


@section
class BudgetConfig(Section):
    """The daily premium cap and its fallback chain."""

    max_premium_per_day: Annotated[float, Limits(ge=0)] = 10.0
    fallback_chain: list[str] = field(
        default_factory=lambda: ["claude", "copilot", "gemini", "opencode"]
    )
    alert_threshold_pct: Annotated[float, Limits(gt=0, le=100)] = 80
    enforce_budget: bool = True
    timezone: str = "local"
    estimated_output_tokens: Annotated[int, Limits(ge=0)] = 4000
    # The worst case of a run on a model without its own max_run_usd.
    default_max_run_usd: Annotated[float, Limits(ge=0)] = 2.0
    # Past the alert threshold, premium work of these priorities moves to the next
    # cheaper provider of its routing order (the others keep their choice until the cap).
    shift_at_alert: bool = True
    shift_priorities: list[Literal["P0", "P1", "P2", "P3"]] = field(default_factory=_low_priorities)


@section
class HealthConfig(Section):
    """How provider health is checked and cached."""

    ttl_s: Annotated[float, Limits(ge=0)] = 60
    check_timeout_s: Annotated[float, Limits(gt=0)] = 30  # a CLI's cold start + one API call
    cooldown_base_s: Annotated[float, Limits(ge=0)] = 30
    cooldown_max_s: Annotated[float, Limits(ge=0)] = 900


@section
class RayConfig(Section):
    """Where the Ray cluster is (``execution.backend: ray``, docs/cluster.md).

    ``address``: ``auto`` (the cluster this machine belongs to: ``ray start`` ran here),
    ``host:port`` of the head's GCS, or ``ray://host:10001`` (Ray Client).
    """

    address: str = "auto"
    namespace: str = "convergio"
    # How long a dispatch waits for a node to start its run (a run waits in Ray's queue
    # while every node offering its provider is busy) before it is handed back.
    start_timeout_s: Annotated[float, Limits(gt=0)] = 600


@section
class ExecutionConfig(Section):
    """How plans are executed."""

    max_parallel: Annotated[int, Limits(ge=1)] = 4
    worktrees: bool = True
    worktree_root: str | None = None
    max_output_bytes: Annotated[int, Limits(ge=1024)] = 50_000_000
    max_behind: Annotated[int, Limits(ge=0)] = 50
    # How long a run waits when only cooling or down providers could take its tasks,
    # before it ends with them waiting (``convergio run`` exits 1; run again to resume).
    max_wait_s: Annotated[float, Limits(ge=0)] = 300
    # Where agents run: ``local`` (this machine) or ``ray`` (nodes of a Ray cluster; the
    # ledger, Thor and the database stay here, docs/cluster.md).
    backend: Literal["local", "ray"] = "local"
    ray: RayConfig = field(default_factory=RayConfig)


@section
class VaultConfig(Section):
    """The env vault and its optional Azure Key Vault sync."""

    backend: Literal["local", "azure"] = "local"
    azure_vault_name: str | None = None


def _absolute(entries: list[str]) -> list[str]:
    # A relative path would mean something different in every worktree.
    for entry in entries:
        if not (entry.startswith("/") or entry == "~" or entry.startswith("~/")):
            raise ValueError(f"{entry!r} is not absolute: start it with / or ~/")
    return entries


@section
class SandboxConfig(Section):
    """How agent processes are confined (``auto``: bubblewrap on Linux, sandbox-exec on
    macOS; ``off``: unsandboxed, serialised, checked only after each run)."""

    mode: Literal["auto", "off"] = "auto"
    writable: Annotated[list[str], Check(_absolute)] = field(default_factory=list)
    hidden: Annotated[list[str], Check(_absolute)] = field(
        default_factory=lambda: ["~/.ssh", "~/.aws", "~/.gnupg", "~/.netrc"]
    )


@section
class Config(Section):
    """The whole validated ``orchestrator.yaml``."""

    providers: Annotated[dict[str, ProviderConfig], Limits(min_length=1)]
    routing: RoutingConfig
    projects: dict[str, ProjectConfig] = field(default_factory=dict)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    thor: ThorConfig = field(default_factory=ThorConfig)
    vault: VaultConfig = field(default_factory=VaultConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    # The file it was read from: set by the loader, not a key of the file.
    _source: ClassVar[str] = ""

    @property
    def source(self) -> str:
        """The file this configuration was loaded from."""
        return self._source

    def with_source(self, path: str) -> None:
        """Record the file this configuration was read from (set once, by its loader)."""
        object.__setattr__(self, "_source", path)

    def enabled_providers(self) -> list[str]:
        """Provider names that are enabled, in file order."""
        return [name for name, p in self.providers.items() if p.enabled]
