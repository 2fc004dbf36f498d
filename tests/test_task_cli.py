"""``convergio task rerun`` as a user runs it: a done task back in the queue on another
provider with a note, then ``convergio run`` completes it; the exit codes of bad input
(2) and of a state that refuses (1), with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import run_cli
from engine_fixtures import engine_config_dict, sim_calls, write_config

from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Event, Plan, Run, Task, Wave

RERUN_KEYS = {
    "task_id", "code", "plan_id", "wave_seq", "previous_status", "status", "round",
    "provider", "model", "note", "escalation_id", "wave_reopened", "plan_reopened",
    "plan_status", "requeued", "runner_pid",
}  # fmt: skip


def setup(repo: Path, ollama: str, tmp_path: Path, name: str = "feature") -> tuple[list[str], int]:
    """Config and a two-wave plan imported through the CLI; the global options, plan id."""
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    spec = tmp_path / f"{name}.yaml"
    waves = [
        {"name": "one", "tasks": [{"code": "T1", "title": "notes", "type": "coding",
                                   "provider": "claude",
                                   "prompt": "SIM: append NOTES.md <<<a line\\n>>>"}]},
        {"name": "two", "tasks": [{"code": "T2", "title": "docs", "type": "coding",
                                   "prompt": "SIM: write docs/U.txt <<<u\\n>>>"}]},
    ]  # fmt: skip
    spec.write_text(yaml.safe_dump({"name": name, "project": "demo", "waves": waves}))
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec), "--json")
    assert proc.returncode == 0, proc.stderr
    return opts, int(json.loads(proc.stdout)["plan_id"])


def read(db: Path, plan: int, code: str) -> Task:
    open_database(db)
    try:
        return Task.get(Task.plan == plan, Task.code == code)
    finally:
        close_database()


def test_rerun_a_done_task_elsewhere_with_a_note_then_run_completes_it(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts, plan = setup(repo, ollama, tmp_path)
    db = tmp_path / "c.db"
    assert run_cli(*opts, "run", str(plan)).returncode == 0

    proc = run_cli(*opts, "task", "rerun", "T1", "--plan", "feature", "--provider", "gemini",
                   "--model", "gemini-2.5-flash", "--note", "explain each line", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == RERUN_KEYS
    assert (out["code"], out["status"], out["round"], out["previous_status"]) == (
        "T1", "queued", 2, "done",
    )  # fmt: skip
    assert (out["provider"], out["model"], out["note"]) == (
        "gemini", "gemini-2.5-flash", "explain each line",
    )  # fmt: skip
    assert (out["wave_reopened"], out["plan_reopened"], out["plan_status"]) == (True, True, "doing")
    assert out["runner_pid"] is None and out["requeued"] == [] and out["escalation_id"] is None
    t1 = read(db, plan, "T1")
    assert (t1.status, t1.round, t1.validated_by, t1.provider) == ("queued", 2, None, "gemini")
    assert "REVIEWER NOTE (before round 2" in t1.prompt and "explain each line" in t1.prompt

    ran = run_cli(*opts, "run", str(plan))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    open_database(db)
    try:
        t1 = Task.get(Task.plan == plan, Task.code == "T1")
        assert (t1.status, t1.round, t1.validated_by) == ("done", 2, "thor")
        last = Run.select().where(Run.task == t1.id).order_by(Run.id.desc()).first()
        assert (last.provider, last.model, last.round) == ("gemini", "gemini-2.5-flash", 2)
        assert Plan.get_by_id(plan).status == "done"
        assert {w.status for w in Wave.select().where(Wave.plan == plan)} == {"done"}
    finally:
        close_database()
    gemini = [c for c in sim_calls(sim_bin) if c["name"] == "gemini"]
    assert any("explain each line" in (c["prompt"] or "") for c in gemini)


def test_rerun_in_words_by_id_and_what_to_do_next(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts, plan = setup(repo, ollama, tmp_path)
    assert run_cli(*opts, "run", str(plan)).returncode == 0
    task_id = read(tmp_path / "c.db", plan, "T2").id
    proc = run_cli(*opts, "task", "rerun", str(task_id))
    assert proc.returncode == 0, proc.stderr
    assert "T2 re-run: round 2, queued on " in proc.stdout
    assert "wave 2 is running again" in proc.stdout
    assert f"plan {plan} feature is doing again" in proc.stdout
    assert f"run it with: convergio run {plan}" in proc.stdout


def test_bad_input_exits_2_and_a_refusing_state_exits_1_with_nothing_written(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts, plan = setup(repo, ollama, tmp_path)
    db = tmp_path / "c.db"
    cases = [
        (["T1", "--plan", str(plan), "--provider", "nope"], 2, "unknown provider 'nope'"),
        (["T1", "--plan", str(plan), "--provider", "claude", "--model", "gpt-9"], 2,
         "claude offers no model 'gpt-9'"),
        (["T9", "--plan", str(plan)], 2, f"plan {plan} has no task 'T9'"),
        (["T1", "--plan", "nosuch"], 2, "no plan 'nosuch'"),
        (["99999"], 2, "no task with id 99999"),
        (["T1"], 1, "T1 is pending: only a done, failed, skipped, cancelled or escalated task"),
    ]  # fmt: skip
    for args, code, words in cases:
        proc = run_cli(*opts, "task", "rerun", *args)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        assert words in proc.stderr, (args, proc.stderr)
        assert proc.stdout == ""
    # A code two plans share needs --plan.
    setup(repo, ollama, tmp_path, name="other")
    proc = run_cli(*opts, "task", "rerun", "T1")
    assert proc.returncode == 2 and "is in plans 1, 2: name one with --plan" in proc.stderr
    t1 = read(db, plan, "T1")
    assert (t1.status, t1.round, t1.provider) == ("pending", 1, "claude")
    open_database(db)
    try:
        assert not Event.select().where(Event.kind == "task.rerun").exists()
    finally:
        close_database()
