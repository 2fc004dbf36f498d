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


def test_premium_cap_reached_sends_p0_coding_to_the_local_model(shipped_config: Config) -> None:
    # Copilot's AI credits count against the cap too: at the cap only free work is left.
    capped = BudgetView(spent_usd=10.0, cap_usd=10.0)
    decision = route(
        RouteRequest("coding", "P0", "public", prompt_chars=400), shipped_config, capped
    )
    assert decision.provider == "opencode" and decision.reserve_usd == 0.0
    assert any("premium dropped: claude, copilot, gemini" in r for r in decision.reasons)


def test_sensitive_task_with_opencode_down_is_blocked_with_reason(shipped_config: Config) -> None:
    health = {"opencode": HealthView("down", "connection refused")}
    decision = route(RouteRequest("coding", "P0", "sensitive"), shipped_config, health=health)
    assert decision.blocked and decision.provider is None
    assert "sensitive: only opencode allowed, and opencode is down" in decision.reasons[-1]


def test_explicit_agent_is_honoured_only_within_hard_filters(shipped_config: Config) -> None:
    ok = route(RouteRequest("coding", "P1", "public", requested_provider="gemini"), shipped_config)
    assert ok.provider == "gemini"
    refused = route(
        RouteRequest("coding", "P1", "sensitive", requested_provider="claude"), shipped_config
    )
    assert refused.provider == "opencode"
    assert "requested claude was filtered out" in " ".join(refused.reasons)


def test_explicit_model_is_used_when_the_provider_offers_it(shipped_config: Config) -> None:
    decision = route(RouteRequest("coding", "P1", "public", model="gpt-5-mini"), shipped_config)
    assert (decision.provider, decision.model) == ("copilot", "gpt-5-mini")


def test_a_premium_run_needs_its_whole_worst_case_in_the_headroom(shipped_config: Config) -> None:
    # $2.00 left: claude-opus-4-5 may cost $3.00, so it leaves routing; gemini-2.5-pro's
    # worst case ($1.50) fits, and that is what it reserves.
    req = RouteRequest("coding", "P0", "public", prompt_chars=400)
    decision = route(req, shipped_config, BudgetView(spent_usd=0.5, reserved_usd=7.5))
    assert (decision.provider, decision.model) == ("gemini", "gemini-2.5-pro")
    assert decision.reserve_usd == pytest.approx(1.50)
    assert 0 < decision.estimate_usd < decision.reserve_usd
    text = " | ".join(decision.reasons)
    assert "premium dropped: claude (worst case claude $3.00; $2.00 left)" in text
    # With the whole worst case available, claude keeps the task.
    roomy = route(req, shipped_config, BudgetView(spent_usd=0.5, reserved_usd=6.5))
    assert roomy.provider == "claude" and roomy.reserve_usd == pytest.approx(3.00)


def test_learned_p95_above_max_run_usd_raises_the_worst_case(shipped_config: Config) -> None:
    req = RouteRequest("research", "P2", "public")
    room = BudgetView(reserved_usd=8.0)  # $2.00 left, nothing spent: no alert
    assert route(req, shipped_config, room).provider == "gemini"
    learned = BudgetView(reserved_usd=8.0, learned={("gemini", "gemini-2.5-pro"): 2.40})
    decision = route(req, shipped_config, learned)
    assert decision.provider == "copilot" and decision.reserve_usd == pytest.approx(1.00)
    assert any("worst case gemini $2.40" in r for r in decision.reasons)


def test_past_the_alert_p2_premium_work_moves_to_a_cheaper_provider(
    shipped_config: Config,
) -> None:
    research = RouteRequest("research", "P2", "public")
    before = route(research, shipped_config, BudgetView(spent_usd=7.9))
    assert before.provider == "gemini"  # 79%: below the alert
    after = route(research, shipped_config, BudgetView(spent_usd=8.0))
    assert after.provider == "copilot" and after.reserve_usd == pytest.approx(1.00)
    assert after.reasons[-2] == (
        "budget: spend is 80% of the cap, past the 80% alert: P2 premium work moves to a "
        "cheaper provider: gemini -> copilot"
    )
    # Internal P2 docs on copilot move on to the free local model.
    docs = route(RouteRequest("docs", "P2", "internal"), shipped_config, BudgetView(spent_usd=8.5))
    assert docs.provider == "opencode" and "copilot -> opencode" in docs.reasons[-2]
    # P0 and P1 keep their choice until the cap.
    p1 = route(RouteRequest("coding", "P1", "public"), shipped_config, BudgetView(spent_usd=8.5))
    assert p1.provider == "copilot"
    assert not any("moves to a cheaper" in r for r in p1.reasons)


def test_shift_at_alert_is_configurable(shipped_config: Config) -> None:
    research = RouteRequest("research", "P2", "public")
    off = shipped_config.model_copy(
        update={"budget": shipped_config.budget.model_copy(update={"shift_at_alert": False})}
    )
    assert route(research, off, BudgetView(spent_usd=8.5)).provider == "gemini"
    p1_too = shipped_config.model_copy(update={"budget": shipped_config.budget.model_copy(
        update={"shift_priorities": ["P1", "P2", "P3"]})})  # fmt: skip
    p1 = route(RouteRequest("coding", "P1", "public"), p1_too, BudgetView(spent_usd=8.5))
    assert p1.provider == "opencode" and "P1 premium work moves" in p1.reasons[-2]


def test_route_cli_json(shipped_config: Config) -> None:
    result = run_cli("route", "--type", "coding", "--priority", "P0", "--privacy", "public",
                     "--spent", "10", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["provider"] == "opencode" and doc["blocked"] is False
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
    requested_provider=st.none() | st.sampled_from(PROVIDERS),
    model=st.none() | st.sampled_from([f"{p}-m{i}" for p in PROVIDERS for i in range(3)]),
    prompt_chars=st.integers(0, 200_000),
    project_allowed=st.none() | st.tuples(*[]) | subsets.map(tuple),
)
healths = st.dictionaries(
    st.sampled_from(PROVIDERS),
    st.builds(HealthView, state=st.sampled_from(["up", "down", "cooldown"])),
)
learned = st.dictionaries(
    st.tuples(st.sampled_from(PROVIDERS), st.sampled_from([f"{p}-m{i}" for p in PROVIDERS
                                                           for i in range(3)])),
    st.floats(0, 30),
)  # fmt: skip
budgets = st.builds(BudgetView, spent_usd=st.floats(0, 60), reserved_usd=st.floats(0, 10),
                    cap_usd=st.floats(0, 50), enforce=st.booleans(), learned=learned)  # fmt: skip


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
    # An enforced cap never lets a premium run's worst case pass it; the worst case is at
    # least the model's configured one and what the ledger learned of it.
    if provider.cost_tier is CostTier.PREMIUM:
        worst = (
            model.max_run_usd if model.max_run_usd is not None else cfg.budget.default_max_run_usd
        )
        assert decision.reserve_usd >= worst - 1e-9
        assert decision.reserve_usd >= budget.learned.get((decision.provider, model.id), 0) - 1e-9
        if budget.enforce:
            used = budget.spent_usd + budget.reserved_usd
            assert used + decision.reserve_usd <= budget.cap_usd + 1e-9
    else:
        assert decision.reserve_usd == 0.0
    # The budget shifts work only for the configured priorities, past the alert.
    if any("moves to a cheaper provider:" in r for r in decision.reasons):
        assert cfg.budget.shift_at_alert and req.priority in cfg.budget.shift_priorities
        assert budget.cap_usd <= 0 or budget.spent_usd / budget.cap_usd >= 0.8 - 1e-9
