"""Engine overhead: how close the executor gets to a bare loop spawning the same command.

1,000 tasks that do nothing (the simulated ``opencode`` exiting at once, no git worktrees)
at parallel 8 through the whole engine — routing, dispatch records, budget settlement,
Thor's per-task review, acceptance — against a plain Python loop on 8 threads running the
very command the engine runs: the agent inside the sandbox and, the project being
sensitive, behind the relay (``confined``; the engine's own overhead, target >= 0.9).
A second loop runs the agent's bare argv (``plain``): engine and sandbox together. Prints
the throughputs, the ratios, the wall time per task the engine adds, and the CPU the
engine process spends per dispatch (all its threads; the agents' own CPU not counted),
which a shared machine disturbs far less than wall time.

Usage: ``python bench/engine_overhead.py [--tasks N] [--parallel P] [--rounds R]
[--backend local|ray]``. The tasks are split in ``R`` plans (default 3), each run between
two halves of the bare loops; the figures are the totals, and the confined ratio of each
round is printed with their median.
``--backend ray`` prints another table: the same plan, worktrees on, through the local
backend and through a local two-node Ray cluster (bench/ray_row.py).
A backend is one function in :data:`BACKENDS` that runs the imported plan and returns
its summary; another execution backend gets its row by adding one.
"""

from __future__ import annotations

import argparse
import compileall
import copy
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim_workspace import sim_workspace

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine.executor import Executor, RunSummary
from convergio_tui.engine.planner import import_plan
from convergio_tui.providers import Invocation, get_adapter
from convergio_tui.sandbox.confine import RunRequest, confine, relaying, run_folder
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import database_file, open_database

PROMPT = "Nothing to do."
TARGET = 0.9


@dataclass(frozen=True)
class Timed:
    """Wall seconds, this process's CPU seconds (every thread) and its children's."""

    wall: float
    cpu: float
    children: float

    def __add__(self, other: Timed) -> Timed:
        return Timed(self.wall + other.wall, self.cpu + other.cpu, self.children + other.children)


def timed(work: Callable[[], object]) -> tuple[Timed, object]:
    """Run ``work``; how long it took on the wall and on the CPU, and what it returned."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime + after.ru_stime) - (kids.ru_utime + kids.ru_stime)
    return Timed(wall, cpu, children), result


def make_config(repo: Path, ollama_url: str, parallel: int) -> Config:
    """The shipped configuration, opencode at ``parallel``, worktrees off."""
    data = copy.deepcopy(yaml.safe_load(paths.shipped_config_path().read_text()))
    data["projects"] = {"bench": {"path": str(repo), "privacy": "sensitive"}}
    data["providers"]["opencode"].update(endpoint=ollama_url, max_parallel=parallel)
    data["execution"] = {"max_parallel": parallel, "worktrees": False}
    data["health"] = {"ttl_s": 3600}
    return Config.model_validate(data)


def write_plan(where: Path, tasks: int) -> Path:
    """One wave of ``tasks`` bulk tasks."""
    spec = {
        "name": "overhead", "project": "bench",
        "waves": [{"name": "all", "tasks": [
            {"code": f"T{i:04d}", "title": "noop", "prompt": PROMPT, "type": "bulk", "priority": "P3"}
            for i in range(tasks)]}],
    }  # fmt: skip
    path = where / "plan.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def spawn(argv: list[str], cwd: Path, env: dict[str, str], stdin: str | None) -> None:
    """One run of ``argv`` fed ``stdin`` (the prompt, as the engine pipes it), output read
    (like the engine does) and thrown away."""
    subprocess.run(argv, cwd=cwd, env=env, input=(stdin or "").encode(), capture_output=True,
                   start_new_session=True, check=False)  # fmt: skip


def confined_spawner(config: Config, inv: Invocation, cwd: Path) -> Callable[[], None]:
    """One run of ``inv`` as the engine confines it: sandbox (the open database hidden,
    the run's private folder where the engine keeps its own), allow-listed environment
    (the invocation's own variables on top, as the engine adds them) and, for a sensitive
    project, the relay to the local model's endpoint."""
    seq = iter(range(10**9))

    def run() -> None:
        with run_folder(paths.run_dirs(), f"bare-{next(seq)}") as run_dir:
            confined = confine(config, RunRequest(
                provider="opencode", argv=inv.argv, workdir=cwd, privacy="sensitive",
                run_dir=run_dir, invocation_env=dict(inv.env), db_file=database_file(),
            ))  # fmt: skip
            with relaying(confined):
                spawn(confined.argv, cwd, confined.env, inv.stdin_text)

    return run


def bare_loop(run: Callable[[], None], tasks: int, parallel: int) -> None:
    """``tasks`` calls of ``run`` on ``parallel`` threads."""
    counter = iter(range(tasks))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            run()

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_local(config: Config, plan_id: int, parallel: int) -> RunSummary:
    """The engine on this machine (``execution.backend: local``)."""
    return Executor(config, plan_id, parallel=parallel).run()


# One row per execution backend: runs the imported plan, returns its summary.
BACKENDS: dict[str, Callable[[Config, int, int], RunSummary]] = {"local": run_local}


def report(tasks: int, parallel: int, backend: str, bares: dict[str, Timed], engine: Timed) -> None:
    """Print the figures."""
    ms = 1000.0 / tasks
    print(f"tasks: {tasks}, parallel: {parallel}, cpus: {os.cpu_count()}, backend: {backend}")
    for name, bare in bares.items():
        print(f"bare {name:9s}: {bare.wall:7.2f} s  {tasks / bare.wall:7.1f} tasks/s  "
              f"cpu/task {bare.cpu * ms:5.1f} ms")  # fmt: skip
    print(f"engine        : {engine.wall:7.2f} s  {tasks / engine.wall:7.1f} tasks/s  "
          f"cpu/dispatch {engine.cpu * ms:5.1f} ms  (route, ledger, Thor review, accept)")  # fmt: skip
    for name, bare in bares.items():
        target = f"  (target >= {TARGET})" if name == "confined" else ""
        print(f"vs {name:9s}: ratio {bare.wall / engine.wall:.3f}, "
              f"{(engine.wall - bare.wall) * ms:6.2f} ms wall and "
              f"{(engine.cpu - bare.cpu) * ms:5.1f} ms CPU per task over the loop's{target}")  # fmt: skip


def main() -> int:
    """Run both sides and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--backend", choices=[*sorted(BACKENDS), "ray"], default="local")
    parser.add_argument("--rounds", type=int, default=3, help="plans the tasks are split in")
    args = parser.parse_args()
    args.rounds = max(1, min(args.rounds, args.tasks))
    # The agents (the simulated CLIs and the relay, both Python) run where the package is
    # read-only: without a bytecode cache every run would compile it again, as an
    # installed package never does, and that cost would pad both sides.
    compileall.compile_dir(Path(paths.__file__).parent, quiet=1)
    if args.backend == "ray":
        return ray_main(args.tasks, args.parallel)
    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp, serve_ollama() as url:
        root = Path(tmp)
        repo = sim_workspace(root)
        config = make_config(repo, url, args.parallel)
        open_database(root / "bench.db")
        # The tasks in ``--rounds`` plans, each run between two halves of the bare loops,
        # so a change in the machine's load (other work on shared cores) biases neither
        # side and one slow stretch shows in one round, not in the whole figure.
        sizes = [args.tasks // args.rounds + (i < args.tasks % args.rounds)
                 for i in range(args.rounds)]  # fmt: skip
        plans = []
        for i, size in enumerate(sizes):
            (root / f"plan-{i}").mkdir()
            plans.append(import_plan(write_plan(root / f"plan-{i}", size), config))

        model = config.providers["opencode"].default_model
        inv = get_adapter("opencode").build_invocation(
            list(config.providers["opencode"].cli), PROMPT, model, repo
        )
        env = {**os.environ, **inv.env}
        env.pop("CLAUDECODE", None)

        runners = {
            "confined": confined_spawner(config, inv, repo),
            "plain": partial(spawn, inv.argv, repo, env, inv.stdin_text),
        }

        def bare_run(name: str, n: int) -> Timed:
            return timed(lambda: bare_loop(runners[name], n, args.parallel))[0]

        for name in runners:
            bare_run(name, min(16, args.tasks))  # warm the page cache
        zero = Timed(0.0, 0.0, 0.0)
        bares, engine, rounds = dict.fromkeys(runners, zero), zero, []
        for plan_id, size in zip(plans, sizes, strict=True):
            half = size // 2
            before = {name: bare_run(name, half) for name in runners}
            spent, summary = timed(partial(BACKENDS[args.backend], config, plan_id, args.parallel))
            after = {name: bare_run(name, size - half) for name in runners}
            assert isinstance(summary, RunSummary)
            if summary.status != "done" or summary.done != size:
                print(f"engine did not finish the plan: {summary}", file=sys.stderr)
                return 1
            for name in runners:
                bares[name] += before[name] + after[name]
            engine += spent
            rounds.append((before["confined"] + after["confined"]).wall / spent.wall)
    report(args.tasks, args.parallel, args.backend, bares, engine)
    if len(rounds) > 1:
        each = ", ".join(f"{r:.3f}" for r in rounds)
        print(f"vs confined by round: {each}  (median {statistics.median(rounds):.3f})")
    return 0


def ray_main(tasks: int, parallel: int) -> int:
    """``--backend ray``: local and ray backends side by side, worktrees on (bench/ray_row.py)."""
    from ray_row import compare

    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp, serve_ollama() as url:
        root = Path(tmp)
        repo = sim_workspace(root)
        config = make_config(repo, url, parallel)
        open_database(root / "bench.db")
        return compare(config, root, repo, tasks, parallel, timed)


if __name__ == "__main__":
    raise SystemExit(main())
