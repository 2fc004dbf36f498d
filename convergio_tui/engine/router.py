"""The router: a pure function from (task, config, budget, health) to a provider and model.

The same call runs at plan time (to store the task's ``provider`` and ``model``) and again at
dispatch time, when health and budget may have changed. Every step appends a reason a
person can read; the dashboard shows them as "why this provider".

Privacy is a hard invariant: a ``sensitive`` task only ever gets a ``local`` provider and a
``privacy_safe`` model, whatever else the configuration says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from convergio_tui.config.schema import Config, CostTier, ModelConfig, ProviderConfig
from convergio_tui.engine.pricing import estimate_cost
from convergio_tui.engine.route_budget import filter_by_budget, premium_envelopes, shift_at_alert
from convergio_tui.frozen import Frozen, frozen


@frozen
class RouteRequest(Frozen):
    """What the router needs to know about a task."""

    type: str
    priority: str = "P1"
    privacy: str = "internal"
    requested_provider: str | None = None  # the task's explicit provider, tried first
    model: str | None = None
    prompt_chars: int = 0
    project_allowed: tuple[str, ...] | None = None
    # Providers this run must not use, and why (Thor's cross-review: the wave's author).
    avoid: tuple[str, ...] = ()
    avoid_reason: str = ""


@frozen
class BudgetView(Frozen):
    """Today's premium spend, outstanding reservations and the cap, in USD; ``learned``:
    the p95 of each (provider, model)'s recent real costs (raises its worst case)."""

    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    cap_usd: float = 10.0
    enforce: bool = True
    learned: Mapping[tuple[str, str], float] = field(default_factory=dict)


@frozen
class HealthView(Frozen):
    """A provider's state as routing sees it: ``up``, ``down`` or ``cooldown``."""

    state: str = "up"
    detail: str = ""


@frozen
class Decision(Frozen):
    """The router's answer; ``provider`` is None when the task must wait (blocked).

    ``estimate_usd`` is the expected cost; ``reserve_usd`` the worst case a premium run
    reserves (engine/reservation.py), 0 for a free or zero-tier provider."""

    provider: str | None
    model: str | None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    estimate_usd: float = 0.0
    reserve_usd: float = 0.0

    @property
    def blocked(self) -> bool:
        """True when no provider survived the hard filters."""
        return self.provider is None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``convergio route --json``."""
        return {
            "provider": self.provider,
            "model": self.model,
            "blocked": self.blocked,
            "reasons": list(self.reasons),
        }


def _usable_models(provider: ProviderConfig, sensitive: bool) -> list[ModelConfig]:
    return [m for m in provider.models if m.enabled and (m.privacy_safe or not sensitive)]


def _strength(m: ModelConfig) -> tuple[float, float, float]:
    return (m.multiplier, m.output_usd_per_mtok or 0.0, m.input_usd_per_mtok or 0.0)


def choose_model(
    req: RouteRequest, name: str, provider: ProviderConfig, config: Config
) -> tuple[ModelConfig | None, str]:
    """Step 7: the model for ``provider`` and why (None when no usable model exists)."""
    sensitive = req.privacy == "sensitive"
    usable = _usable_models(provider, sensitive)
    if not usable:
        return None, f"{name} offers no privacy-safe model"
    by_id = {m.id: m for m in usable}
    if req.model and req.model in by_id:
        return by_id[req.model], f"model {req.model}: set explicitly on the task"
    note = ""
    if req.model:
        note = f" (task asked for {req.model}, which {name} does not offer"
        note += " as a privacy-safe model)" if sensitive else ")"
    rule = config.routing.by_priority.get(req.priority)  # type: ignore[call-overload]
    if rule is not None and rule.prefer_model:
        choose = max if rule.prefer_model == "strongest" else min
        pick = choose(usable, key=_strength)
        return pick, f"model {pick.id}: {req.priority} prefers the {rule.prefer_model}{note}"
    type_rule = config.routing.by_type.get(req.type)  # type: ignore[call-overload]
    if type_rule is not None and type_rule.default_model in by_id:
        pick = by_id[type_rule.default_model]
        return pick, f"model {pick.id}: default for {req.type} tasks{note}"
    if provider.default_model in by_id:
        return by_id[
            provider.default_model
        ], f"model {provider.default_model}: {name}'s default{note}"
    return usable[0], f"model {usable[0].id}: first privacy-safe model of {name}{note}"


def _order_key(name: str, req: RouteRequest, config: Config) -> tuple[int, int, int, int]:
    rule = config.routing.by_priority.get(req.priority)  # type: ignore[call-overload]
    preferred = rule.preferred_providers if rule else []
    fallback = rule.fallback_providers if rule else []
    chain = config.budget.fallback_chain
    if name in preferred:
        tier, pos = 0, preferred.index(name)
    elif name in fallback:
        tier, pos = 1, fallback.index(name)
    elif name in chain:
        tier, pos = 2, chain.index(name)
    else:
        tier, pos = 3, list(config.providers).index(name)
    type_rule = config.routing.by_type.get(req.type)  # type: ignore[call-overload]
    type_list = type_rule.preferred_providers if type_rule else []
    type_pos = type_list.index(name) if name in type_list else len(type_list)
    explicit = 0 if req.requested_provider == name else 1
    return (explicit, tier, type_pos, pos)


def route(
    req: RouteRequest,
    config: Config,
    budget: BudgetView | None = None,
    health: Mapping[str, HealthView] | None = None,
) -> Decision:
    """Route one task (docs/configuration.md, ``routing``). Pure: reads only its arguments."""
    budget = budget or BudgetView(
        cap_usd=config.budget.max_premium_per_day, enforce=config.budget.enforce_budget
    )
    health = health or {}
    reasons: list[str] = []
    sensitive = req.privacy == "sensitive"

    # 1. Candidates.
    cands = config.enabled_providers()
    reasons.append(f"candidates: {', '.join(cands) or 'none enabled'}")
    avoided = [p for p in cands if p in req.avoid]
    if avoided:
        cands = [p for p in cands if p not in avoided]
        reasons.append(
            f"excluded {', '.join(avoided)}" + (f": {req.avoid_reason}" if req.avoid_reason else "")
        )

    # 2. Privacy (hard, never overridden).
    privacy_rule = config.routing.by_privacy.get(req.privacy)  # type: ignore[call-overload]
    allowed = set(privacy_rule.allowed_providers) if privacy_rule else set()
    if req.project_allowed is not None:
        allowed &= set(req.project_allowed)
    kept = [p for p in cands if p in allowed]
    if sensitive:
        kept = [
            p for p in kept
            if config.providers[p].privacy_level == "local"
            and _usable_models(config.providers[p], True)
        ]  # fmt: skip
    dropped = [p for p in cands if p not in kept]
    privacy_text = f"privacy {req.privacy}: allowed {', '.join(kept) or 'none'}"
    if sensitive:
        privacy_text += " (sensitive: local providers and privacy-safe models only)"
    if req.project_allowed is not None:
        privacy_text += f"; project allows {', '.join(req.project_allowed) or 'none'}"
    if dropped:
        privacy_text += f"; dropped {', '.join(dropped)}"
    reasons.append(privacy_text)
    after_privacy = list(kept)

    # 3. Priority ceiling (hard).
    rule = config.routing.by_priority.get(req.priority)  # type: ignore[call-overload]
    ceiling = rule.max_cost_tier if rule else CostTier.PREMIUM
    over = [p for p in kept if config.providers[p].cost_tier.rank > ceiling.rank]
    kept = [p for p in kept if p not in over]
    label = f" ({rule.label})" if rule and rule.label else ""
    text = f"priority {req.priority}{label}: cost ceiling {ceiling.value}"
    reasons.append(text + (f"; dropped {', '.join(over)}" if over else ""))

    # 4. Health (hard).
    unhealthy = [p for p in kept if health.get(p, HealthView()).state in ("down", "cooldown")]
    for p in unhealthy:
        h = health[p]
        reasons.append(f"health: {p} is {h.state}" + (f" ({h.detail})" if h.detail else ""))
    kept = [p for p in kept if p not in unhealthy]

    # 5. Budget (hard when enforced).
    models: dict[str, tuple[ModelConfig | None, str]] = {
        p: choose_model(req, p, config.providers[p], config) for p in kept
    }
    estimates = {
        p: estimate_cost(m, req.prompt_chars, config.budget.estimated_output_tokens)
        for p, (m, _) in models.items()
        if m is not None and config.providers[p].cost_tier is CostTier.PREMIUM
    }
    envelopes = premium_envelopes(config, {p: m for p, (m, _) in models.items()},
                                  dict(budget.learned))  # fmt: skip
    step = filter_by_budget(kept, envelopes, spent_usd=budget.spent_usd,
                            reserved_usd=budget.reserved_usd, cap_usd=budget.cap_usd,
                            enforce=budget.enforce)  # fmt: skip
    kept, over_cap = step.kept, step.over_cap
    if step.reason:
        reasons.append(step.reason)
    kept = [p for p in kept if models[p][0] is not None]

    # 8. No survivor: blocked, with the reason.
    if not kept:
        states = {p: health[p].state for p in unhealthy}
        reasons.append("blocked: " + _blocked_reason(req, after_privacy, states, over_cap))
        return Decision(None, None, tuple(reasons))

    # 6. Order.
    ordered = sorted(kept, key=lambda p: _order_key(p, req, config))
    chosen = ordered[0]
    why = _order_reason(chosen, req, config)
    if req.requested_provider and req.requested_provider != chosen:
        why += f" (requested {req.requested_provider} was filtered out)"
    reasons.append(f"chosen: {chosen} — {why}; order {' > '.join(ordered)}")
    chosen, shifted = shift_at_alert(req.priority, ordered, config, envelopes,
                                     spent_usd=budget.spent_usd, cap_usd=budget.cap_usd)  # fmt: skip
    if shifted:
        reasons.append(shifted)

    # 7. Model.
    model, model_reason = models[chosen]
    assert model is not None
    reasons.append(model_reason)
    reserve = envelopes[chosen].worst_usd if chosen in envelopes else 0.0
    return Decision(chosen, model.id, tuple(reasons), estimates.get(chosen, 0.0), reserve)


def _order_reason(name: str, req: RouteRequest, config: Config) -> str:
    if req.requested_provider == name:
        return "set explicitly on the task"
    tier = _order_key(name, req, config)[1]
    where = {
        0: f"{req.priority} preferred",
        1: f"{req.priority} fallback",
        2: "budget fallback chain",
    }
    text = where.get(tier, "only remaining provider")
    type_rule = config.routing.by_type.get(req.type)  # type: ignore[call-overload]
    if type_rule and name in type_rule.preferred_providers:
        text += f", {req.type} prefers it"
    return text


def _blocked_reason(
    req: RouteRequest, after_privacy: list[str], unhealthy: dict[str, str], over_cap: list[str]
) -> str:
    if not after_privacy:
        other = f" other than {', '.join(req.avoid)}" if req.avoid else ""
        return f"no provider{other} is allowed for {req.privacy} tasks"
    allowed = ", ".join(after_privacy)
    only = f"only {allowed} allowed" if req.privacy == "sensitive" else f"allowed: {allowed}"
    causes: list[str] = []
    causes.extend(
        f"{name} is {'cooling down' if state == 'cooldown' else state}"
        for name, state in unhealthy.items()
    )
    if over_cap:
        causes.append(f"the premium cap is reached for {', '.join(over_cap)}")
    if not causes:
        causes.append(f"none is within the {req.priority} cost ceiling")
    return f"{req.privacy}: {only}, and " + " and ".join(causes)
