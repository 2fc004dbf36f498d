"""Resume: one runner per plan; a SIGKILLed ``convergio run`` is completed by the next one
with its orphans killed, nothing done twice and nothing charged twice."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from engine_fixtures import (
    dump,
    engine_config,
    engine_config_dict,
    git,
    import_spec,
    make_repo,
    sim_calls,
    start_run,
    task,
    uid,
    write_config,
)

from convergio_tui.engine import budget
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.resume import PlanBusy
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Event, Ledger, Plan, Run, Task


def tagged(db_path: Path) -> list[int]:
    """Pids of live processes started for runs recorded in ``db_path``."""
    pids = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("CONVERGIO_RUN_TAG", "").startswith(str(db_path.resolve())):
                pids.append(proc.pid)
        except psutil.Error:
            continue
    return pids


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_second_runner_is_refused_while_the_first_lives(repo: Path, sim_bin: Path, ollama: str,
                                                        engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    holder = subprocess.Popen(["sleep", "30"])
    try:
        created = psutil.Process(holder.pid).create_time()
        Plan.update(runner_pid=holder.pid, runner_started_at=created).where(
            Plan.id == plan
        ).execute()
        with pytest.raises(PlanBusy, match=f"already being run by process {holder.pid}"):
            Executor(config, plan).run()
        assert Run.select().count() == 0
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its claim is stale and the next run takes the plan over.
    assert Executor(config, plan).run().status == "done"
    assert Plan.get_by_id(plan).runner_pid is None


@pytest.mark.parametrize("mode", ["auto", "off"])
def test_sigkilled_engine_orphan_is_killed_and_task_completes_once(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path, mode: str
) -> None:
    data = engine_config_dict(repo, ollama, sandbox={"mode": mode})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    config = engine_config(repo, ollama, sandbox={"mode": mode})
    plan = import_spec(
        config, tmp_path, [[task("T1", "Fix it.\nSIM: write a.txt <<<a\\n>>>", priority="P0")]]
    )
    engine = start_run(cfg, engine_db, plan, {"CONVERGIO_SIM_MODE": "hang"})
    wait_for(lambda: len(sim_calls(sim_bin)) == 1 and len(tagged(engine_db)) >= 2)
    orphans = tagged(engine_db)
    engine.send_signal(signal.SIGKILL)
    engine.wait()
    if mode == "auto":
        # Sandboxed: the agent's whole tree dies with the engine (--die-with-parent).
        wait_for(lambda: tagged(engine_db) == [], timeout=30)
    else:
        time.sleep(0.2)
        assert set(orphans) <= set(tagged(engine_db))  # unsandboxed, they outlive the engine

    summary = Executor(config, plan).run()  # no hang mode here: the re-run succeeds
    assert summary.status == "done", dump()
    assert tagged(engine_db) == []
    first, second = Run.select().order_by(Run.id)
    assert (first.status, first.provider, second.status) == ("interrupted", "claude", "succeeded")
    ledger = [(r.run_id, r.kind) for r in Ledger.select().order_by(Ledger.id)]
    assert ledger == [(first.id, "reserve"), (first.id, "release"), (second.id, "reserve"),
                      (second.id, "release"), (second.id, "charge")]  # fmt: skip
    assert budget.status(config.budget).reserved_usd == 0.0
    assert Event.select().where(Event.kind == "plan.recovered").count() == 1
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:a.txt") == "a\n"


def test_lost_acceptance_is_completed_not_rerun(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                                tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(
        config,
        tmp_path,
        # T2 appends: run again on a wave branch that has its first run, it still changes b.txt.
        [[task("T1", "SIM: write a.txt <<<a\\n>>>")], [task("T2", "SIM: append b.txt <<<b\\n>>>")]],
    )
    first = Executor(config, plan)
    first.run()
    # As if the engine died after Thor passed and the merge happened, before accept_task:
    Task.update(status="validating", validated_by=None).where(Task.code == "T1").execute()
    Task.update(status="pending").where(Task.code == "T2").execute()
    Plan.update(status="doing").where(Plan.id == plan).execute()
    from convergio_tui.store.models import Wave

    Wave.update(status="running").execute()
    runs_before = Run.select().count()
    assert Executor(config, plan).run().status == "done", dump()
    assert Task.get(Task.code == "T1").validated_by == "thor"
    assert Run.select().join(Task).where(Task.code == "T1").count() == 1  # not run again
    assert Run.select().count() == runs_before + 1  # only T2 ran again
    wave1 = f"convergio/{uid(plan)}/wave-1"
    assert git(repo, "log", "--merges", "--format=%s", wave1).count("Merge T1") == 1


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(sim_bin: Path, tmp_path: Path) -> None:
    """Ten trials: kill ``convergio run`` at a random moment, run it again, check the plan
    completed with every task done once, each append applied once, each run charged at most
    once, no reservation left and no process left behind."""
    rng = random.Random(20261124)
    with serve_ollama() as url:
        span = 0.0
        for trial in range(-1, 10):  # trial -1 measures how long an uninterrupted run takes
            root = tmp_path / f"trial{trial}"
            repo = make_repo(root / "repo")
            db = root / "c.db"
            cfg = write_config(root / "orchestrator.yaml", engine_config_dict(repo, url))
            config = engine_config(repo, url)
            open_database(db)
            plan = import_spec(config, root, [
                [task("A", "SIM: cost=0.01\nSIM: delay=0.1\nSIM: append log.txt <<<A\\n>>>", priority="P0"),
                 task("B", "SIM: delay=0.1\nSIM: append notes.txt <<<B\\n>>>")],
                [task("C", "SIM: append log.txt <<<C\\n>>>", type="bulk", priority="P3")],
            ])  # fmt: skip
            close_database()
            engine = start_run(cfg, db, plan)
            if trial < 0:
                started = time.monotonic()
                assert engine.wait(timeout=60) == 0
                span = time.monotonic() - started
                continue
            # Stratified over the run's whole span: every phase gets its share of kills.
            time.sleep(span * (trial + rng.random()) / 10)
            engine.send_signal(signal.SIGKILL)
            engine.wait()
            open_database(db)
            killed_at = sorted((t.code, t.status) for t in Task.select())
            print(f"trial {trial}: killed with tasks {killed_at}")  # shown with -s
            close_database()
            finisher = start_run(cfg, db, plan)
            out, err = finisher.communicate(timeout=60)
            open_database(db)
            assert finisher.returncode == 0, f"trial {trial}: {out}\n{err}\n{dump()}"
            assert {t.status for t in Task.select()} == {"done"}
            assert git(repo, "show", f"convergio/{uid(plan)}/wave-2:log.txt") == "A\nC\n"
            assert git(repo, "show", f"convergio/{uid(plan)}/wave-2:notes.txt") == "B\n"
            wave2 = f"convergio/{uid(plan)}/wave-2"
            for code in "ABC":
                merges = git(repo, "log", "--merges", "--format=%s", wave2)
                assert merges.count(f"Merge {code} ") <= 1
            charges = [r.run_id for r in Ledger.select().where(Ledger.kind == "charge")]
            assert len(charges) == len(set(charges))
            assert budget.status(config.budget).reserved_usd == 0.0
            assert sum(r.cost_usd for r in Run.select()) == pytest.approx(
                sum(r.usd for r in Ledger.select().where(Ledger.kind == "charge"))
            )
            assert not Run.select().where(Run.status == "running").exists()
            assert tagged(db) == []
            close_database()
