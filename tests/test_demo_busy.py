"""One demo at a time: a second ``convergio demo`` while the first runs is refused with a
clear message (it used to delete the first one's folder under it, leaving its tasks
"blocked" on a FileNotFoundError), and ``convergio dashboard PLAN --run`` on a plan another
live process runs is refused too. Real processes, real databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
from conftest import run_cli

from convergio_tui.config.schema import Config
from convergio_tui.demo.setup import demo_claim
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Plan


def test_a_second_demo_is_refused_while_the_first_runs_and_the_first_completes(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "CONVERGIO_HOME": str(home)}
    first = subprocess.Popen(
        [sys.executable, "-m", "convergio_tui", "demo", "--headless"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert first.stdout is not None
        seen = []
        for line in first.stdout:  # the first demo has built its folder and is running
            seen.append(line)
            if line.startswith("Convergio DEMO"):
                break
        assert seen and seen[-1].startswith("Convergio DEMO"), "".join(seen)
        second = run_cli("demo", "--headless", env={"CONVERGIO_HOME": str(home)})
        rest, errors = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert second.returncode == 1, second.stdout + second.stderr
    assert second.stderr.startswith("error: another convergio demo is running in ")
    assert f"process {first.pid}" in second.stderr and "wait for it to finish" in second.stderr
    assert "demo project:" not in second.stdout  # it built nothing

    out = "".join(seen) + rest
    assert first.returncode == 0, out + errors
    assert "DEMO summary: plan doing, 8/9 tasks done" in out
    assert "engine error" not in out and "No such file or directory" not in out
    raw = sqlite3.connect(home / "demo" / "home" / "convergio.db")
    statuses = dict(raw.execute("SELECT code, status FROM task").fetchall())
    raw.close()
    assert statuses.pop("T3-02") == "escalated" and set(statuses.values()) == {"done"}
    with demo_claim(home / "demo"):  # the lock went with the first demo: a third may run
        pass


def test_dashboard_run_on_a_plan_another_process_runs_is_refused(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        started = psutil.Process(runner.pid).create_time()
        Plan.update(runner_pid=runner.pid, runner_started_at=started).where(
            Plan.id == sample.plan_id
        ).execute()  # fmt: skip
        db = str(isolated_home / "convergio.db")
        result = run_cli("--db", db, "dashboard", str(sample.plan_id), "--run")
    finally:
        runner.kill()
        runner.wait()
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().startswith(
        f"error: plan {sample.plan_id} (add-login) is already being run by process {runner.pid}"
    )
    assert f"watch it without --run: convergio dashboard {sample.plan_id}" in result.stderr
    assert Plan.get_by_id(sample.plan_id).runner_pid == runner.pid  # nothing was taken over
