"""Process control: a hung worker is killed at its timeout with nothing left behind;
cancel kills a task's tree; pause holds dispatch; stop re-queues; parallel limits hold."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import psutil
from engine_fixtures import dump, engine_config, import_spec, sim_calls, task

from convergio_tui.engine import control
from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import Ledger, Plan, Run, Task


def tagged_processes(db_path: Path) -> list[psutil.Process]:
    """Live processes started for runs of this test's database."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("CONVERGIO_RUN_TAG", "").startswith(str(db_path.resolve())):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting\n" + dump()
        time.sleep(0.05)


def test_hung_worker_killed_at_timeout_nothing_left(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[
        task("H1", "SIM[round<2]: mode=hang\nSIM: write h.txt <<<h\\n>>>", timeout_s=1.5),
    ]])  # fmt: skip
    started = time.monotonic()
    assert Executor(config, plan).run().status == "done"
    first, second = Run.select().order_by(Run.id)
    assert (first.status, first.error_class) == ("timeout", "timeout")
    # Killed at its 1.5 s timeout: a hang never ends, so any bound proves the kill (a busy
    # machine may take its time getting there).
    assert 1.4 <= first.finished_at - first.started_at < 60
    assert second.status == "succeeded" and time.monotonic() - started < 120
    assert (
        not psutil.pid_exists(first.pid)
        or psutil.Process(first.pid).status() == psutil.STATUS_ZOMBIE
    )
    assert tagged_processes(engine_db) == []  # the hang's `sleep 3600` child is gone too
    assert "timed out" in Path(first.log_path).read_text()


def test_cancel_task_kills_its_tree_others_continue(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[
        task("K1", "SIM: mode=hang"), task("K2", "SIM: delay=0.5\nSIM: write k.txt <<<k\\n>>>"),
    ]])  # fmt: skip
    executor = Executor(config, plan)
    executor.start()
    wait_for(
        lambda: Run.select().join(Task).where(Task.code == "K1", Run.pid.is_null(False)).exists()
    )
    wait_for(lambda: len(tagged_processes(engine_db)) >= 2)  # the hang and its child
    k1 = Task.get(Task.code == "K1")
    assert control.cancel_task(k1.id)
    assert not control.cancel_task(k1.id)  # already final
    executor._thread.join(20)  # type: ignore[union-attr]
    summary = executor.summary
    assert summary is not None
    k2 = Task.get(Task.code == "K2")
    assert k2.status == "done", k2.blocked_reason
    assert Task.get(Task.code == "K1").status == "cancelled"
    k1run = Run.select().join(Task).where(Task.code == "K1").get()
    assert (k1run.status, k1run.exit_code) == (
        "cancelled",
        -15,
    )  # not reaped behind the runner's back
    assert tagged_processes(engine_db) == []


def test_pause_holds_dispatch_and_stop_requeues(repo: Path, sim_bin: Path, ollama: str,
                                               engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, budget={"max_premium_per_day": 50.0})
    plan = import_spec(config, tmp_path, [[
        task("A", "SIM: delay=30", priority="P0"), task("B", "SIM: write b.txt <<<b\\n>>>"),
    ]])  # fmt: skip
    assert control.pause_plan(plan)
    executor = Executor(config, plan)
    executor.start()
    time.sleep(1.0)
    assert Run.select().count() == 0  # paused: nothing dispatched
    assert control.resume_plan(plan)
    wait_for(
        lambda: Run.select().join(Task).where(Task.code == "A", Run.pid.is_null(False)).exists()
    )
    wait_for(lambda: Task.get(Task.code == "B").status == "done")
    executor.stop(20)
    assert executor.summary is not None and executor.summary.status == "stopped"
    run_a = Run.select().join(Task).where(Task.code == "A").get()
    assert run_a.status == "interrupted"
    assert Task.get(Task.code == "A").status == "queued"  # same round, runs again next time
    assert Task.get(Task.code == "A").round == 1
    # The interrupted premium run was reserved, then released, never charged.
    kinds = [row.kind for row in Ledger.select().where(Ledger.run == run_a.id).order_by(Ledger.id)]
    assert kinds == ["reserve", "release"]
    assert Plan.get_by_id(plan).runner_pid is None
    assert tagged_processes(engine_db) == []


def test_cancel_plan_stops_everything(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                      tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(
        config, tmp_path, [[task("A", "SIM: mode=hang")], [task("B", "SIM: mode=ok")]]
    )
    executor = Executor(config, plan)
    executor.start()
    wait_for(lambda: len(sim_calls(sim_bin)) == 1)  # the hang is under way
    assert control.cancel_plan(plan) == 2
    executor._thread.join(20)  # type: ignore[union-attr]
    assert executor.summary is not None and executor.summary.status == "cancelled"
    assert {t.status for t in Task.select()} == {"cancelled"}
    assert tagged_processes(engine_db) == []
    assert len(sim_calls(sim_bin)) == 1


def test_parallel_limits_and_dependencies(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                          tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, execution={"max_parallel": 8})
    bulk = [task(f"O{i}", f"SIM: delay=0.3\nSIM: write o{i}.txt <<<{i}\\n>>>", type="bulk", priority="P3")
            for i in range(3)]  # fmt: skip
    chain = [
        task("C1", "SIM: delay=0.3\nSIM: write c1.txt <<<1\\n>>>"),
        task("C2", "SIM: write c2.txt <<<2\\n>>>", depends_on=["C1"]),
    ]
    plan = import_spec(config, tmp_path, [bulk + chain])
    assert Executor(config, plan, parallel=3).run().status == "done", dump()
    runs = list(Run.select().order_by(Run.started_at))
    events = sorted([(r.started_at, 1) for r in runs] + [(r.finished_at, -1) for r in runs])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    assert peak <= 3  # --parallel 3
    local = sorted((r.started_at, r.finished_at) for r in runs if r.provider == "opencode")
    assert len(local) == 3
    assert all(b[0] >= a[1] for a, b in pairwise(local))  # opencode max_parallel 1
    c1 = Run.select().join(Task).where(Task.code == "C1").get()
    c2 = Run.select().join(Task).where(Task.code == "C2").get()
    assert c2.started_at >= c1.finished_at  # depends_on
