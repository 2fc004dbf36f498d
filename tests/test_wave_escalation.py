"""A wave whose merged branch fails its tests with no task left to send back (a person
approved the work) is escalated itself, with the evidence, and each decision leads
somewhere: retry sends the task back and the plan finishes; approve accepts the wave as
it is; reject fails the plan. Real engine, real git, detected pytest, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from engine_fixtures import dump, engine_config_dict, make_repo, task, write_config

from convergio_tui.config.schema import Config
from convergio_tui.engine.planner import import_plan
from convergio_tui.store.models import Escalation, Plan, Task, Wave

# Wrong until round 4: its own test fails, three rounds escalate it, a person approves it.
CALC = task(
    "T1",
    "Write calc.add.\n"
    "SIM[round<4]: write calc.py <<<def add(a, b):\\n    return a - b\\n>>>\n"
    "SIM[round>=4]: write calc.py <<<def add(a, b):\\n    return a + b\\n>>>\n"
    "SIM[round<4]: write tests/test_calc.py <<<from calc import add\\n\\n\\ndef test_add():\\n"
    "    assert add(2, 3) == 5\\n>>>\n"
    "SIM[round>=4]: write tests/test_calc.py <<<from calc import add\\n\\n\\ndef test_add():\\n"
    "    assert add(2, 3) == 5\\n    assert add(0, 0) == 0\\n>>>\n",
    provider="claude", files=["calc.py"],
)  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    # A Python project with tests: Thor detects pytest for its test gates.
    return make_repo(tmp_path / "repo", {
        "README.md": "# demo\n", "tests/test_base.py": "def test_base():\n    assert True\n",
    })  # fmt: skip


def cli(config_file: Path, db: Path, *args: str) -> Any:
    return run_cli("--config", str(config_file), "--db", str(db), *args)


def pending(config_file: Path, db: Path) -> list[dict[str, Any]]:
    listed = cli(config_file, db, "escalations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout)["escalations"])


def escalate_the_wave(tmp_path: Path, repo: Path, db: Path, ollama: str) -> tuple[Path, int, int]:
    data = engine_config_dict(repo, ollama)
    config_file = write_config(tmp_path / "orchestrator.yaml", data)
    spec = tmp_path / "plan.yaml"
    spec.write_text(json.dumps({"name": "p", "project": "demo",
                                "waves": [{"name": "w1", "tasks": [CALC]}]}))  # fmt: skip
    plan_id = import_plan(spec, Config.model_validate(data))
    assert cli(config_file, db, "run", str(plan_id)).returncode == 1
    (esc,) = pending(config_file, db)
    approved = cli(config_file, db, "escalations", "approve", str(esc["id"]), "--yes")
    assert approved.returncode == 0, approved.stderr

    second = cli(config_file, db, "run", str(plan_id))

    assert second.returncode == 1, second.stdout + second.stderr + dump()
    assert Plan.get_by_id(plan_id).status != "done"  # never done over failing tests
    (wave_esc,) = pending(config_file, db)
    assert wave_esc["kind"] == "wave" and wave_esc["task_id"] is None, wave_esc
    assert wave_esc["task_code"] == "wave-1"
    assert "no task is left to send back" in wave_esc["reason"]
    gates = [g for g in wave_esc["rounds"][-1]["gates"] if g["verdict"] == "fail"]
    assert any("tests/test_calc.py::test_add" in g["evidence"] for g in gates), gates
    assert Wave.get(Wave.plan == plan_id).status == "blocked"
    # Run again without deciding: it waits, it does not escalate a second time.
    assert cli(config_file, db, "run", str(plan_id)).returncode == 1
    assert Escalation.select().where(Escalation.wave.is_null(False)).count() == 1
    return config_file, plan_id, int(wave_esc["id"])


def test_retrying_the_wave_sends_its_task_back_and_the_plan_finishes(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str,
    python3_with_pytest: Path,
) -> None:  # fmt: skip
    config_file, plan_id, esc_id = escalate_the_wave(tmp_path, repo, engine_db, ollama)
    unknown = cli(
        config_file, engine_db, "escalations", "retry", str(esc_id), "--provider", "gemini"
    )
    assert unknown.returncode == 2 and "own providers" in unknown.stderr

    retried = cli(config_file, engine_db, "escalations", "retry", str(esc_id), "--note", "fix it")
    assert retried.returncode == 0, retried.stderr
    assert "wave-1 is now running" in retried.stdout
    third = cli(config_file, engine_db, "run", str(plan_id))

    assert third.returncode == 0, third.stdout + third.stderr + dump()
    t1 = Task.get(Task.code == "T1")
    assert (t1.status, t1.validated_by, t1.round) == ("done", "thor", 4)
    assert "THOR-REJECTION round 3" in t1.prompt and "fix it" in t1.prompt


def test_approving_the_wave_accepts_it_as_it_is_and_rejecting_fails_the_plan(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str,
    python3_with_pytest: Path,
) -> None:  # fmt: skip
    config_file, plan_id, esc_id = escalate_the_wave(tmp_path, repo, engine_db, ollama)

    approved = cli(config_file, engine_db, "escalations", "approve", str(esc_id), "--yes")
    assert approved.returncode == 0, approved.stderr
    assert "tests fail" in approved.stderr or "build" in approved.stderr  # it said what
    assert Wave.get(Wave.plan == plan_id).status == "done"
    last = cli(config_file, engine_db, "run", str(plan_id))
    assert last.returncode == 0, last.stdout + last.stderr + dump()
    assert Plan.get_by_id(plan_id).status == "done"


def test_rejecting_the_wave_fails_the_plan(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str,
    python3_with_pytest: Path,
) -> None:  # fmt: skip
    config_file, plan_id, esc_id = escalate_the_wave(tmp_path, repo, engine_db, ollama)

    rejected = cli(config_file, engine_db, "escalations", "reject", str(esc_id))

    assert rejected.returncode == 0, rejected.stderr
    assert Wave.get(Wave.plan == plan_id).status == "failed"
    last = cli(config_file, engine_db, "run", str(plan_id))
    assert last.returncode != 0
    assert Plan.get_by_id(plan_id).status == "failed", dump()
