"""The ``ray`` row of bench/engine_overhead.py: the same no-op plan through the engine with
``execution.backend: ray`` on a local two-node cluster, against the local backend, both
with worktrees on (a run goes to a node only from its own branch: the bundle out, the
node's own repository and worktree, the work back). Not a bench by itself.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from convergio_tui.config.schema import Config
from convergio_tui.engine.executor import Executor, RunSummary
from convergio_tui.engine.planner import import_plan

# Ray keeps about num_cpus idle workers per node: with fewer CPUs than runs it starts
# and stops worker processes all the time (each one imports Ray and Convergio).
NODE = {"num_cpus": 8, "resources": {"provider:opencode": 8, "privacy:local": 1}}


def with_worktrees(config: Config, root: Path, backend: str, address: str | None) -> Config:
    """``config`` with worktrees on under ``root`` and the given backend."""
    data = copy.deepcopy(config.model_dump(mode="json"))
    data["execution"].update(worktrees=True, worktree_root=str(root / "wt"), backend=backend)
    if address is not None:
        data["execution"]["ray"] = {"address": address}
    return Config.model_validate(data)


def first_commit(repo: Path) -> None:
    """Worktrees branch from the base branch: give the empty repository its first commit."""
    (repo / "README.md").write_text("# bench\n")
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x.invalid",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "bench"], check=True, env=env)


def write_plan(where: Path, tasks: int) -> Path:
    """One wave of ``tasks`` trivial tasks, each writing its own small file: with
    worktrees on, Thor accepts a bulk task only when it changed something, and the file is
    the work that travels back from the node and is merged into the wave branch."""
    spec = {
        "name": "overhead", "project": "bench",
        "waves": [{"name": "all", "tasks": [
            {"code": f"T{i:04d}", "title": "one file", "type": "bulk", "priority": "P3",
             "prompt": f"SIM: write out/T{i:04d}.txt <<<{i}\\n>>>"}
            for i in range(tasks)]}],
    }  # fmt: skip
    path = where / "plan-files.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def compare(config: Config, root: Path, repo: Path, tasks: int, parallel: int,
            timed: Callable[[Callable[[], object]], tuple[object, object]]) -> int:  # fmt: skip
    """Run the plan on the local backend and on a local two-node Ray cluster; print both."""
    try:
        import ray
        from ray.cluster_utils import Cluster
    except ImportError:
        print("the ray row needs Ray: pip install 'convergio-tui[ray]'", file=sys.stderr)
        return 2
    first_commit(repo)
    plan_file = write_plan(root, tasks)
    rows: dict[str, tuple[object, RunSummary]] = {}
    local = with_worktrees(config, root / "local", "local", None)
    plan = import_plan(plan_file, local)
    took, summary = timed(lambda: Executor(local, plan, parallel=parallel).run())
    rows["local"] = (took, summary)  # type: ignore[assignment]
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    cluster.add_node(**NODE)
    try:
        remote = with_worktrees(config, root / "ray", "ray", cluster.address)
        plan = import_plan(plan_file, remote)
        took, summary = timed(lambda: Executor(remote, plan, parallel=parallel).run())
        rows["ray"] = (took, summary)  # type: ignore[assignment]
    finally:
        ray.shutdown()
        cluster.shutdown()
    print(f"backends, worktrees on: {tasks} tasks, parallel {parallel}, ray on a local "
          "two-node cluster (each node: provider:opencode x8, privacy:local)")  # fmt: skip
    for name, (took, summary) in rows.items():
        wall, cpu = took.wall, took.cpu  # type: ignore[attr-defined]
        state = (
            ""
            if summary.status == "done"
            else f"  NOT DONE: {summary.status} {summary.waiting[:3]}"
        )
        print(f"{name:6s}: {wall:7.2f} s  {tasks / wall:6.1f} tasks/s  "
              f"coordinator cpu/dispatch {cpu * 1000 / tasks:6.1f} ms{state}")  # fmt: skip
    local_wall, ray_wall = rows["local"][0].wall, rows["ray"][0].wall  # type: ignore[attr-defined]
    print(f"ray / local throughput: {local_wall / ray_wall:.3f}")
    return 0 if all(s.status == "done" for _, s in rows.values()) else 1
