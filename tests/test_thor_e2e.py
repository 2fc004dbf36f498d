"""Thor end to end: the real executor, real git worktrees, the simulated agents as real
subprocesses, the real CLI for escalation decisions (the issue's quality bar)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from engine_fixtures import (
    dump,
    engine_config,
    engine_config_dict,
    import_spec,
    make_repo,
    sim_calls,
    task,
    write_config,
)

from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import GateResult, Task

TESTS = "SIM: write tests/test_calc.py <<<def test_calc():\\n    assert True\\n>>>"
VERIFY = "python -c 'from calc import add; r = add(2, 3); assert r == 5, r'"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "# demo\n"})


def calc_task(good_from_round: int) -> dict[str, Any]:
    """A task whose ``add`` is wrong until ``good_from_round``."""
    return task(
        "T1-01",
        "Write calc.add.\n"
        f"SIM[round<{good_from_round}]: write calc.py <<<def add(a, b):\\n    return a - b\\n>>>\n"
        f"SIM[round>={good_from_round}]: write calc.py <<<def add(a, b):\\n    return a + b\\n>>>\n"
        f"{TESTS}\n",
        provider="claude",
        files=["calc.py"],
        verify=[VERIFY],
    )


def test_verify_fails_twice_then_passes_in_round_three(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config = engine_config(repo, ollama)
    plan_id = import_spec(config, tmp_path, [[calc_task(3)]])

    summary = Executor(config, plan_id).run()

    assert summary.status == "done", summary
    done = Task.get(Task.plan == plan_id)
    assert (done.status, done.round, done.validated_by) == ("done", 3, "thor")
    runs = sim_calls(sim_bin)
    assert [r["round"] for r in runs] == [1, 2, 3]
    assert "THOR-REJECTION" not in runs[0]["prompt"]
    for run, rejected in ((runs[1], [1]), (runs[2], [1, 2])):
        for n in rejected:
            assert f"THOR-REJECTION round {n}: compliance" in run["prompt"]
        assert VERIFY in run["prompt"] and "AssertionError: -1" in run["prompt"]
    verdicts = {
        (g.round, g.gate): g.verdict for g in GateResult.select().where(GateResult.task == done.id)
    }
    assert verdicts[(1, 1)] == verdicts[(2, 1)] == "fail" and verdicts[(3, 1)] == "pass"


def cli(config_file: Path, db: Path, *args: str) -> Any:
    """``convergio --config --db ARGS`` as a real subprocess."""
    return run_cli("--config", str(config_file), "--db", str(db), *args)


def test_three_failures_escalate_then_cli_approval_completes_the_plan(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    data = engine_config_dict(repo, ollama)
    config_file = write_config(tmp_path / "orchestrator.yaml", data)
    config = engine_config(repo, ollama)
    never_good = calc_task(99)
    sibling = task("T1-02", "Notes.\nSIM: write NOTES.txt <<<notes\\n>>>\n", provider="claude")
    later = task("T2-01", "Docs.\nSIM: write docs/USAGE.txt <<<usage\\n>>>\n", provider="claude")
    plan_id = import_spec(config, tmp_path, [[never_good, sibling], [later]])

    first = cli(config_file, engine_db, "run", str(plan_id))

    assert first.returncode == 1, first.stdout + first.stderr
    assert "T1-01" in first.stdout and "escalat" in first.stdout.lower()
    # The rest of the wave kept running while T1-01 waited for a person.
    assert Task.get(Task.code == "T1-02").status == "done"
    assert Task.get(Task.code == "T2-01").status != "done"
    listed = cli(config_file, engine_db, "escalations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (esc,) = json.loads(listed.stdout)["escalations"]
    assert esc["task_code"] == "T1-01" and [r["round"] for r in esc["rounds"]] == [1, 2, 3]
    assert "calc.py" in esc["diff_stat"] and esc["spend_usd"] > 0
    assert all(
        "AssertionError" in g["evidence"]
        for r in esc["rounds"]
        for g in r["gates"]
        if g["verdict"] == "fail"
    )

    # Approving work Thor rejected says what failed and what that means, and asks again:
    # without a terminal to ask on, only --yes approves.
    unconfirmed = cli(config_file, engine_db, "escalations", "approve", str(esc["id"]))
    assert unconfirmed.returncode == 2, unconfirmed.stderr
    assert "approving merges work that failed Thor's gates" in unconfirmed.stderr
    assert "add --yes" in unconfirmed.stderr
    assert (
        json.loads(cli(config_file, engine_db, "escalations", "list", "--json").stdout)[
            "escalations"
        ][0]["status"]
        == "pending"
    )  # nothing decided
    approved = cli(config_file, engine_db, "escalations", "approve", str(esc["id"]),
                   "--note", "good enough", "--yes")  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert "approving merges work that failed Thor's gates" in approved.stderr
    again = cli(config_file, engine_db, "escalations", "approve", str(esc["id"]))
    assert again.returncode == 1 and "already decided" in again.stderr

    second = cli(config_file, engine_db, "run", str(plan_id))

    assert second.returncode == 0, second.stdout + second.stderr
    tasks = {t.code: t for t in Task.select().where(Task.plan == plan_id)}
    assert tasks["T1-01"].status == "done" and tasks["T1-01"].validated_by.startswith("human:")
    assert tasks["T2-01"].status == "done" and tasks["T2-01"].validated_by == "thor"
    calls = sim_calls(sim_bin)
    # three rounds of T1-01, one each for the others
    assert len(calls) == 5, (dump(), [(c.get("tool"), str(c.get("prompt"))[:60]) for c in calls])
    wave_checks = GateResult.get(
        (GateResult.wave == tasks["T1-01"].wave_id)
        & GateResult.task.is_null()
        & (GateResult.gate == 10)
    )
    # The approved task's verify still fails on the wave branch: reported, not enforced.
    assert wave_checks.verdict == "pass", wave_checks.evidence
    assert "not enforced: [T1-01] verify" in wave_checks.evidence
    assert "approved T1-01 as it is" in wave_checks.evidence


# The agent writes the token in two pieces, so the prompt (and the agent's own tool
# output) never holds it whole: whatever holds it whole afterwards came from Thor.
TOKEN_HEAD, TOKEN_TAIL = "ghp_R4nd0mT0k3nV4l", "u3Xy9Zq8Wp7Lk6Jh5Gf4Ds3"
SECRET = TOKEN_HEAD + TOKEN_TAIL


def test_secret_written_by_an_agent_fails_gate_3_and_is_stored_nowhere(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str, isolated_home: Path
) -> None:
    config = engine_config(repo, ollama)
    prompt = (
        "Wire the GitHub client.\n"
        f'SIM[round<2]: write client.py <<<TOKEN = "{TOKEN_HEAD}>>>\n'
        f'SIM[round<2]: append client.py <<<{TOKEN_TAIL}"\\n>>>\n'
        'SIM[round>=2]: write client.py <<<import os\\n\\nTOKEN = os.environ["GITHUB_TOKEN"]\\n>>>\n'
        "SIM: write tests/test_client.py <<<def test_client():\\n    assert True\\n>>>\n"
    )
    plan_id = import_spec(config, tmp_path, [[task("T1-01", prompt, provider="claude")]])

    summary = Executor(config, plan_id).run()

    assert summary.status == "done", summary
    done = Task.get(Task.plan == plan_id)
    assert done.round == 2
    standards = GateResult.get(
        (GateResult.task == done.id) & (GateResult.round == 1) & (GateResult.gate == 3)
    )
    assert standards.verdict == "fail"
    assert "client.py:1" in standards.evidence and "github-token" in standards.evidence
    assert "THOR-REJECTION round 1: standards" in done.prompt
    from convergio_tui.store.db import close_database

    close_database()
    stored = [engine_db, *engine_db.parent.glob(engine_db.name + "-*")]
    stored += [p for p in isolated_home.rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        assert SECRET.encode() not in path.read_bytes(), f"the secret leaked into {path}"


def with_test(code: str) -> str:
    """A SIM directive adding a trivial test file for task ``code`` (gate 8 wants tests)."""
    name = code.lower().replace("-", "_")
    return f"SIM: write tests/test_{name}.py <<<def test_{name}():\\n    assert True\\n>>>\n"


def test_conflict_between_two_tasks_fails_gate_4_for_the_second(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    config = engine_config(repo, ollama, thor={"max_rounds": 1})
    first = task("T1-01", "SIM: write shared.py <<<VALUE = 1\\n>>>\n" + with_test("T1-01"),
                 provider="claude")  # fmt: skip
    second = task("T1-02", "SIM: delay=1\nSIM: write shared.py <<<VALUE = 2\\n>>>\n"
                  + with_test("T1-02"), provider="claude")  # fmt: skip
    plan_id = import_spec(config, tmp_path, [[first, second]])

    summary = Executor(config, plan_id).run()

    assert summary.status != "done"
    tasks = {t.code: t for t in Task.select().where(Task.plan == plan_id)}
    assert tasks["T1-01"].status == "done"
    assert tasks["T1-02"].status == "escalated"
    repo_gate = GateResult.get((GateResult.task == tasks["T1-02"].id) & (GateResult.gate == 4))
    assert repo_gate.verdict == "fail" and "shared.py" in repo_gate.evidence
    assert "tests/test_t1_02.py" not in repo_gate.evidence


def test_wave_whose_combined_build_breaks_fails_gate_10(
    tmp_path: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "config.py": "LIMIT = 10\n"})
    config = engine_config(
        repo, ollama, thor={"max_rounds": 1, "build_command": "python -c 'import config, use'"}
    )
    rename = task("T1-01", "SIM: write config.py <<<MAX_LIMIT = 10\\n>>>\n" + with_test("T1-01"),
                  provider="claude")  # fmt: skip
    use = task("T1-02", "SIM: write use.py <<<from config import LIMIT\\n\\nDOUBLE = LIMIT * 2\\n>>>\n"
               + with_test("T1-02"), provider="claude")  # fmt: skip
    plan_id = import_spec(config, tmp_path, [[rename, use]])

    summary = Executor(config, plan_id).run()

    assert summary.status != "done"
    tasks = list(Task.select().where(Task.plan == plan_id))
    assert all(t.validated_by is None for t in tasks)  # each passed alone, the wave sent both back
    build = GateResult.get(GateResult.task.is_null() & (GateResult.gate == 10))
    assert build.verdict == "fail"
    assert "import config, use" in build.evidence and "ImportError" in build.evidence
    assert {t.status for t in tasks} == {"escalated"}
    assert all("THOR-REJECTION round 1: build & cross-review" in t.prompt for t in tasks)
