"""An approved task whose work conflicts with its wave branch is not a dead end: the
person retries it (re-run on the current wave branch, the conflict as evidence) or
resolves it by hand in the kept worktree; either way the plan finishes. Real engine, real
git worktrees, the simulated agents, the real CLI for every decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from engine_fixtures import dump, engine_config_dict, git, make_repo, sim_calls, task, write_config

from convergio_tui.config.schema import Config
from convergio_tui.engine.planner import import_plan
from convergio_tui.store.models import Task, Wave

# T2 (P0, dispatched first, one at a time) fails its verify three times and escalates;
# then T1 writes calc.py and merges. T2's branch also made calc.py: approved, it conflicts.
T1 = task("T1", "Write add.\nSIM: write calc.py <<<def add(a, b):\\n    return a + b\\n>>>\n"
          "SIM: write tests/test_add.py <<<def test_add():\\n    assert True\\n>>>",
          provider="claude", priority="P1", files=["calc.py"])  # fmt: skip
T2_PROMPT = (
    "Write mul.\n"
    "SIM[round<4]: write calc.py <<<def mul(a, b):\\n    return a + b\\n>>>\n"
    "SIM[round>=4]: write calc.py <<<def add(a, b):\\n    return a + b\\n\\n\\n"
    "def mul(a, b):\\n    return a * b\\n>>>\n"
    "SIM: write tests/test_mul.py <<<def test_mul():\\n    assert True\\n>>>\n"
)
VERIFY = "python -c 'from calc import mul; assert mul(2, 3) == 6'"
T2 = task("T2", T2_PROMPT, provider="claude", priority="P0", files=["calc.py"], verify=[VERIFY])
RESOLVED = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "# demo\n"})


def cli(config_file: Path, db: Path, *args: str) -> Any:
    return run_cli("--config", str(config_file), "--db", str(db), *args)


def pending(config_file: Path, db: Path) -> dict[str, Any]:
    listed = cli(config_file, db, "escalations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (esc,) = json.loads(listed.stdout)["escalations"]
    return dict(esc)


def escalate_then_approve_into_a_conflict(
    tmp_path: Path, repo: Path, db: Path, ollama: str
) -> tuple[Path, int, dict[str, Any]]:
    data = engine_config_dict(repo, ollama, execution={"max_parallel": 1})
    config_file = write_config(tmp_path / "orchestrator.yaml", data)
    spec = tmp_path / "plan.yaml"
    spec.write_text(json.dumps({"name": "p", "project": "demo",
                                "waves": [{"name": "w1", "tasks": [T1, T2]}]}))  # fmt: skip
    plan_id = import_plan(spec, Config.model_validate(data))
    first = cli(config_file, db, "run", str(plan_id))
    assert first.returncode == 1, first.stdout + first.stderr + dump()
    assert Task.get(Task.code == "T1").status == "done", dump()
    escalation = pending(config_file, db)
    approved = cli(config_file, db, "escalations", "approve", str(escalation["id"]), "--yes")
    assert approved.returncode == 0, approved.stderr

    second = cli(config_file, db, "run", str(plan_id))

    # Not a dead end: T2 is back with its person, the conflict named, both ways forward.
    assert second.returncode == 1, second.stdout + second.stderr
    assert "conflicts with" in second.stdout + second.stderr, second.stdout
    t2 = Task.get(Task.code == "T2")
    assert t2.status == "escalated" and t2.validated_by is None, dump()
    conflict = pending(config_file, db)
    assert conflict["id"] != escalation["id"]
    assert "conflict in calc.py" in conflict["reason"]
    assert t2.worktree and Path(t2.worktree).is_dir()
    return config_file, plan_id, conflict


def test_retry_re_runs_it_on_the_current_wave_branch_and_the_plan_finishes(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config_file, plan_id, conflict = escalate_then_approve_into_a_conflict(
        tmp_path, repo, engine_db, ollama
    )
    retried = cli(config_file, engine_db, "escalations", "retry", str(conflict["id"]))
    assert retried.returncode == 0, retried.stderr

    third = cli(config_file, engine_db, "run", str(plan_id))

    assert third.returncode == 0, third.stdout + third.stderr + dump()
    t2 = Task.get(Task.code == "T2")
    assert (t2.status, t2.validated_by, t2.round) == ("done", "thor", 4)
    last = sim_calls(sim_bin)[-1]
    assert "conflict in calc.py" in last["prompt"]  # the conflict came as evidence
    wave = Wave.get(Wave.plan == plan_id)
    merged = git(repo, "show", f"{wave.branch}:calc.py")
    assert "return a + b" in merged and "return a * b" in merged


def test_resolving_by_hand_in_the_kept_worktree_lets_the_plan_finish(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config_file, plan_id, conflict = escalate_then_approve_into_a_conflict(
        tmp_path, repo, engine_db, ollama
    )
    t2 = Task.get(Task.code == "T2")
    worktree, wave_branch = Path(t2.worktree), str(Wave.get(Wave.plan == plan_id).branch)
    esc_id = str(conflict["id"])

    early = cli(config_file, engine_db, "escalations", "resolve", esc_id)
    assert early.returncode == 1, early.stderr
    assert "still conflicts" in early.stderr and "calc.py" in early.stderr
    # The person merges the wave branch in the worktree and fixes the conflict.
    merging = run_git(worktree, "merge", wave_branch)
    assert merging.returncode != 0
    (worktree / "calc.py").write_text(RESOLVED)
    uncommitted = cli(config_file, engine_db, "escalations", "resolve", esc_id)
    assert uncommitted.returncode == 1 and "commit them first" in uncommitted.stderr
    git(worktree, "add", "calc.py")
    git(worktree, "commit", "-q", "--no-edit")
    calls_before = len(sim_calls(sim_bin))

    resolved = cli(config_file, engine_db, "escalations", "resolve", esc_id)
    assert resolved.returncode == 0, resolved.stderr
    third = cli(config_file, engine_db, "run", str(plan_id))

    assert third.returncode == 0, third.stdout + third.stderr + dump()
    t2 = Task.get(Task.code == "T2")
    assert t2.status == "done" and t2.validated_by.startswith("human:")
    assert len(sim_calls(sim_bin)) == calls_before  # no agent ran again
    assert git(repo, "show", f"{wave_branch}:calc.py") == RESOLVED


def run_git(where: Path, *args: str) -> Any:
    import os
    import subprocess

    from engine_fixtures import GIT_ENV

    return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=False)  # fmt: skip
