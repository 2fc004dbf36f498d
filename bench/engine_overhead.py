"""Engine overhead: how close the executor gets to a bare loop spawning the same command.

1,000 tasks that do nothing (the simulated ``opencode`` exiting at once, no git worktrees)
at parallel 8 through the whole engine — routing, dispatch records, budget settlement,
Thor's per-task review, acceptance — against a plain Python loop running the very same
argv, cwd and environment with 8 threads. Prints both throughputs and their ratio
(target >= 0.8). Usage: ``python bench/engine_overhead.py [--tasks N] [--parallel P]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim_workspace import sim_workspace

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.planner import import_plan
from convergio_tui.providers import get_adapter
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import open_database

PROMPT = "Nothing to do."


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


def bare_loop(argv: list[str], cwd: Path, env: dict[str, str], tasks: int, parallel: int) -> float:
    """Seconds for ``tasks`` runs of ``argv`` on ``parallel`` threads (output read, like the
    engine does, and thrown away)."""
    counter = iter(range(tasks))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           start_new_session=True, check=False)  # fmt: skip

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> int:
    """Run both sides and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp, serve_ollama() as url:
        root = Path(tmp)
        repo = sim_workspace(root)
        config = make_config(repo, url, args.parallel)
        open_database(root / "bench.db")
        plan_id = import_plan(write_plan(root, args.tasks), config)

        model = config.providers["opencode"].default_model
        inv = get_adapter("opencode").build_invocation(
            list(config.providers["opencode"].cli), PROMPT, model, repo
        )
        env = {**os.environ, **inv.env}
        env.pop("CLAUDECODE", None)
        bare_loop(inv.argv, repo, env, min(16, args.tasks), args.parallel)  # warm the page cache
        # The bare loop runs half before and half after the engine, so a change in the
        # machine's load during the run (other work on shared cores) biases neither side.
        half = args.tasks // 2
        bare = bare_loop(inv.argv, repo, env, half, args.parallel)

        started = time.perf_counter()
        summary = Executor(config, plan_id, parallel=args.parallel).run()
        engine = time.perf_counter() - started
        bare += bare_loop(inv.argv, repo, env, args.tasks - half, args.parallel)
        if summary.status != "done" or summary.done != args.tasks:
            print(f"engine did not finish the plan: {summary}", file=sys.stderr)
            return 1
    bare_rate, engine_rate = args.tasks / bare, args.tasks / engine
    print(f"tasks: {args.tasks}, parallel: {args.parallel}, cpus: {os.cpu_count()}")
    print(f"bare loop : {bare:7.2f} s  {bare_rate:7.1f} tasks/s")
    print(
        f"engine    : {engine:7.2f} s  {engine_rate:7.1f} tasks/s  (route, ledger, Thor review, accept)"
    )
    print(f"ratio     : {engine_rate / bare_rate:.3f}  (target >= 0.8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
