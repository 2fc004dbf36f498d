"""Thor's cross-review goes through the engine's one dispatch path: routed with the
wave's strictest privacy and without its author, reserved and charged inside the cap,
recorded as a run of the wave, or skipped with the reason."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from engine_fixtures import engine_config, import_spec, sim_calls, task

from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import Event, GateResult, Ledger, Run

REVIEWER = """\
import json, os, sys
prompt = sys.stdin.read()
open(os.path.join(os.environ["REVIEW_DIR"], "prompt.txt"), "w").write(prompt)
print(json.dumps({"type": "result", "subtype": "success", "is_error": False,
                  "result": "Looks right.\\nVERDICT: PASS", "total_cost_usd": 0.03,
                  "usage": {"input_tokens": 1200, "output_tokens": 80}}))
"""


@pytest.fixture
def reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in claude that answers every review with a PASS and records its prompt."""
    folder = tmp_path / "reviewer"
    folder.mkdir()
    (folder / "claude.py").write_text(REVIEWER)
    monkeypatch.setenv("REVIEW_DIR", str(folder))
    return folder


def _config(repo: Path, ollama: str, reviewer: Path, **sections: object) -> Config:
    config = engine_config(repo, ollama, thor={"cross_review": True}, **sections)  # type: ignore[arg-type]
    claude = config.providers["claude"].model_copy(
        update={"cli": [sys.executable, str(reviewer / "claude.py")],
                "env_pass": ["REVIEW_*", "CONVERGIO_SIM_*"]}
    )  # fmt: skip
    sandbox = config.sandbox.model_copy(
        update={"writable": [*config.sandbox.writable, str(reviewer)]}
    )
    return config.model_copy(
        update={"providers": {**config.providers, "claude": claude}, "sandbox": sandbox}
    )


def _wave_runs() -> list[Run]:
    return list(Run.select().where(Run.task.is_null(), Run.wave.is_null(False)))


def _gate10() -> GateResult:
    return GateResult.select().where(GateResult.wave.is_null(False), GateResult.gate == 10).get()


def test_cross_review_is_a_charged_run_of_the_wave(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, reviewer: Path
) -> None:
    config = _config(repo, ollama, reviewer)
    plan = import_spec(config, tmp_path, [[
        task("T1", "SIM: write a.txt <<<alpha\\n>>>", provider="copilot"),
        task("T2", "SIM: write b.txt <<<beta\\n>>>", provider="copilot"),
    ]])  # fmt: skip
    summary = Executor(config, plan).run()
    assert summary.status == "done"

    [run] = _wave_runs()
    assert (run.provider, run.status, run.cost_usd) == ("claude", "succeeded", 0.03)
    # the plan's spend counts its wave's review, as the ledger does
    assert summary.cost_usd == pytest.approx(sum(r.cost_usd for r in Run.select()))
    assert summary.cost_usd >= 0.03
    assert any("excluded copilot: it wrote most of the wave" in r for r in run.route_reasons)
    ledger = [(row.kind, row.run_id) for row in Ledger.select().where(Ledger.run == run.id)]
    assert ledger == [("reserve", run.id), ("release", run.id), ("charge", run.id)]
    # The review's $0.03 counts against the cap beside the copilot tasks' AI credits.
    tasks_usd = sum(r.cost_usd for r in Run.select().where(Run.task.is_null(False)))
    assert budget.status(config.budget).spent_usd == pytest.approx(0.03 + tasks_usd)
    gate = _gate10()
    assert gate.verdict == "pass" and f"run {run.id}: claude" in gate.evidence
    assert "+alpha" in (reviewer / "prompt.txt").read_text()


def test_sensitive_wave_is_never_reviewed_by_a_cloud_provider(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, reviewer: Path
) -> None:
    # A careless configuration lets claude see sensitive work; the author is the only
    # local provider, so nobody may review and the review is skipped, saying why.
    permissive = {"allowed_providers": ["claude", "copilot", "gemini", "opencode"]}
    config = _config(repo, ollama, reviewer, project_privacy="sensitive",
                     routing={"by_privacy": {"sensitive": permissive}})  # fmt: skip
    plan = import_spec(config, tmp_path, [[task("S1", "SIM: write s.txt <<<PATIENT-42\\n>>>")]])
    assert Executor(config, plan).run().status == "done"

    assert not (reviewer / "prompt.txt").exists()  # claude never saw the diff
    assert _wave_runs() == []
    skipped = Event.get(Event.kind == "review.skipped")
    assert "no provider other than opencode is allowed for sensitive tasks" in skipped.message
    assert "skipped" in _gate10().evidence
    assert {c["name"] for c in sim_calls(sim_bin)} == {"opencode"}


def test_sensitive_wave_is_reviewed_by_another_local_provider(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, reviewer: Path
) -> None:
    config = _config(repo, ollama, reviewer, project_privacy="sensitive")
    second = config.providers["opencode"].model_copy()
    routing = config.routing.model_copy(deep=True)
    routing.by_privacy["sensitive"].allowed_providers.append("localb")  # type: ignore[index]
    config = config.model_copy(
        update={"providers": {**config.providers, "localb": second}, "routing": routing}
    )
    plan = import_spec(config, tmp_path, [[task("S1", "SIM: write s.txt <<<PATIENT-42\\n>>>",
                                                provider="opencode")]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"

    [run] = _wave_runs()
    assert run.provider == "localb" and run.status == "succeeded"
    assert not (reviewer / "prompt.txt").exists()
    reviews = [c for c in sim_calls(sim_bin) if "PATIENT-42" in (c["prompt"] or "")]
    assert reviews and {c["name"] for c in reviews} == {"opencode"}  # both run the local CLI


def test_no_premium_headroom_routes_the_review_to_a_free_provider(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, reviewer: Path
) -> None:
    # copilot as a flat-rate (zero-tier) CLI, so it still writes the wave at a $0 cap.
    config = _config(repo, ollama, reviewer, budget={"max_premium_per_day": 0.0},
                     providers={"copilot": {"cost_tier": "zero"}})  # fmt: skip
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>",
                                                provider="copilot")]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"

    [run] = _wave_runs()
    assert run.provider == "opencode"
    assert any("premium dropped" in r for r in run.route_reasons)
    assert not (reviewer / "prompt.txt").exists()
    assert budget.status(config.budget).spent_usd == 0.0
