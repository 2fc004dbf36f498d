"""The hand-off through the real engine, real git and ``convergio run`` as a subprocess:
the end of a run names the final wave branch, its diff stat against the base branch and
a merge command that, run by the user, really brings the work into the base branch."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import run_cli
from engine_fixtures import GIT_ENV, engine_config_dict, git, write_config

from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Event, Plan


def t(code: str, prompt: str, **extra: object) -> dict[str, object]:
    """A task of the spec."""
    return {"code": code, "title": f"do {code}", "prompt": prompt, "type": "coding", **extra}


def setup(repo: Path, ollama: str, tmp_path: Path, waves: list[list[dict[str, object]]],
          **sections: Any) -> list[str]:  # fmt: skip
    """Write the config and a spec of ``waves``, import it; returns the global options."""
    cfg = write_config(tmp_path / "orchestrator.yaml",
                       engine_config_dict(repo, ollama, **sections))  # fmt: skip
    spec = tmp_path / "plan.yaml"
    spec.write_text(yaml.safe_dump({"name": "feature", "project": "demo", "waves": [
        {"name": f"w{i + 1}", "tasks": tasks} for i, tasks in enumerate(waves)]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec), "--json")
    assert proc.returncode == 0, proc.stderr
    return opts


def plan_uid(db: Path) -> str:
    open_database(db)
    try:
        return str(Plan.get_by_id(1).uid)
    finally:
        close_database()


TWO_WAVES = [
    [t("T1", "SIM: write notes/a.txt <<<alpha\\n>>>")],
    [t("T2", "SIM: write lib/b.txt <<<beta\\n>>>")],
]


def test_run_ends_with_the_final_branch_its_stat_and_a_merge_that_works(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(repo, ollama, tmp_path, TWO_WAVES)
    proc = run_cli(*opts, "run", "feature")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = f"convergio/{plan_uid(tmp_path / 'c.db')}/wave-2"
    out = proc.stdout
    assert f"result: {final} holds the plan's work (waves 1-2), made from main" in out
    stat = out[out.index("result: ") :]
    assert re.search(r"notes/a\.txt +\| 1 \+", stat) and re.search(r"lib/b\.txt +\| 1 \+", stat)
    assert "2 files changed, 2 insertions(+)" in stat
    merge = next(line for line in out.splitlines() if line.strip().startswith("merge: "))
    command = merge.split("merge: ", 1)[1].strip()
    assert command.endswith(f"merge --no-ff {final}")

    # What the user does next: run the merge command as printed.
    assert not (repo / "notes" / "a.txt").exists()
    subprocess.run(command, shell=True, check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})  # fmt: skip
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert (repo / "notes" / "a.txt").read_text() == "alpha\n"
    assert (repo / "lib" / "b.txt").read_text() == "beta\n"
    assert git(repo, "status", "--porcelain") == ""

    # Once merged, running the plan again says there is nothing left to merge.
    again = json.loads(run_cli(*opts, "run", "feature", "--json").stdout)
    assert again["handoff"]["already_merged"] is True and again["status"] == "done"


def test_json_has_the_handoff_and_the_journal_keeps_one_event(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(repo, ollama, tmp_path, TWO_WAVES)
    doc = json.loads(run_cli(*opts, "run", "feature", "--json").stdout)
    assert {"plan_id", "status", "total", "done", "cost_usd", "message", "waiting"} <= set(doc)
    h = doc["handoff"]
    final = f"convergio/{plan_uid(tmp_path / 'c.db')}/wave-2"
    assert (h["branch"], h["base"], h["complete"], h["waves_merged"]) == (
        final,
        "main",
        True,
        [1, 2],
    )
    assert (h["files_changed"], h["insertions"], h["deletions"]) == (2, 2, 0)
    assert h["diff_stat"] == "2 files changed, 2 insertions(+)"
    assert h["merge_command"].endswith(f"merge --no-ff {final}")
    assert run_cli(*opts, "run", "feature", "--json").returncode == 0  # a done plan, again
    open_database(tmp_path / "c.db")
    try:
        events = list(Event.select().where(Event.kind == "plan.handoff"))
        assert len(events) == 1, [e.message for e in events]  # the same hand-off: not again
        assert events[0].data["branch"] == final and final in events[0].message
    finally:
        close_database()


def test_a_plan_that_stops_says_which_waves_passed_so_far(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(repo, ollama, tmp_path, [
        [t("T1", "SIM: write notes/a.txt <<<alpha\\n>>>")], [t("T2", "SIM: mode=fail")],
    ])  # fmt: skip
    proc = run_cli(*opts, "run", "feature")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    wave1 = f"convergio/{plan_uid(tmp_path / 'c.db')}/wave-1"
    assert "T2         escalated  pending escalation" in proc.stdout
    assert f"result so far: wave 1 of 2 passed Thor's wave review; the work is on {wave1}" in (
        proc.stdout
    )
    assert "1 file changed, 1 insertion(+)" in proc.stdout
    assert "the plan is not finished; to take this part anyway:" in proc.stdout


def test_without_worktrees_the_run_points_at_the_working_tree(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup(repo, ollama, tmp_path, [[t("T1", "SIM: write notes/a.txt <<<alpha\\n>>>")]],
                 execution={"worktrees": False, "max_parallel": 1})  # fmt: skip
    doc = json.loads(run_cli(*opts, "run", "feature", "--json").stdout)
    assert doc["status"] == "done", doc
    assert doc["handoff"]["worktrees"] is False and doc["handoff"]["branch"] is None
    text = run_cli(*opts, "run", "feature").stdout
    assert "execution.worktrees: false" in text and f"git -C {repo} status" in text
