"""Start-up time of the everyday commands against a bare ``python -c pass``.

Run: ``python bench/cli_startup.py [--runs N] [--tasks N]``.

Sets up a private ``CONVERGIO_HOME`` (the shipped configuration, a database holding one
plan of ``--tasks`` tasks imported with ``convergio plan import``, fresh provider health
rows so ``health`` reads its cache and never starts a provider CLI), then times each
command round-robin: every round runs ``python -c pass`` and each command once, so a
change in the machine's load hits them all alike. Prints each command's median and p90
wall time and its ratio to the baseline's median of the same run, the same for CPU time
(user + system, steadier on a busy machine), then which heavy libraries each imported.
Commands run through the installed ``convergio`` console script, as a user runs them;
``python -m convergio_tui --help`` is shown too.
Bytecode is written (under the temporary folder) in the warm-up round, as an installed
package has it.

The ``edited config`` row gives the configuration a new comment every run, so its cache
never matches: what the first run after an edit costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HEAVY = ("pydantic", "peewee", "yaml", "textual", "rich", "httpx", "cryptography", "psutil")
TYPES = ("coding", "research", "review", "test", "docs", "bulk")
PRIORITIES = ("P0", "P1", "P2", "P3")
PROBE = """\
import atexit, sys
def dump():
    with open(sys.argv[1], "w") as out:
        out.write(" ".join(m for m in {heavy!r} if m in sys.modules))
atexit.register(dump)
from convergio_tui.cli import main
main(sys.argv[2:])
"""


def convergio_script() -> str:
    """The installed console script beside this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("convergio")
    if not script.exists():
        found = shutil.which("convergio")
        if found is None:
            sys.exit("the convergio console script is not installed (pip install -e .)")
        return found
    return str(script)


def write_plan(path: Path, project: Path, tasks: int) -> None:
    """A plan spec of ``tasks`` tasks in waves of 100."""
    waves: list[dict[str, object]] = []
    for n in range(tasks):
        if n % 100 == 0:
            waves.append({"name": f"wave {len(waves) + 1}", "tasks": []})
        task = {"code": f"T{n:04d}", "title": f"Task number {n}", "type": TYPES[n % len(TYPES)],
                "priority": PRIORITIES[n % 4], "prompt": f"Change module_{n}.py; add tests."}  # fmt: skip
        waves[-1]["tasks"].append(task)  # type: ignore[attr-defined]
    spec = {"name": "bench-startup", "project": str(project), "waves": waves}
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def seed_health(env: dict[str, str], config: Config) -> None:
    """Fresh ``up`` rows for every provider, so ``health`` reads them (offline)."""
    code = (
        "import sys, time\n"
        "from convergio_tui.store.db import open_database\n"
        "from convergio_tui.store.models import ProviderHealth\n"
        "open_database(sys.argv[1])\n"
        "for name in sys.argv[2:]:\n"
        "    ProviderHealth.replace(provider=name, state='up', latency_ms=10.0,\n"
        "        checked_at=time.time(), consecutive_failures=0, detail='ok').execute()\n"
    )
    subprocess.run([sys.executable, "-c", code, env["CONVERGIO_DB"], *config.providers],
                   env=env, check=True)  # fmt: skip


class Config:
    """The bench's configuration file: the shipped one, health cached for a day."""

    def __init__(self, home: Path) -> None:
        from convergio_tui.paths import shipped_config_path

        data = yaml.safe_load(shipped_config_path().read_text(encoding="utf-8"))
        data.setdefault("health", {})["ttl_s"] = 86_400
        self.providers = [n for n, p in data["providers"].items() if p.get("enabled", True)]
        self.text = yaml.safe_dump(data, sort_keys=False)
        self.path = home / "orchestrator.yaml"
        self.path.write_text(self.text, encoding="utf-8")
        self.edited = home / "edited.yaml"
        self.edits = 0

    def edit(self) -> None:
        """Give the edited copy new content (a new comment): its cache cannot match."""
        self.edits += 1
        self.edited.write_text(f"{self.text}# edit {self.edits}\n", encoding="utf-8")


def setup(root: Path, tasks: int) -> tuple[dict[str, str], Config, str]:
    """Home, configuration, database and plan; returns the environment, config, plan id."""
    home, project = root / "home", root / "project"
    home.mkdir()
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    env = {**os.environ, "CONVERGIO_HOME": str(home), "CONVERGIO_DB": str(home / "bench.db")}
    for name in ("CONVERGIO_CONFIG", "NO_COLOR", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    # Compiled once, in the warm-up round, as an installed package is: without bytecode
    # every run would compile the package again. Kept out of the source tree.
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    config = Config(home)
    config.edit()
    spec = root / "plan.yaml"
    write_plan(spec, project, tasks)
    done = subprocess.run([convergio_script(), "plan", "import", str(spec)], env=env, cwd=root,
                          capture_output=True, text=True, check=True)  # fmt: skip
    seed_health(env, config)
    return env, config, done.stdout.strip()


def commands(config: Config, plan_id: str, tasks: int) -> dict[str, list[str]]:
    """Name -> the arguments given to ``convergio``."""
    return {
        "--help": ["--help"],
        "budget --json": ["budget", "--json"],
        "health": ["health"],
        "route": ["route", "--type", "coding", "--priority", "P1"],
        f"plan show ({tasks})": ["plan", "show", plan_id],
        "run --dry-run": ["run", plan_id, "--dry-run"],
        "budget, edited config": ["--config", str(config.edited), "budget", "--json"],
    }


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of ``argv``, which must
    succeed. CPU time moves less than wall time when other work shares the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   check=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def imported(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Which of :data:`HEAVY` running ``convergio ARGS`` imports."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), out.name, *args],
                       env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)  # fmt: skip
        return out.read().strip() or "-"


def main() -> None:
    """Set up, measure round-robin and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as tmp:
        root = Path(tmp)
        env, config, plan_id = setup(root, args.tasks)
        script = convergio_script()
        argvs = {"python -c pass": [sys.executable, "-c", "pass"]}
        argvs["python -m convergio_tui --help"] = [sys.executable, "-m", "convergio_tui", "--help"]
        cmds = commands(config, plan_id, args.tasks)
        argvs.update({f"convergio {name}": [script, *argv] for name, argv in cmds.items()})
        times: dict[str, list[float]] = {name: [] for name in argvs}
        cpu: dict[str, list[float]] = {name: [] for name in argvs}
        for round_ in range(args.runs + 1):  # round 0 warms up (and fills any cache)
            for name, argv in argvs.items():
                if "edited config" in name:
                    config.edit()
                elapsed, used = timed(argv, env, root)
                if round_:
                    times[name].append(elapsed)
                    cpu[name].append(used)
        base = statistics.median(times["python -c pass"])
        cpu_base = statistics.median(cpu["python -c pass"])
        print(f"{args.runs} interleaved runs, plan of {args.tasks} tasks, Python "
              f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'command':<34} {'median':>9} {'p90':>9} {'ratio':>6} {'cpu':>8} {'ratio':>6}"
              "  imports")  # fmt: skip
        for name, values in times.items():
            ordered = sorted(values)
            p90 = ordered[int(0.9 * (len(ordered) - 1))]
            median = statistics.median(values)
            used = statistics.median(cpu[name])
            short = name.removeprefix("convergio ")
            if "edited config" in name:
                config.edit()
            mods = imported(cmds[short], env, root) if short in cmds else ""
            if name.endswith("convergio_tui --help"):
                mods = imported(["--help"], env, root)
            print(f"{name:<34} {median * 1000:7.1f}ms {p90 * 1000:7.1f}ms {median / base:5.1f}x "
                  f"{used * 1000:6.1f}ms {used / cpu_base:5.1f}x  {mods}")  # fmt: skip


if __name__ == "__main__":
    main()
