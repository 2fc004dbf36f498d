"""Plans run on a real local Ray cluster (``execution.backend: ray``, docs/cluster.md):
two or more nodes with different resources, started by ``ray.cluster_utils.Cluster``; the
simulated agents; the real sandbox on each node; the ledger, Thor and SQLite here.

Marked ``ray``: not in the default run (``pytest``), run by ``scripts/test`` on its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import ray  # scripts/test installs the ray extra: a missing Ray fails, never skips
from engine_fixtures import (
    dump,
    engine_config,
    engine_config_dict,
    git,
    import_spec,
    start_run,
    task,
    uid,
    write_config,
)
from ray.cluster_utils import Cluster

from convergio_tui.engine.context import run_tag
from convergio_tui.engine.executor import Executor
from convergio_tui.sim.install import install_sim_bin
from convergio_tui.store.models import Ledger, Run, Task
from convergio_tui.store.queries.costs import reservations_in_flight
from convergio_tui.store.states import TASK_CANCELLABLE, TaskStatus
from convergio_tui.store.transitions import move_task

pytestmark = pytest.mark.ray


@dataclass
class RayCluster:
    cluster: Cluster
    sim_log: Path
    head: Any
    local: Any  # the node trusted with sensitive work: opencode and privacy:local

    def node_name(self, node: Any) -> str:
        return str(node.node_id)[:8]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    """Head: claude and copilot. Second node: opencode and privacy:local. Their workers
    inherit the simulated agents on PATH and the sim log."""
    base = tmp_path_factory.mktemp("ray")
    bin_dir = install_sim_bin(base / "bin")
    sim_log = base / "sim-log" / "sim.jsonl"
    sim_log.parent.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        mp.setenv("CONVERGIO_SIM_LOG", str(sim_log))
        mp.setenv("HOME", str(base / "user-home"))
        for var in list(os.environ):
            if (var.startswith("CONVERGIO_SIM_") and var != "CONVERGIO_SIM_LOG") or var.startswith(
                "ANTHROPIC_"
            ):
                mp.delenv(var)
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "include_dashboard": False,
            "resources": {"provider:claude": 2, "provider:copilot": 2},
        })  # fmt: skip
        local = cluster.add_node(num_cpus=1, resources={"provider:opencode": 2, "privacy:local": 1})
        try:
            yield RayCluster(cluster, sim_log, cluster.head_node, local)
        finally:
            ray.shutdown()
            cluster.shutdown()


@pytest.fixture
def on_cluster(
    ray_cluster: RayCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> RayCluster:
    """This test's coordinator sees the same simulated agents as the nodes."""
    monkeypatch.setenv("PATH", os.environ["PATH"])  # restored after the test
    monkeypatch.setenv("CONVERGIO_SIM_LOG", str(ray_cluster.sim_log))
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    bin_dir = install_sim_bin(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return ray_cluster


def ray_config(repo: Path, ollama: str, cluster: RayCluster, **sections: Any) -> Any:
    execution = {"backend": "ray", "ray": {"address": cluster.cluster.address}}
    return engine_config(repo, ollama, execution=execution, **sections)


def runs_of(code: str) -> list[Run]:
    return list(Run.select().join(Task).where(Task.code == code).order_by(Run.id))


def wait_for_output(code: str, timeout_s: float = 120) -> Run:
    """The first run of task ``code`` once a node has taken it and its agent's first line
    is in the run log here."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = runs_of(code)
        if rows and rows[0].node and "[out] " in Path(rows[0].log_path).read_text():
            return rows[0]
        time.sleep(0.2)
    raise AssertionError(dump())


def test_tasks_needing_providers_on_different_nodes_complete(
    on_cluster: RayCluster, repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = ray_config(repo, ollama, on_cluster)
    plan = import_spec(config, tmp_path, [[
        task("T1", "SIM: write a.txt <<<from claude\\n>>>\nSIM: lines=3", provider="claude"),
        task("T2", "SIM: write b.txt <<<from opencode\\n>>>\nSIM: lines=3", provider="opencode"),
    ]])  # fmt: skip
    summary = Executor(config, plan).run()
    assert summary.status == "done", dump()

    (t1,), (t2,) = runs_of("T1"), runs_of("T2")
    head, local = on_cluster.node_name(on_cluster.head), on_cluster.node_name(on_cluster.local)
    assert t1.provider == "claude" and t1.node.endswith(head) and t1.pid is None
    assert t2.provider == "opencode" and t2.node.endswith(local)
    # The work came back and was merged into the wave branch, here.
    wave = f"convergio/{uid(plan)}/wave-1"
    assert git(repo, "show", f"{wave}:a.txt") == "from claude\n"
    assert git(repo, "show", f"{wave}:b.txt") == "from opencode\n"
    # Each run's log, written here from what its node streamed, reads like a local one.
    log = Path(t1.log_path).read_text()
    assert log.startswith("[convergio] $ claude") and "[sandboxed]" in log.splitlines()[0]
    assert "[out] " in log and "exit code 0" in log


def test_a_sensitive_task_only_runs_on_the_privacy_local_node(
    on_cluster: RayCluster, repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = ray_config(repo, ollama, on_cluster)
    plan = import_spec(config, tmp_path, [[
        task(f"S{i}", f"SIM: write s{i}.txt <<<secret {i}\\n>>>", privacy="sensitive")
        for i in range(3)
    ]])  # fmt: skip
    summary = Executor(config, plan).run()
    assert summary.status == "done", dump()
    runs = list(Run.select())
    local = on_cluster.node_name(on_cluster.local)
    assert runs and all(r.provider == "opencode" and r.node.endswith(local) for r in runs)


def test_a_run_whose_node_dies_runs_again_elsewhere_and_is_charged_once(
    on_cluster: RayCluster, repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    cluster = on_cluster.cluster
    spare = [cluster.add_node(num_cpus=1, resources={"provider:gemini": 1}) for _ in range(2)]
    try:
        config = ray_config(repo, ollama, on_cluster)
        plan = import_spec(config, tmp_path, [[
            task("G1", "SIM: write g.txt <<<gemini\\n>>>\nSIM: lines=12 delay=12 cost=0.5",
                 provider="gemini"),
        ]])  # fmt: skip
        executor = Executor(config, plan)
        thread = executor.start()

        # Live: the agent's lines reach the run log here while the run is still going.
        first = wait_for_output("G1")
        assert Run.get_by_id(first.id).status == "running"
        victim = next(n for n in spare if first.node.endswith(str(n.node_id)[:8]))
        cluster.remove_node(victim, allow_graceful=False)

        thread.join(240)
        assert not thread.is_alive() and executor.error is None, executor.error
        assert executor.summary is not None and executor.summary.status == "done", dump()
        lost, again = runs_of("G1")
        assert lost.status == "interrupted" and lost.error_class == "node_lost"
        survivor = next(n for n in spare if n is not victim)
        assert again.status == "succeeded" and again.node.endswith(str(survivor.node_id)[:8])
        # Nothing charged twice: the lost run's reservation was released, not charged.
        charges = list(Ledger.select().where(Ledger.kind == "charge"))
        assert [c.run_id for c in charges] == [again.id], [(c.run_id, c.usd) for c in charges]
        assert lost.cost_usd == 0.0
        assert Task.get(Task.code == "G1").status == "done"
    finally:
        for node in spare:
            if node in cluster.list_all_nodes():
                cluster.remove_node(node)
        # Later tests read the cluster's nodes: wait until Ray reports these ones dead.
        ids = {str(n.node_id) for n in spare}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            n["NodeID"] in ids and n["Alive"] for n in ray.nodes()
        ):
            time.sleep(0.2)


def test_health_lists_the_nodes_and_what_each_offers(
    on_cluster: RayCluster, repo: Path, ollama: str, tmp_path: Path
) -> None:
    data = engine_config_dict(repo, ollama)
    data["execution"].update(backend="ray", ray={"address": on_cluster.cluster.address})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    proc = subprocess.run(
        [sys.executable, "-m", "convergio_tui", "--config", str(cfg), "--db",
         str(tmp_path / "c.db"), "health"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("cluster    ray ") and "node(s) alive" in line for line in lines)
    head = next(line for line in lines if on_cluster.node_name(on_cluster.head) in line)
    local = next(line for line in lines if on_cluster.node_name(on_cluster.local) in line)
    assert "claude×2 copilot×2" in head and "privacy:local" not in head
    assert "opencode×2 privacy:local" in local
    assert "  not offered by any live node: gemini" in lines


def test_a_killed_coordinator_resumes_and_runs_the_lost_run_again(
    on_cluster: RayCluster, repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    data = engine_config_dict(repo, ollama)
    data["execution"].update(backend="ray", ray={"address": on_cluster.cluster.address})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    config = engine_config(repo, ollama, execution=data["execution"])
    plan = import_spec(config, tmp_path, [[
        task("K1", "SIM: write k.txt <<<k\\n>>>\nSIM: lines=10 delay=10 cost=0.25",
             provider="claude"),
    ]])  # fmt: skip
    first = start_run(cfg, engine_db, plan)
    try:
        wait_for_output("K1")
    finally:
        first.kill()  # kill -9: no cleanup of any kind
        first.wait(30)

    second = start_run(cfg, engine_db, plan)
    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, out + err
    lost, again = runs_of("K1")
    assert lost.status == "interrupted" and again.status == "succeeded"
    charges = list(Ledger.select().where(Ledger.kind == "charge"))
    assert [c.run_id for c in charges] == [again.id]  # the lost run was not charged
    assert Task.get(Task.code == "K1").status == "done"
    assert git(repo, "show", f"convergio/{uid(plan)}/wave-1:k.txt") == "k\n"


def _tagged(tag: str) -> list[int]:
    """Processes on this machine (the test cluster's nodes are here too) of one run."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("CONVERGIO_RUN_TAG") == tag:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def test_cancelling_a_task_stops_its_agent_on_the_node_merges_nothing_and_charges_once(
    on_cluster: RayCluster, repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = ray_config(repo, ollama, on_cluster)
    plan = import_spec(config, tmp_path, [[
        task("C1", "SIM: write c.txt <<<never\\n>>>\nSIM: lines=2\nSIM: mode=hang",
             provider="claude"),
    ]])  # fmt: skip
    executor = Executor(config, plan)
    thread = executor.start()
    try:
        run = wait_for_output("C1")
        tag = run_tag(run.id)
        assert _tagged(tag), "the agent should be running on its node"
        # As a person cancelling from another machine would: only the status changes here,
        # nothing local is killed; the engine must stop the run on its node.
        task_id = Task.get(Task.code == "C1").id
        assert move_task(task_id, TaskStatus.CANCELLED, frm=TASK_CANCELLABLE)
        deadline = time.monotonic() + 60
        while Run.get_by_id(run.id).status == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Run.get_by_id(run.id).status == "cancelled", dump()
        deadline = time.monotonic() + 30
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _tagged(tag), "the agent outlived its cancelled run"
    finally:
        executor.stop(60)
        thread.join(60)
    branch = f"convergio/{uid(plan)}/C1/work"
    assert "c.txt" not in git(repo, "ls-tree", "-r", "--name-only", branch)
    # The agent ran (on claude, a premium provider) before it was stopped: its run is
    # charged once, as a local cancelled run is, within what it reserved; nothing is held.
    charges = list(Ledger.select().where(Ledger.kind == "charge"))
    reserved = Ledger.get(Ledger.kind == "reserve", Ledger.run == run.id).usd
    assert [c.run_id for c in charges] == [run.id] and 0 < charges[0].usd <= reserved
    assert reservations_in_flight() == ()
