"""``convergio plan new "GOAL"`` as a user runs it, with the simulated CLIs as planners:
a valid plan is drafted, written, imported and then run; an invalid one is fixed in the
second round with the validator's errors; garbage three times fails with nothing written;
a sensitive project plans on the local provider only; the planner cannot write the
repository. The goal is in the planning prompt, so it carries the simulated planner's
answer as a ``SIM: answer <<<...>>>`` directive (convergio_tui/sim/behaviour.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import run_cli
from engine_fixtures import engine_config_dict, git, make_repo, sim_calls, write_config

from convergio_tui.config.schema import Config
from convergio_tui.sandbox.confine import RunRequest, confine


def answer(plan: dict[str, Any] | str, cond: str = "") -> str:
    """A directive making the simulated planner answer with ``plan`` in a ```yaml block:
    one line, so a task prompt's own ``<<<...>>>`` stays inside it."""
    text = plan if isinstance(plan, str) else yaml.safe_dump(plan, sort_keys=False)
    body = ("```yaml\n" + text + "```").replace("\\", "\\\\").replace("\n", "\\n")
    return f"SIM{cond}: answer <<<{body}>>>"


def hello_plan(project: str = "demo") -> dict[str, Any]:
    prompt = "Create hello.txt saying hi.\nSIM: write hello.txt <<<hi\\n>>>\n"
    return {"name": "hello", "project": project, "waves": [{"name": "one", "tasks": [
        {"code": "T1", "title": "Write hello.txt", "type": "coding", "prompt": prompt,
         "files": ["hello.txt"]}]}]}  # fmt: skip


def setup(tmp_path: Path, repo: Path, ollama: str, **sections: Any) -> list[str]:
    cfg = write_config(tmp_path / "orchestrator.yaml",
                       engine_config_dict(repo, ollama, **sections))  # fmt: skip
    return ["--config", str(cfg), "--db", str(tmp_path / "c.db")]


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def planning_runs(db: Path) -> list[tuple[Any, ...]]:
    """(id, provider, status, round, charges) of every run that belongs to no task or wave."""
    return rows(db, "SELECT r.id, r.provider, r.status, r.round, (SELECT COUNT(*) FROM ledger l "
                "WHERE l.run_id = r.id AND l.kind = 'charge') FROM run r WHERE r.task_id IS "
                "NULL AND r.wave_id IS NULL ORDER BY r.id")  # fmt: skip


def test_a_drafted_plan_is_written_imported_and_runs(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama)
    goal = "Add a hello file.\n" + answer(hello_plan())

    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--yes", "--json")

    assert drafted.returncode == 0, drafted.stderr
    doc = json.loads(drafted.stdout)
    written = repo / "plans" / "add-a-hello-file.yaml"
    assert (
        doc["file"] == str(written)
        and doc["imported"]
        and doc["next"] == f"convergio run {doc['plan_id']}"
    )
    assert [r["ok"] for r in doc["rounds"]] == [True] and doc["rounds"][0]["provider"] == "claude"
    assert [(t["code"], t["wave"], t["provider"]) for t in doc["tasks"]] == [("T1", 1, "copilot")]
    assert (
        doc["budget"]["cap_usd"] == 10.0
        and doc["reserve_usd"] == doc["tasks"][0]["reserve_usd"] > 0
    )
    assert yaml.safe_load(written.read_text()) == hello_plan()
    assert written.read_text().startswith("# Drafted by `convergio plan new` (claude·")
    db = tmp_path / "c.db"
    (planning,) = planning_runs(db)
    assert planning[1:] == ("claude", "succeeded", 1, 1)  # charged once, like any run
    assert rows(db, f"SELECT cost_usd > 0 FROM run WHERE id = {planning[0]}") == [(1,)]

    ran = run_cli(*opts, "run", str(doc["plan_id"]), "--json")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout)["status"] == "done"
    assert git(repo, "show", f"{json.loads(ran.stdout)['handoff']['branch']}:hello.txt") == "hi\n"
    listed = run_cli(*opts, "plan", "list", "--json")  # a run of no plan breaks no listing
    assert [p["status"] for p in json.loads(listed.stdout)["plans"]] == ["done"]
    assert run_cli(*opts, "budget", "--json").returncode == 0


def test_an_invalid_plan_is_fixed_in_the_second_round(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama)
    bad = "name: hello\nproject: demo\nwaves: []\n"
    goal = "\n".join(["Add a hello file.", answer(bad, "[round<2]"),
                      answer(hello_plan(), "[round>=2]")])  # fmt: skip

    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--out",
                      str(tmp_path / "hello.yaml"), "--yes")  # fmt: skip

    assert drafted.returncode == 0, drafted.stderr
    assert "round 1: claude·" in drafted.stderr and "refused: plan.yaml:3: waves:" in drafted.stderr
    assert "imported as plan 1" in drafted.stdout and "convergio run 1" in drafted.stdout
    first, second = [c["prompt"] for c in sim_calls(sim_bin) if c["name"] == "claude"]
    assert "PLAN-REJECTION" not in first
    assert "PLAN-REJECTION round 1: your plan was refused:\n  plan.yaml:3: waves: " in second
    assert "```yaml\nname: hello\nproject: demo\nwaves: []\n```" in second  # the refused plan
    # Written outside the project: `project:` names the configured project.
    assert yaml.safe_load((tmp_path / "hello.yaml").read_text())["project"] == "demo"
    assert [r[1:4] for r in planning_runs(tmp_path / "c.db")] == [
        ("claude", "succeeded", 1), ("claude", "succeeded", 2)]  # fmt: skip


def test_garbage_three_times_fails_with_nothing_written(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama)
    goal = "Add a hello file.\nSIM: answer <<<I would rather write a poem.>>>"

    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--yes")

    assert drafted.returncode == 1, drafted.stdout + drafted.stderr
    assert "error: no valid plan after 3 rounds" in drafted.stderr
    assert "round 3: plan.yaml:1: expected a mapping at the top level" in drafted.stderr
    assert "nothing was written or imported" in drafted.stderr
    assert not (repo / "plans").exists() and git(repo, "status", "--porcelain") == ""
    db = tmp_path / "c.db"
    assert rows(db, "SELECT COUNT(*) FROM plan") == [(0,)]
    runs = planning_runs(db)
    assert [(r[1], r[2], r[3], r[4]) for r in runs] == [
        ("claude", "succeeded", n, 1) for n in (1, 2, 3)
    ]
    third = [c["prompt"] for c in sim_calls(sim_bin) if c["name"] == "claude"][-1]
    assert "PLAN-REJECTION round 1:" in third and "PLAN-REJECTION round 2:" in third


def test_a_sensitive_project_plans_on_the_local_provider_only(
    tmp_path: Path, sim_bin: Path, ollama: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# x\n", "MARKTREE.txt": "secret\n"})
    opts = setup(tmp_path, repo, ollama, project_privacy="sensitive")
    goal = "MARKGOAL: add a hello file.\n" + answer(hello_plan())

    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--json")

    assert drafted.returncode == 0, drafted.stderr
    doc = json.loads(drafted.stdout)
    assert [r["provider"] for r in doc["rounds"]] == ["opencode"]
    assert not doc["imported"] and doc["next"] == f"convergio plan import {doc['file']}"
    calls = [json.loads(line) for line in sim_bin.read_text().splitlines()]
    assert {c["name"] for c in calls} == {"opencode"}  # no cloud CLI ran, not even --version
    (run,) = [c for c in calls if c["kind"] == "run"]
    assert "MARKGOAL" in run["prompt"] and "MARKTREE.txt" in run["prompt"]


def test_without_a_terminal_and_without_yes_the_plan_is_written_not_imported(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama)
    drafted = run_cli(*opts, "plan", "new", "Add a hello file.\n" + answer(hello_plan()),
                      "--project", str(repo))  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr
    written = repo / "plans" / "add-a-hello-file.yaml"
    assert (
        f"not imported: review {written}, then: convergio plan import {written}" in drafted.stdout
    )
    assert "w1 T1         copilot·gpt-5" in drafted.stdout and "headroom today:" in drafted.stdout
    assert rows(tmp_path / "c.db", "SELECT COUNT(*) FROM plan") == [(0,)]
    # A second draft may not overwrite it: refused before any agent runs.
    before = len(sim_calls(sim_bin))
    again = run_cli(*opts, "plan", "new", "Add a hello file", "--project", str(repo))
    assert again.returncode == 2 and "pass --force" in again.stderr
    assert len(sim_calls(sim_bin)) == before
    imported = run_cli(*opts, "plan", "import", str(written), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["tasks"] == 1


def test_bad_input_is_refused_before_any_agent_runs(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama)
    (tmp_path / "plain").mkdir()
    empty = run_cli(*opts, "plan", "new", "  ", "--project", "demo")
    assert empty.returncode == 2 and "GOAL: is empty" in empty.stderr
    plain = run_cli(*opts, "plan", "new", "goal", "--project", str(tmp_path / "plain"))
    assert plain.returncode == 2 and "project: " in plain.stderr and "git init" in plain.stderr
    assert sim_calls(sim_bin) == []


def test_the_planner_cannot_write_the_repository(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    """The sandbox binds the checkout read-only: a planner writing a file fails its round
    (three times here), the repository is unchanged, nothing is imported."""
    opts = setup(tmp_path, repo, ollama)
    goal = "Add a hello file.\nSIM: write EVIL.txt <<<x>>>\n" + answer(hello_plan())
    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--yes")
    assert drafted.returncode == 1, drafted.stdout + drafted.stderr
    assert "the claude run failed" in drafted.stderr
    assert not (repo / "EVIL.txt").exists() and git(repo, "status", "--porcelain") == ""
    assert rows(tmp_path / "c.db", "SELECT COUNT(*) FROM plan") == [(0,)]


def test_unsandboxed_a_planner_that_writes_stops_the_planning(
    tmp_path: Path, repo: Path, sim_bin: Path, ollama: str
) -> None:
    opts = setup(tmp_path, repo, ollama, sandbox={"mode": "off"})
    goal = "Add a hello file.\nSIM: write EVIL.txt <<<x>>>\n" + answer(hello_plan())
    drafted = run_cli(*opts, "plan", "new", goal, "--project", "demo", "--yes")
    assert drafted.returncode == 1, drafted.stdout + drafted.stderr
    assert "changed the repository" in drafted.stderr and "sandbox.mode is off" in drafted.stderr
    assert len(planning_runs(tmp_path / "c.db")) == 1  # stopped at once, not three rounds
    assert rows(tmp_path / "c.db", "SELECT COUNT(*) FROM plan") == [(0,)]


def test_a_read_only_run_may_read_its_folder_but_not_write_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# read me\n"})
    config = Config.model_validate(engine_config_dict(repo, "http://127.0.0.1:9"))
    script = "cat README.md && echo x > written.txt"
    for read_only, code in ((True, 1), (False, 0)):
        run_dir = tmp_path / f"run-{read_only}"
        run_dir.mkdir()
        confined = confine(config, RunRequest(provider="claude", argv=["sh", "-c", script],
                                              workdir=repo, privacy="internal",
                                              run_dir=run_dir, read_only=read_only))  # fmt: skip
        proc = subprocess.run(confined.argv, cwd=repo, env=confined.env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert (proc.returncode != 0) == bool(code), proc.stderr
        assert "# read me" in proc.stdout
        assert (repo / "written.txt").exists() is (not read_only)


def test_route_knows_the_plan_type(tmp_path: Path) -> None:
    from convergio_tui import paths

    routed = run_cli("--config", str(paths.shipped_config_path()), "route", "--type", "plan",
                     "--privacy", "public", "--json")  # fmt: skip
    assert routed.returncode == 0, routed.stderr
    assert json.loads(routed.stdout)["provider"] == "claude"


def test_no_provider_may_plan_when_the_budget_is_spent(
    tmp_path: Path, repo: Path, sim_bin: Path
) -> None:
    """An internal project may plan on copilot (premium, over the cap here) or opencode
    (its Ollama is not answering): refused before any agent starts, exit 1."""
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(
        repo, "http://127.0.0.1:9", project_privacy="internal",
        budget={"max_premium_per_day": 0.01}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    drafted = run_cli(*opts, "plan", "new", "Add a hello file", "--project", "demo", "--json")
    assert drafted.returncode == 1, drafted.stdout + drafted.stderr
    doc = json.loads(drafted.stdout)
    assert not doc["ok"] and doc["error"].startswith("no provider may draft this plan now: ")
    assert doc["rounds"] == [] and doc["file"] is None
    assert sim_calls(sim_bin) == [] and planning_runs(tmp_path / "c.db") == []
    assert not (repo / "plans").exists()
