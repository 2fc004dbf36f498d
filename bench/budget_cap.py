"""The cap under load: many parallel premium tasks with random real costs against a small
daily cap, through the whole engine with the simulated CLIs (claude honours
``--max-budget-usd`` as the real one does: it stops after the call that crosses it).

Prints the spend against the cap, the peak of spend plus outstanding reservations (replayed
from the ledger in order), where the tasks went and how many runs overran.
Usage: ``python bench/budget_cap.py [--tasks N] [--parallel P] [--cap USD] [--seed S]``.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim_workspace import sim_workspace

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine import budget
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.planner import import_plan
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import open_database
from convergio_tui.store.models import Event, Ledger, Run


def make_config(repo: Path, ollama_url: str, parallel: int, cap: float) -> Config:
    """The shipped configuration with a public project, worktrees off, a ``cap`` $/day."""
    data = copy.deepcopy(yaml.safe_load(paths.shipped_config_path().read_text()))
    data["projects"] = {"bench": {"path": str(repo), "privacy": "public"}}
    data["providers"]["opencode"]["endpoint"] = ollama_url
    for provider in data["providers"].values():
        provider["max_parallel"] = parallel
        provider["env_pass"] = [*provider.get("env_pass", []), "CONVERGIO_SIM_*"]
    data["execution"] = {"max_parallel": parallel, "worktrees": False}
    data["health"] = {"ttl_s": 3600}
    data["budget"] = {**data.get("budget", {}), "max_premium_per_day": cap}
    return Config.model_validate(data)


def write_plan(where: Path, tasks: int, rng: random.Random) -> Path:
    """One wave of P0 coding tasks, each costing a random amount over a few model calls."""
    rows = []
    for i in range(tasks):
        cost, calls = round(rng.uniform(0.05, 4.0), 3), rng.randint(1, 6)
        agent = {"provider": "gemini"} if i % 4 == 3 else {}  # no hard limit: may overrun
        rows.append({"code": f"T{i:03d}", "title": "work", "type": "coding", "priority": "P0",
                     "prompt": f"Do it.\nSIM: cost={cost} calls={calls}", **agent})  # fmt: skip
    path = where / "plan.yaml"
    path.write_text(yaml.safe_dump({"name": "cap", "project": "bench",
                                    "waves": [{"name": "all", "tasks": rows}]}))  # fmt: skip
    return path


def peak_committed() -> float:
    """The highest spend + outstanding reservations at any moment, replaying the ledger."""
    spent = held = peak = 0.0
    for row in Ledger.select().where(Ledger.premium == True).order_by(Ledger.id):  # noqa: E712
        if row.kind == "reserve":
            held += row.usd
        elif row.kind == "release":
            held -= row.usd
        elif row.kind == "charge":
            spent += row.usd
        peak = max(peak, spent + held)
    return peak


def main() -> int:
    """Run the plan and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--cap", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp, serve_ollama() as url:
        root = Path(tmp)
        repo = sim_workspace(root)
        config = make_config(repo, url, args.parallel, args.cap)
        open_database(root / "bench.db")
        plan_id = import_plan(write_plan(root, args.tasks, rng), config)
        started = time.perf_counter()
        summary = Executor(config, plan_id, parallel=args.parallel).run()
        seconds = time.perf_counter() - started
        status = budget.status(config.budget)
        by_provider = Counter(r.provider for r in Run.select())
        overruns = Event.select().where(Event.kind == "budget.overrun").count()
        print(f"tasks: {args.tasks}, parallel: {args.parallel}, cap: ${args.cap:.2f}, "
              f"seed: {args.seed}, {seconds:.1f} s, plan {summary.status}")  # fmt: skip
        print(f"premium spent      : ${status.spent_usd:.4f} ({status.pct:.1f}% of the cap)")
        print(f"peak spent+reserved: ${peak_committed():.4f}")
        print(f"runs by provider   : {dict(sorted(by_provider.items()))}")
        print(f"overruns recorded  : {overruns}")
        return 0 if status.spent_usd <= args.cap + 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
