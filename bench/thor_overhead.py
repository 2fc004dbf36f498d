"""Thor's own time per task review, excluding the commands it runs.

Run: ``python bench/thor_overhead.py [--tasks N] [--files F] [--lines L]``. Builds a
throw-away git project and database under a temporary directory, then for each of N
tasks makes a worktree, commits F changed files of L lines (plus a test), and runs
``review_task`` (gates 1–4, 8, 9) with trivial configured commands (``true``) so their
cost is visible and subtracted. Finally merges everything and runs ``review_wave`` once.

Prints, per task review: wall time, time in configured commands, Thor's own time (wall
minus commands), and how much of that own time is spent waiting for git.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost",
}  # fmt: skip
RULES = 'forbidden:\n  - {pattern: "\\\\bprint\\\\(", message: use logging}\nmax_file_lines: 800\n'


def git(cwd: Path, *args: str) -> None:
    """Run git quietly; raise on failure."""
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=ENV,
                   check=True, capture_output=True)  # fmt: skip


def module(name: str, lines: int) -> str:
    """A plausible Python module of ``lines`` lines."""
    body = [
        f'"""Module {name}."""',
        "",
        "import logging",
        "",
        "LOG = logging.getLogger(__name__)",
        "",
    ]
    i = 0
    while len(body) < lines:
        body += [
            f"def {name}_{i}(x: int) -> int:",
            f'    """Step {i}."""',
            f"    return x + {i}",
            "",
        ]
        i += 1
    return "\n".join(body[:lines]) + "\n"


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--lines", type=int, default=120)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="thor-bench-"))
    os.environ["CONVERGIO_HOME"] = str(root / "home")
    try:
        measure(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(root: Path, args: argparse.Namespace) -> None:
    """Build the project under ``root``, review every task and the wave, print figures."""

    from convergio_tui import paths
    from convergio_tui.config.loader import load_config
    from convergio_tui.config.thor_schema import ThorConfig
    from convergio_tui.store.db import open_database
    from convergio_tui.store.models import Plan, Project, Task, Wave
    from convergio_tui.thor.review import TaskReviewInput, WaveReviewInput, review_task, review_wave
    from convergio_tui.thor.rounds import accept_task

    open_database(root / "bench.db")
    shipped = load_config(paths.shipped_config_path())
    config = shipped.model_copy(update={"thor": ThorConfig.model_validate({
        "lint_commands": ["true"], "test_command": "true", "build_command": "true",
        "constitution_file": "RULES.yaml",
    })})  # fmt: skip
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for i in range(20):
        (repo / "pkg").mkdir(exist_ok=True)
        (repo / "pkg" / f"base_{i}.py").write_text(module(f"base{i}", 200))
    (repo / "RULES.yaml").write_text(RULES)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    wave_branch = "convergio/1/wave-1"
    git(repo, "branch", wave_branch, "main")
    project = Project.create(name="bench", path=str(repo))
    plan = Plan.create(project=project, name="bench")
    wave = Wave.create(plan=plan, seq=1, name="w1", branch=wave_branch)

    walls, commands, own, in_git = [], [], [], []
    for n in range(args.tasks):
        code = f"T1-{n + 1:02d}"
        task = Task.create(plan=plan, wave=wave, code=code, title=code, prompt="bench",
                           type="coding", verify=["true"], files=[f"pkg/{code}_0.py"],
                           status="validating", provider="claude", model="m")  # fmt: skip
        branch = f"convergio/1/{code}"
        wt = root / "wt" / code
        git(repo, "worktree", "add", "-q", "-b", branch, str(wt), wave_branch)
        for f in range(args.files):
            (wt / "pkg" / f"{code}_{f}.py").write_text(module(f"t{n}_{f}", args.lines))
        (wt / "tests").mkdir(exist_ok=True)
        (wt / "tests" / f"test_{n}.py").write_text("def test_ok():\n    assert True\n")
        git(wt, "add", "-A")
        git(wt, "commit", "-q", "-m", f"convergio({code}): bench [round 1]")
        started = time.perf_counter()
        review = review_task(TaskReviewInput(
            task_id=task.id, run_id=None, round=1, repo=repo, worktree=wt, task_branch=branch,
            wave_branch=wave_branch, config=config, worker_success=True, worker_error="",
            result_text="",
        ))  # fmt: skip
        wall = time.perf_counter() - started
        assert review.passed, review.evidence_text
        walls.append(wall)
        own.append(review.thor_seconds)
        commands.append(wall - review.thor_seconds)
        in_git.append(review.git_seconds)
        git(repo, "worktree", "remove", "--force", str(wt))
        git(repo, "update-ref", f"refs/heads/{wave_branch}", branch)  # fast-forward merge
        accept_task(task.id)

    started = time.perf_counter()
    wave_review = review_wave(WaveReviewInput(wave.id, repo, wave_branch, "main", config))
    wave_wall = time.perf_counter() - started

    ms = 1000.0
    print(f"thor overhead: {args.tasks} task reviews, {args.files} files x {args.lines} lines "
          f"+ 1 test each; python {sys.version.split()[0]}")  # fmt: skip
    print(f"{'per task review':<34}{'median':>10}{'p90':>10}")
    for label, values in (
        ("wall time", walls),
        ("configured commands (excluded)", commands),
        ("Thor's own time", own),
        ("  of which waiting for git", in_git),
        ("  of which Python + SQLite", [o - g for o, g in zip(own, in_git, strict=True)]),
    ):
        print(f"{label:<34}{statistics.median(values) * ms:>8.1f}ms{pct(values, 0.9) * ms:>8.1f}ms")
    print(
        f"wave review ({args.tasks} tasks, 10 gates): wall {wave_wall * ms:.0f}ms, "
        f"own {wave_review.thor_seconds * ms:.0f}ms (git {wave_review.git_seconds * ms:.0f}ms), "
        f"passed={wave_review.passed}"
    )


if __name__ == "__main__":
    main()
