"""``convergio run`` as a user runs it: exit codes, the plain progress lines, --dry-run,
the listing of what waits for a person, and the refusal of a second runner."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psutil
from conftest import run_cli
from engine_fixtures import engine_config_dict, sim_calls, write_config

from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Plan, Run


def setup_plan(
    repo: Path, ollama: str, tmp_path: Path, tasks: list[dict[str, object]]
) -> tuple[list[str], int]:
    """Write the config and a one-wave spec, import it through the CLI; returns the global
    options and the plan id."""
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    spec = tmp_path / "plan.yaml"
    import yaml

    spec.write_text(yaml.safe_dump({"name": "feature", "project": "demo",
                                    "waves": [{"name": "only", "tasks": tasks}]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec), "--json")
    assert proc.returncode == 0, proc.stderr
    return opts, int(json.loads(proc.stdout)["plan_id"])


def t(code: str, prompt: str, **extra: object) -> dict[str, object]:
    """A task of the spec."""
    return {"code": code, "title": f"do {code}", "prompt": prompt, "type": "coding", **extra}


def test_run_completes_with_plain_progress_and_exit_0(repo: Path, sim_bin: Path, ollama: str,
                                                      tmp_path: Path) -> None:  # fmt: skip
    opts, plan = setup_plan(repo, ollama, tmp_path, [
        t("T1", "SIM: write a.txt <<<a\\n>>>"), t("T2", "SIM: write b.txt <<<b\\n>>>", priority="P0"),
    ])  # fmt: skip
    proc = run_cli(*opts, "run", "feature", "--parallel", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "T1         running    copilot·gpt-5" in out
    assert "T2         running    claude·claude-opus-4-5" in out
    assert "T1         done       accepted by Thor" in out
    assert "wave 1 done" in out
    assert f"plan {plan} done: 2/2 tasks done" in out
    assert "\x1b[" not in out  # not a TTY: plain lines, no live display
    shown = json.loads(run_cli(*opts, "plan", "show", str(plan), "--json").stdout)
    assert [x["status"] for x in shown["waves"][0]["tasks"]] == ["done", "done"]
    again = run_cli(*opts, "run", str(plan))  # resuming a finished plan: nothing to do
    assert again.returncode == 0 and len(sim_calls(sim_bin)) == 2


def test_dry_run_prints_routes_and_costs_and_runs_nothing(repo: Path, sim_bin: Path, ollama: str,
                                                          tmp_path: Path) -> None:  # fmt: skip
    opts, plan = setup_plan(repo, ollama, tmp_path, [
        t("T1", "Fix the login bug.", priority="P0"), t("T2", "Rename a variable.", type="bulk", priority="P3"),
    ])  # fmt: skip
    proc = run_cli(*opts, "run", str(plan), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "dry run" in proc.stdout
    assert "T1         claude·claude-opus-4-5" in proc.stdout and "est $0.10" in proc.stdout
    assert "T2         opencode·ollama/qwen3-coder" in proc.stdout and "est $0.00" in proc.stdout
    assert "- chosen: claude" in proc.stdout and "- priority P3 (bulk)" in proc.stdout
    assert "headroom today: $10.00 of the $10.00 cap (spent $0.00, reserved $0.00)" in proc.stdout
    doc = json.loads(run_cli(*opts, "run", str(plan), "--dry-run", "--json").stdout)
    assert [(x["code"], x["provider"], x["blocked"]) for x in doc["tasks"]] == [
        ("T1", "claude", False), ("T2", "opencode", False)]  # fmt: skip
    t1, t2 = doc["tasks"]
    assert t1["reserve_usd"] >= t1["estimate_usd"] > 0 and t2["reserve_usd"] == 0  # worst case
    assert f"reserve ${t1['reserve_usd']:.2f}" in proc.stdout
    assert doc["budget"]["headroom_usd"] == 10.0
    assert doc["estimate_usd"] > 0 and doc["tasks"][0]["reasons"]
    assert sim_calls(sim_bin) == []
    open_database(tmp_path / "c.db")
    try:
        assert Run.select().count() == 0 and Plan.get_by_id(plan).status == "todo"
    finally:
        close_database()


def test_bad_input_exits_2(repo: Path, sim_bin: Path, ollama: str, tmp_path: Path) -> None:
    opts, _ = setup_plan(repo, ollama, tmp_path, [t("T1", "x")])
    proc = run_cli(*opts, "run", "no-such-plan")
    assert proc.returncode == 2 and "no plan 'no-such-plan'" in proc.stderr
    assert run_cli(*opts, "run", "1", "--parallel", "0").returncode == 2


def test_escalation_is_listed_and_exits_1(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts, plan = setup_plan(repo, ollama, tmp_path, [
        t("T1", "SIM: mode=fail"), t("T2", "SIM: write ok.txt <<<ok\\n>>>"),
        t("T3", "SIM: write c.txt <<<c\\n>>>", depends_on=["T1"]),
    ])  # fmt: skip
    proc = run_cli(*opts, "run", str(plan))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "needs a person:" in proc.stdout
    assert "T1         escalated  pending escalation #1" in proc.stdout
    assert "T3         queued     waits for T1 (escalated)" in proc.stdout
    summary = json.loads(run_cli(*opts, "run", str(plan), "--json").stdout)
    assert summary["status"] == "doing" and summary["done"] == 1
    assert [w["code"] for w in summary["waiting"]] == ["T1", "T3"]


def test_second_run_on_a_live_plan_refuses(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts, plan = setup_plan(repo, ollama, tmp_path, [t("T1", "SIM: write a.txt <<<a\\n>>>")])
    holder = subprocess.Popen(["sleep", "30"])
    try:
        open_database(tmp_path / "c.db")
        Plan.update(
            runner_pid=holder.pid, runner_started_at=psutil.Process(holder.pid).create_time()
        ).execute()
        close_database()
        proc = run_cli(*opts, "run", str(plan))
        assert proc.returncode == 1
        assert f"already being run by process {holder.pid}" in proc.stderr
        assert sim_calls(sim_bin) == []
    finally:
        holder.kill()
        holder.wait()


def test_live_display_on_a_terminal(repo: Path, sim_bin: Path, ollama: str, tmp_path: Path) -> None:
    import os
    import pty
    import select
    import sys

    opts, plan = setup_plan(
        repo, ollama, tmp_path, [t("T1", "SIM: delay=0.6\nSIM: write a.txt <<<a\\n>>>")]
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "convergio_tui", *opts, "run", str(plan)],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)  # fmt: skip
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(30) == 0
    text = out.decode(errors="replace")
    assert "\x1b[" in text  # a live display, not plain lines
    assert "plan feature: 1/1 done" in text and f"plan {plan} done: 1/1 tasks done" in text


def test_run_ends_after_a_bounded_wait_when_the_only_provider_is_down(
    repo: Path, sim_bin: Path, tmp_path: Path
) -> None:
    # A sensitive project may only use opencode, and its Ollama is not running: the run
    # waits `execution.max_wait_s`, then ends (exit 1) with the task waiting and why.
    data = engine_config_dict(repo, "http://127.0.0.1:9", project_privacy="sensitive")
    data["execution"]["max_wait_s"] = 1
    # The cooldown outlasts the wait: a cooldown that ended first would let the engine try
    # opencode again (as it should), and the simulated opencode needs no Ollama to answer.
    data["health"].update({"ttl_s": 0, "cooldown_base_s": 30, "cooldown_max_s": 60})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    spec = tmp_path / "plan.yaml"
    spec.write_text(json.dumps({"name": "private", "project": "demo", "waves": [
        {"name": "only", "tasks": [t("S1", "SIM: write s.txt <<<s\\n>>>")]}]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    assert run_cli(*opts, "plan", "import", str(spec)).returncode == 0

    proc = run_cli(*opts, "run", "private", "--json")

    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "waiting" and "stopped waiting after 1s" in summary["message"]
    [waiting] = summary["waiting"]
    assert waiting["code"] == "S1" and "opencode" in waiting["reason"]
    assert sim_calls(sim_bin) == []
