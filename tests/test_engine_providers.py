"""The executor against each simulated provider: happy paths with their cost rules, and
the failure shapes of docs/providers.md (real subprocesses, real git, real SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_fixtures import engine_config, git, import_spec, sim_calls, task, uid

from convergio_tui.engine import budget, health
from convergio_tui.engine.executor import Executor
from convergio_tui.store import queries
from convergio_tui.store.models import Event, Ledger, ProviderHealth, Run, Task
from convergio_tui.thor import escalations


def runs_of(code: str) -> list[Run]:
    """The task's runs in dispatch order."""
    return list(Run.select().join(Task).where(Task.code == code).order_by(Run.id))


def test_each_provider_happy_path_and_its_cost_rule(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, execution={"max_parallel": 4})
    plan = import_spec(config, tmp_path, [[
        task("C1", "Fix the crash.\nSIM: cost=0.05\nSIM: write c.txt <<<claude\\n>>>", priority="P0"),
        task("G1", "Survey options.\nSIM: output_tokens=1000", type="research", priority="P2"),
        task("P1", "Add a flag.\nSIM: write p.txt <<<copilot\\n>>>", files=["p.txt"]),
        task("O1", "Rename things.\nSIM: write o.txt <<<opencode\\n>>>", type="bulk", priority="P3"),
    ]])  # fmt: skip
    summary = Executor(config, plan).run()
    assert (summary.status, summary.exit_code, summary.done) == ("done", 0, 4)

    claude, gemini, copilot, opencode = (runs_of(c)[0] for c in ("C1", "G1", "P1", "O1"))
    assert (claude.provider, claude.model, claude.cost_usd) == ("claude", "claude-opus-4-5", 0.05)
    assert gemini.provider == "gemini" and gemini.output_tokens == 1000
    expected = (gemini.input_tokens * 1.25 + 1000 * 10.0) / 1_000_000
    assert gemini.cost_usd == pytest.approx(expected)
    # Copilot is billed in AI credits ($0.01 each), against the cap like claude and gemini.
    assert (copilot.provider, copilot.premium_requests) == ("copilot", 1.0)
    assert copilot.cost_usd == pytest.approx(copilot.ai_credits * 0.01) and copilot.cost_usd > 0
    # Each CLI with a hard per-run limit got one: the reservation minus one call.
    assert claude.argv[-2:] == ["--max-budget-usd", "2.2500"]
    assert copilot.argv[-2:] == ["--max-ai-credits", "75"]
    assert (opencode.provider, opencode.cost_usd, opencode.premium_requests) == (
        "opencode",
        0.0,
        0.0,
    )
    charges = {r.run_id: r for r in Ledger.select().where(Ledger.kind == "charge")}
    assert charges[claude.id].premium and charges[gemini.id].premium
    assert charges[copilot.id].premium and charges[copilot.id].premium_requests == 1.0
    spent = 0.05 + expected + copilot.cost_usd
    assert budget.status(config.budget).spent_usd == pytest.approx(spent)
    assert budget.status(config.budget).reserved_usd == 0.0  # every reservation released

    for t in Task.select():
        assert (t.status, t.validated_by, t.round, t.worktree) == ("done", "thor", 1, None)
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:c.txt") == "claude\n"
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:o.txt") == "opencode\n"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"  # checkout untouched
    assert not (repo / "c.txt").exists()
    # Each ran exactly once, under its own CLI name, in its own worktree.
    calls = sim_calls(sim_bin)
    assert sorted(c["name"] for c in calls) == ["claude", "copilot", "gemini", "opencode"]
    assert all(f"/wt/{uid(plan)}/" in c["cwd"] for c in calls)


def test_failed_round_is_rejected_then_passes(repo: Path, sim_bin: Path, ollama: str,
                                              engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[
        task("T1", "SIM[round<2]: mode=fail\nSIM: write f.txt <<<round ok\\n>>>", files=["f.txt"]),
    ]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"
    first, second = runs_of("T1")
    assert (first.status, first.round, second.status, second.round) == ("failed", 1, "succeeded", 2)
    t = Task.get(Task.code == "T1")
    assert (t.status, t.round) == ("done", 2)
    prompts = [c["prompt"] for c in sim_calls(sim_bin)]
    assert "THOR-REJECTION round 1" not in prompts[0] and "THOR-REJECTION round 1" in prompts[1]
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:f.txt") == "round ok\n"


@pytest.mark.parametrize(
    ("env", "value", "spec", "cooled", "fallback", "kind"),
    [
        ("CONVERGIO_SIM_CLAUDE_MODE", "rate_limit", {"priority": "P0"}, "claude", "gemini", "rate_limit"),
        ("CONVERGIO_SIM_GEMINI_MODE", "auth", {"priority": "P2", "type": "research"}, "gemini", "copilot", "auth"),
        ("CONVERGIO_SIM_CLAUDE_MODELS", "claude-haiku-4-5", {"priority": "P0"}, "claude", "gemini",
         "model_not_found"),
    ],
)  # fmt: skip
def test_provider_error_cools_it_before_siblings_dispatch(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, spec: dict[str, str],
    cooled: str, fallback: str, kind: str,
) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    health.refresh(config)  # healthy at the start; the error shows up only in a run
    monkeypatch.setenv(env, value)
    plan = import_spec(config, tmp_path, [[
        task("A", "SIM: write a.txt <<<a\\n>>>", **spec), task("B", "SIM: write b.txt <<<b\\n>>>", **spec),
    ]])  # fmt: skip
    assert Task.get(Task.code == "A").provider == cooled  # planned for the provider
    summary = Executor(config, plan, parallel=1).run()
    assert summary.status == "done"
    first, second = runs_of("A")
    assert (first.provider, first.status, first.error_class) == (cooled, "failed", kind)
    assert (second.provider, second.fallback_from, second.round) == (fallback, cooled, 1)
    assert any(r.startswith(f"health: {cooled} is cooldown") for r in second.route_reasons)
    (b_run,) = runs_of("B")  # dispatched after A's error: never tried the cooling provider
    assert (b_run.provider, b_run.fallback_from) == (fallback, cooled)
    assert [c["name"] for c in sim_calls(sim_bin)].count(cooled) == 1
    row = ProviderHealth.get(ProviderHealth.provider == cooled)
    assert row.state == "cooldown" and row.consecutive_failures == 1
    assert Event.select().where(Event.kind == "provider.cooldown").count() == 1
    assert Event.select().where(Event.kind == "route.fallback").count() == 2
    assert {t.round for t in Task.select()} == {1}  # the provider's fault costs no round


def test_crash_garbage_and_missing_result_fail_the_round(repo: Path, sim_bin: Path, ollama: str,
                                                         engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, execution={"max_parallel": 3})
    plan = import_spec(config, tmp_path, [[
        task(f"T-{mode}", f"SIM[round<2]: mode={mode}\nSIM: write {mode}.txt <<<x\\n>>>")
        for mode in ("crash", "garbage", "no_result")
    ]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"
    classes = {}
    for mode in ("crash", "garbage", "no_result"):
        first, second = runs_of(f"T-{mode}")
        assert first.status == "failed" and second.status == "succeeded"
        classes[mode] = first.error_class
    assert classes["crash"] == "crashed"
    assert classes["garbage"] == classes["no_result"] == "failed"
    assert {t.round for t in Task.select()} == {2}


def test_escalation_waits_for_a_person_then_approval_completes(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1", "SIM: mode=fail\nSIM: write e.txt <<<tried\\n>>>"), task("T2", "SIM: write ok.txt <<<ok\\n>>>")],
        [task("T3", "SIM: write later.txt <<<later\\n>>>")],
    ])  # fmt: skip
    summary = Executor(config, plan).run()
    assert (summary.status, summary.exit_code) == ("doing", 1)
    assert [(w.code, w.status) for w in summary.waiting] == [("T1", "escalated")]
    assert "pending escalation" in summary.waiting[0].reason
    assert len(runs_of("T1")) == 3 and Task.get(Task.code == "T3").status == "pending"
    (pending,) = queries.pending()
    escalations.decide(pending.id, "approve", "alice")
    again = Executor(config, plan).run()
    assert again.status == "done"
    assert Task.get(Task.code == "T1").validated_by == "human:alice"
    assert len(runs_of("T1")) == 3  # approval does not run it again
    waves = f"convergio/{uid(plan)}/wave-"
    assert git(repo, "show", f"{waves}1:e.txt") == "tried\n"  # approved work merged
    assert git(repo, "show", f"{waves}2:later.txt") == "later\n"
