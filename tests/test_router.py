"""Routing: the design's examples, and invariants over random configurations (hypothesis)."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convergio_tui.config.schema import PRIORITIES, PRIVACY_LEVELS, TASK_TYPES, Config, CostTier
from convergio_tui.engine.router import BudgetView, HealthView, RouteRequest, route

PROVIDERS = ("claude", "copilot", "gemini", "opencode")


@pytest.mark.parametrize(
    ("req", "provider", "model"),
    [
        (RouteRequest("coding", "P0", "public", prompt_chars=300), "claude", "claude-opus-4-5"),
        (RouteRequest("coding", "P1", "public"), "copilot", "gpt-5"),
        (RouteRequest("research", "P2", "public"), "gemini", "gemini-2.5-pro"),
        (RouteRequest("review", "P1", "public"), "claude", "claude-sonnet-4-5"),
        (RouteRequest("bulk", "P3", "public"), "opencode", "ollama/qwen3-coder"),
        (RouteRequest("review", "P0", "sensitive"), "opencode", "ollama/qwen3-coder"),
        (RouteRequest("coding", "P1", "internal"), "copilot", "gpt-5"),
    ],
)
def test_design_examples(
    shipped_config: Config, req: RouteRequest, provider: str, model: str
) -> None:
    decision = route(req, shipped_config)
    assert (decision.provider, decision.model) == (provider, model), decision.reasons
    assert decision.reasons, "every decision explains itself"


def test_premium_cap_reached_sends_p0_coding_to_copilot(shipped_config: Config) -> None:
    capped = BudgetView(spent_usd=10.0, cap_usd=10.0)
    decision = route(
        RouteRequest("coding", "P0", "public", prompt_chars=400), shipped_config, capped
    )
    assert decision.provider == "copilot"
    assert any("premium dropped: claude, gemini" in r for r in decision.reasons)


def test_sensitive_task_with_opencode_down_is_blocked_with_reason(shipped_config: Config) -> None:
    health = {"opencode": HealthView("down", "connection refused")}
    decision = route(RouteRequest("coding", "P0", "sensitive"), shipped_config, health=health)
    assert decision.blocked and decision.provider is None
    assert "sensitive: only opencode allowed, and opencode is down" in decision.reasons[-1]


def test_explicit_agent_is_honoured_only_within_hard_filters(shipped_config: Config) -> None:
    ok = route(RouteRequest("coding", "P1", "public", executor_agent="gemini"), shipped_config)
    assert ok.provider == "gemini"
    refused = route(
        RouteRequest("coding", "P1", "sensitive", executor_agent="claude"), shipped_config
    )
    assert refused.provider == "opencode"
    assert "requested claude was filtered out" in " ".join(refused.reasons)


def test_explicit_model_is_used_when_the_provider_offers_it(shipped_config: Config) -> None:
    decision = route(RouteRequest("coding", "P1", "public", model="gpt-5-mini"), shipped_config)
    assert (decision.provider, decision.model) == ("copilot", "gpt-5-mini")


def test_estimate_drops_premium_before_the_cap_is_reached(shipped_config: Config) -> None:
    # $9.99 spent: one more opus run (prompt + 4000 output tokens) would pass $10.
    decision = route(RouteRequest("coding", "P0", "public", prompt_chars=4000), shipped_config,
                     BudgetView(spent_usd=9.99))  # fmt: skip
    assert decision.provider == "copilot"


def test_route_cli_json(shipped_config: Config) -> None:
    result = run_cli("route", "--type", "coding", "--priority", "P0", "--privacy", "public",
                     "--spent", "10", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["provider"] == "copilot" and doc["blocked"] is False
    assert set(doc) == {"provider", "model", "blocked", "reasons"}
    down = run_cli("route", "--type", "bulk", "--priority", "P3", "--privacy", "sensitive",
                   "--down", "opencode", "--json")  # fmt: skip
    doc = json.loads(down.stdout)
    assert doc["blocked"] is True and doc["provider"] is None
    bad = run_cli("route", "--type", "coding", "--down", "nobody")
    assert bad.returncode == 2 and "unknown provider 'nobody'" in bad.stderr


# ---- invariants over random configurations --------------------------------------------

TIERS = [t.value for t in CostTier]
subsets = st.lists(st.sampled_from(PROVIDERS), unique=True)


@st.composite
def configs(draw: st.DrawFn) -> Config:
    providers = {}
    for name in PROVIDERS:
        models = [
            {"id": f"{name}-m{i}", "multiplier": draw(st.floats(0, 5)),
             "input_usd_per_mtok": draw(st.floats(0, 20)),
             "output_usd_per_mtok": draw(st.floats(0, 80)), "privacy_safe": draw(st.booleans())}
            for i in range(draw(st.integers(1, 3)))
        ]  # fmt: skip
        providers[name] = {
            "enabled": draw(st.booleans()),
            "cli": [name],
            "privacy_level": draw(st.sampled_from(["cloud", "local"])),
            "cost_tier": draw(st.sampled_from(TIERS)),
            "models": models,
            "default_model": models[0]["id"],
        }
    nonempty = st.lists(st.sampled_from(PROVIDERS), unique=True, min_size=1)
    routing = {
        "by_priority": {
            p: {"preferred_providers": draw(nonempty), "fallback_providers": draw(subsets),
                "max_cost_tier": draw(st.sampled_from(TIERS)),
                "prefer_model": draw(st.sampled_from([None, "strongest", "cheapest"]))}
            for p in PRIORITIES
        },
        "by_type": {t: {"preferred_providers": draw(nonempty)} for t in TASK_TYPES},
        "by_privacy": {p: {"allowed_providers": draw(nonempty)} for p in PRIVACY_LEVELS},
    }  # fmt: skip
    budget = {"max_premium_per_day": draw(st.floats(0, 50)), "fallback_chain": draw(subsets),
              "enforce_budget": draw(st.booleans())}  # fmt: skip
    return Config.model_validate({"providers": providers, "routing": routing, "budget": budget})


requests = st.builds(
    RouteRequest,
    type=st.sampled_from(TASK_TYPES),
    priority=st.sampled_from(PRIORITIES),
    privacy=st.sampled_from(PRIVACY_LEVELS),
    executor_agent=st.none() | st.sampled_from(PROVIDERS),
    model=st.none() | st.sampled_from([f"{p}-m{i}" for p in PROVIDERS for i in range(3)]),
    prompt_chars=st.integers(0, 200_000),
    project_allowed=st.none() | st.tuples(*[]) | subsets.map(tuple),
)
healths = st.dictionaries(
    st.sampled_from(PROVIDERS),
    st.builds(HealthView, state=st.sampled_from(["up", "down", "cooldown"])),
)
budgets = st.builds(BudgetView, spent_usd=st.floats(0, 60), reserved_usd=st.floats(0, 10),
                    cap_usd=st.floats(0, 50), enforce=st.booleans())  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs(), req=requests, budget=budgets, health=healths)
def test_routing_invariants(cfg: Config, req: RouteRequest, budget: BudgetView,
                            health: dict[str, HealthView]) -> None:  # fmt: skip
    decision = route(req, cfg, budget, health)
    assert decision.reasons
    if decision.provider is None:
        assert decision.model is None and decision.reasons[-1].startswith("blocked: ")
        return
    provider = cfg.providers[decision.provider]
    model = provider.model(decision.model or "")
    assert model is not None, "the model belongs to the chosen provider"
    assert provider.enabled
    # Privacy is never overridden.
    assert decision.provider in cfg.routing.by_privacy[req.privacy].allowed_providers
    if req.project_allowed is not None:
        assert decision.provider in req.project_allowed
    if req.privacy == "sensitive":
        assert provider.privacy_level == "local"
        assert model.privacy_safe
    # The priority's cost ceiling is never exceeded.
    ceiling = cfg.routing.by_priority[req.priority].max_cost_tier
    assert provider.cost_tier.rank <= ceiling.rank
    # Health is a hard filter.
    assert health.get(decision.provider, HealthView()).state == "up"
    # An enforced cap never lets a premium run pass it.
    if budget.enforce and provider.cost_tier is CostTier.PREMIUM:
        assert (
            budget.spent_usd + budget.reserved_usd + decision.estimate_usd <= budget.cap_usd + 1e-9
        )
