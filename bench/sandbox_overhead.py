"""The sandbox's start-up cost per agent run: a no-op agent (``true``) started through the
shared runner, unsandboxed and inside the bubblewrap sandbox the engine builds for a task
(a real git worktree, its branch folder, provider state, hidden paths), and through the
relay a sensitive run adds. Prints median and p95 per variant and the overhead.

    python bench/sandbox_overhead.py [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.loader import load_config
from convergio_tui.providers import run_process
from convergio_tui.sandbox.confine import RunRequest, confine, relaying
from convergio_tui.sandbox.relay import HostRelay


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _time(runs: int, start: object) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        start()  # type: ignore[operator]
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp:
        root = Path(tmp)
        os.environ["CONVERGIO_HOME"] = str(root / "home")
        os.environ["HOME"] = str(root / "user")
        repo = root / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        (repo / "a.txt").write_text("a\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "init")
        worktree = root / "wt" / "1" / "T1"
        _git(repo, "worktree", "add", "-q", "-b", "convergio/1/T1/work", str(worktree))
        config = load_config(paths.shipped_config_path())
        run_dir = root / "home" / "run" / "1"
        run_dir.mkdir(parents=True)

        def request(privacy: str) -> RunRequest:
            return RunRequest(
                provider="opencode", argv=["true"], workdir=worktree, privacy=privacy,
                run_dir=run_dir, task_ref="refs/heads/convergio/1/T1/work",
                db_file=root / "home" / "convergio.db",
            )  # fmt: skip

        def bare() -> None:
            run_process(["true"], cwd=worktree, env=dict(os.environ), timeout_s=30, log_path=None)

        def sandboxed() -> None:
            confined = confine(config, request("internal"))
            run_process(confined.argv, cwd=worktree, env=confined.env, timeout_s=30, log_path=None)

        def sensitive() -> None:
            confined = confine(config, request("sensitive"))
            with relaying(confined):
                run_process(
                    confined.argv, cwd=worktree, env=confined.env, timeout_s=30, log_path=None
                )

        with HostRelay("127.0.0.1", 9, root / "unused.sock"):
            pass  # import and warm the relay once
        results = {}
        for name, start in (("unsandboxed", bare), ("sandboxed", sandboxed),
                            ("sensitive (no network, relay)", sensitive)):  # fmt: skip
            _time(5, start)  # warm-up
            results[name] = _time(runs, start)
    base = statistics.median(results["unsandboxed"])
    print(f"{runs} runs of a no-op agent through the runner (ms):")
    for name, samples in results.items():
        med, p95 = statistics.median(samples), _percentile(samples, 95)
        extra = f"   overhead median {med - base:+.1f}" if name != "unsandboxed" else ""
        print(f"  {name:<30} median {med:6.1f}   p95 {p95:6.1f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
