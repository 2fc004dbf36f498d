"""The shape of ``orchestrator.yaml`` as strict pydantic models (unknown keys are errors).

Cross-references (routing rules naming providers, default models) are checked in
``config.validate`` so each error can point at its own key and line.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator

from convergio_tui.config.notify_schema import NotifyConfig
from convergio_tui.config.strict import StrictModel
from convergio_tui.config.thor_schema import ThorConfig

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


class ModelConfig(StrictModel):
    """One model a provider offers, with its list prices and its worst-case run cost.

    ``max_run_usd`` is what one run may cost at most: a premium run reserves it (or the
    learned p95 of this model's real costs when that is higher) before it starts.
    ``max_call_usd`` is the worst case of one model call: a CLI that checks its budget
    only after each call can pass its limit by that much, so the hard limit passed to it
    is the reservation minus this. Unset, it is ``max_output_tokens`` at the output price.
    See docs/budget.md.
    """

    id: str = Field(min_length=1)
    multiplier: float = Field(default=1.0, ge=0)
    input_usd_per_mtok: float | None = Field(default=None, ge=0)
    output_usd_per_mtok: float | None = Field(default=None, ge=0)
    max_run_usd: float | None = Field(default=None, ge=0)
    max_call_usd: float | None = Field(default=None, ge=0)
    max_output_tokens: int = Field(default=32_000, ge=1)
    privacy_safe: bool = False
    enabled: bool = True


class ProviderConfig(StrictModel):
    """One AI CLI: how to run it headless, what it costs, where its data goes."""

    enabled: bool = True
    cli: list[str] = Field(min_length=1)
    auth_check: list[str] = Field(default_factory=list)
    privacy_level: Literal["cloud", "local"]
    cost_tier: CostTier
    timeout_s: float = Field(default=900, gt=0)
    max_parallel: int = Field(default=2, ge=1)
    models: list[ModelConfig] = Field(min_length=1)
    default_model: str
    # Set for a CLI billed in credits (Copilot's AI credits: 0.01): its hard per-run
    # limit is passed in credits and its reported credits are charged at this rate.
    usd_per_credit: float | None = Field(default=None, gt=0)
    endpoint: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    # None: the shipped defaults for this CLI (convergio_tui/sandbox/defaults.py).
    state_dirs: list[str] | None = None
    env_pass: list[str] | None = None

    def model(self, model_id: str) -> ModelConfig | None:
        """The enabled model with this id, if the provider offers it."""
        for m in self.models:
            if m.id == model_id and m.enabled:
                return m
        return None


class PriorityRule(StrictModel):
    """Routing rule for one priority level."""

    label: str = ""
    preferred_providers: list[str] = Field(min_length=1)
    fallback_providers: list[str] = Field(default_factory=list)
    max_cost_tier: CostTier = CostTier.PREMIUM
    prefer_model: Literal["strongest", "cheapest"] | None = None


class TypeRule(StrictModel):
    """Routing preference for one task type."""

    preferred_providers: list[str] = Field(min_length=1)
    default_model: str | None = None


class PrivacyRule(StrictModel):
    """Which providers may see tasks of one privacy level."""

    allowed_providers: list[str] = Field(min_length=1)


class RoutingConfig(StrictModel):
    """The four-dimension routing rules."""

    by_priority: dict[Literal["P0", "P1", "P2", "P3"], PriorityRule]
    by_type: dict[
        Literal["coding", "research", "review", "test", "bulk", "pr-ops", "docs", "plan"],
        TypeRule,
    ]
    by_privacy: dict[Literal["public", "internal", "sensitive"], PrivacyRule]


class ProjectConfig(StrictModel):
    """A project: where its repository is and what may see its code."""

    path: str
    privacy: Literal["public", "internal", "sensitive"] = "internal"
    allowed_providers: list[str] | None = None
    base_branch: str = "main"
    # Overrides of the thor: section for this project (only the keys given count).
    thor: ThorConfig | None = None

    @field_validator("thor")
    @classmethod
    def _thor_per_project(cls, value: ThorConfig | None) -> ThorConfig | None:
        # Rounds are counted by the engine for every project alike (thor.max_rounds).
        if value is not None and "max_rounds" in value.model_fields_set:
            raise ValueError("max_rounds applies to every project: set it under thor:")
        return value


def _low_priorities() -> list[Literal["P0", "P1", "P2", "P3"]]:
    """The default of ``shift_priorities`` (a lambda's list would be typed ``list[str]``)."""
    return ["P2", "P3"]


class BudgetConfig(StrictModel):
    """The daily premium cap and its fallback chain."""

    max_premium_per_day: float = Field(default=10.0, ge=0)
    fallback_chain: list[str] = Field(
        default_factory=lambda: ["claude", "copilot", "gemini", "opencode"]
    )
    alert_threshold_pct: float = Field(default=80, gt=0, le=100)
    enforce_budget: bool = True
    timezone: str = "local"
    estimated_output_tokens: int = Field(default=4000, ge=0)
    # The worst case of a run on a model without its own max_run_usd.
    default_max_run_usd: float = Field(default=2.0, ge=0)
    # Past the alert threshold, premium work of these priorities moves to the next
    # cheaper provider of its routing order (the others keep their choice until the cap).
    shift_at_alert: bool = True
    shift_priorities: list[Literal["P0", "P1", "P2", "P3"]] = Field(default_factory=_low_priorities)


class HealthConfig(StrictModel):
    """How provider health is checked and cached."""

    ttl_s: float = Field(default=60, ge=0)
    check_timeout_s: float = Field(default=30, gt=0)  # a CLI's cold start + one API call
    cooldown_base_s: float = Field(default=30, ge=0)
    cooldown_max_s: float = Field(default=900, ge=0)


class RayConfig(StrictModel):
    """Where the Ray cluster is (``execution.backend: ray``, docs/cluster.md).

    ``address``: ``auto`` (the cluster this machine belongs to: ``ray start`` ran here),
    ``host:port`` of the head's GCS, or ``ray://host:10001`` (Ray Client).
    """

    address: str = "auto"
    namespace: str = "convergio"
    # How long a dispatch waits for a node to start its run (a run waits in Ray's queue
    # while every node offering its provider is busy) before it is handed back.
    start_timeout_s: float = Field(default=600, gt=0)


class ExecutionConfig(StrictModel):
    """How plans are executed."""

    max_parallel: int = Field(default=4, ge=1)
    worktrees: bool = True
    worktree_root: str | None = None
    max_output_bytes: int = Field(default=50_000_000, ge=1024)
    max_behind: int = Field(default=50, ge=0)
    # How long a run waits when only cooling or down providers could take its tasks,
    # before it ends with them waiting (``convergio run`` exits 1; run again to resume).
    max_wait_s: float = Field(default=300, ge=0)
    # Where agents run: ``local`` (this machine) or ``ray`` (nodes of a Ray cluster; the
    # ledger, Thor and the database stay here, docs/cluster.md).
    backend: Literal["local", "ray"] = "local"
    ray: RayConfig = Field(default_factory=RayConfig)


class VaultConfig(StrictModel):
    """The env vault and its optional Azure Key Vault sync."""

    backend: Literal["local", "azure"] = "local"
    azure_vault_name: str | None = None


class SandboxConfig(StrictModel):
    """How agent processes are confined (``auto``: bubblewrap on Linux, sandbox-exec on
    macOS; ``off``: unsandboxed, serialised, checked only after each run)."""

    mode: Literal["auto", "off"] = "auto"
    writable: list[str] = Field(default_factory=list)
    hidden: list[str] = Field(default_factory=lambda: ["~/.ssh", "~/.aws", "~/.gnupg", "~/.netrc"])

    @field_validator("writable", "hidden")
    @classmethod
    def _absolute(cls, entries: list[str]) -> list[str]:
        # A relative path would mean something different in every worktree.
        for entry in entries:
            if not (entry.startswith("/") or entry == "~" or entry.startswith("~/")):
                raise ValueError(f"{entry!r} is not absolute: start it with / or ~/")
        return entries


class Config(StrictModel):
    """The whole validated ``orchestrator.yaml``."""

    providers: dict[str, ProviderConfig] = Field(min_length=1)
    routing: RoutingConfig
    projects: dict[str, ProjectConfig] = Field(default_factory=dict)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    thor: ThorConfig = Field(default_factory=ThorConfig)
    vault: VaultConfig = Field(default_factory=VaultConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The file this configuration was loaded from."""
        return self._source

    def enabled_providers(self) -> list[str]:
        """Provider names that are enabled, in file order."""
        return [name for name, p in self.providers.items() if p.enabled]
