"""Benchmark: the diff view open on a big diff while an engine writes, as in dashboard_refresh.

    python bench/diff_view.py [--seconds 15] [--files 200] [--lines 150]

The 10,000-task plan and the writer subprocess of ``bench/dashboard_refresh.py`` (16 live
runs × 500 JSON lines/s, ~25 row changes/s), plus a git repository where the first task's
branch changes ``--files`` files of ``--lines`` lines each (30,000 lines by default: past
the view's 20,000-line bound). The task detail opens on its Diff tab and the script
prints: how long until the diff shows (read and rendered off the UI thread), the UI-thread
time of swapping it in, event-loop lag, key-to-screen latency of paging through the diff
and jumping between files (``pagedown`` and ``]``), and peak RSS.

Targets: those of dashboard_refresh (lag p99 <= 60 ms, key -> screen <= 100 ms, RSS <= 300 MB),
and the swap-in under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import RenderableType
from textual.screen import Screen

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_refresh as base  # the seeding, writer and RSS sampler


def make_repo(repo: Path, files: int, lines: int) -> None:
    """A repository on main with ``files`` Python files, and branch ``task`` rewriting them."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    repo.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    for i in range(files):
        body = "".join(f"def f{j}(x):\n    return x + {j}\n\n" for j in range(lines // 3))
        (repo / f"mod_{i:03d}.py").write_text(body)
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("branch", "wave")
    git("checkout", "-q", "-b", "task")
    for i in range(files):
        body = "".join(f"def f{j}(x):\n    return x * {j}\n\n" for j in range(lines // 3))
        (repo / f"mod_{i:03d}.py").write_text(body)
    git("add", "-A")
    git("commit", "-q", "-m", "work")
    git("checkout", "-q", "main")


def point_first_task(db: Path, repo: Path) -> int:
    """Aim the plan's project at ``repo`` and its first task at branch ``task``."""
    from convergio_tui.store.db import open_database
    from convergio_tui.store.models import Project, Task, Wave

    open_database(db, migrate_schema=False)
    Project.update(path=str(repo)).execute()
    task = Task.select().order_by(Task.id).first()
    Wave.update(branch="wave").where(Wave.id == task.wave_id).execute()
    Task.update(branch="task").where(Task.id == task.id).execute()
    return int(task.id)


async def measure(db: Path, plan_id: int, task_id: int, seconds: float) -> dict[str, list[float]]:
    """Open the diff, then page and jump through it while the writer runs."""
    from textual import events

    from convergio_tui import paths
    from convergio_tui.config.loader import load_config
    from convergio_tui.tui.app import create_app
    from convergio_tui.tui.screens.task_detail import TaskDetailScreen
    from convergio_tui.tui.testing import wait_for_main, wait_until
    from convergio_tui.tui.widgets.diff_view import DiffView

    app = create_app(db, load_config(paths.shipped_config_path()), plan_id)
    out: dict[str, list[float]] = {"shown_s": [], "swap_ms": [], "lag_ms": [], "key_ms": []}
    swap = DiffView.on_diff_view_loaded

    def timed_swap(self: DiffView, message: DiffView.Loaded) -> None:
        t0 = time.perf_counter()
        swap(self, message)
        out["swap_ms"].append((time.perf_counter() - t0) * 1000)

    DiffView.on_diff_view_loaded = timed_swap  # type: ignore[method-assign]  (bench instrumentation)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_main(pilot, timeout_s=120)
        await pilot.pause(2.0)
        detail = TaskDetailScreen(app.screen.ctx, task_id)
        started = time.perf_counter()
        app.push_screen(detail)
        await wait_until(pilot, lambda: detail.is_mounted, 30)
        view = detail.query_one(DiffView)
        await pilot.press("v")
        await wait_until(
            pilot, lambda: view.rendered is not None and bool(view.rendered.starts), 120
        )
        out["shown_s"].append(time.perf_counter() - started)
        expected = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            out["lag_ms"].append(max(0.0, now - expected[0]) * 1000)
            expected[0] = now + 0.01

        app.set_interval(0.01, beat)
        frames: list[float] = []
        display = app._display

        def record_frame(screen: Screen[object], renderable: RenderableType | None) -> None:
            if renderable is not None:
                frames.append(time.perf_counter())
            display(screen, renderable)

        app._display = record_frame  # type: ignore[method-assign]  (bench instrumentation)
        lines = view.lines
        end = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < end:
            await asyncio.sleep(0.5)
            before = (round(lines.scroll_y), lines.current_match)
            key = "right_square_bracket" if n % 3 == 2 else "pagedown"
            n += 1
            t0 = time.perf_counter()
            assert app._driver is not None
            app._driver.send_message(events.Key(key, None))
            while (round(lines.scroll_y), lines.current_match) == before:
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t0 > 2:
                    break
            moved = time.perf_counter()
            while not frames or frames[-1] < moved:
                await asyncio.sleep(0.0005)
            out["key_ms"].append((frames[-1] - t0) * 1000)
    return out


def main() -> int:
    """Seed, start the writer, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=150)
    args = parser.parse_args()
    script = str(Path(base.__file__))
    with tempfile.TemporaryDirectory(prefix="convergio-bench-") as tmp:
        os.environ["CONVERGIO_HOME"] = tmp
        db = Path(tmp) / "convergio.db"
        me = [sys.executable, script, "--db", str(db), "--tasks", "10000", "--running", "16"]
        plan_id = int(subprocess.run([*me, "--role", "seed"], check=True, capture_output=True,
                                     text=True).stdout)  # fmt: skip
        make_repo(Path(tmp) / "repo", args.files, args.lines)
        task_id = point_first_task(db, Path(tmp) / "repo")
        writer = subprocess.Popen([*me, "--role", "writer", "--plan", str(plan_id), "--rate", "500",
                                   "--seconds", str(args.seconds + 90), "--lines", "json"])  # fmt: skip
        rss = base.RssSampler()
        rss.start()
        try:
            out = asyncio.run(measure(db, plan_id, task_id, args.seconds))
        finally:
            writer.kill()
            writer.wait()
            rss.stop.set()
    changed = args.files * (args.lines // 3) * 2
    print(f"diff view benchmark: {args.files} files, {changed:,} changed lines, under the "
          f"dashboard_refresh load, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"diff shown {out['shown_s'][0]:.2f} s after opening; swap-in on the UI thread "
          f"{max(out['swap_ms']):.1f} ms")  # fmt: skip
    lag, keys = out["lag_ms"], out["key_ms"]
    rows = [("event-loop lag, median", statistics.median(lag), 20.0, "ms"),
            ("event-loop lag, p99", base.percentile(lag, 99), 60.0, "ms"),
            ("key -> screen, median", statistics.median(keys), 100.0, "ms"),
            ("key -> screen, p95", base.percentile(keys, 95), 100.0, "ms"),
            ("swap-in", max(out["swap_ms"]), 100.0, "ms"),
            ("peak RSS", rss.peak / 2**20, 300.0, "MB")]  # fmt: skip
    ok = True
    for name, value, target, unit in rows:
        met = value <= target
        ok &= met
        print(f"{name:<28}{value:>8.1f} {unit}{target:>7.0f} {unit}  {'ok' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
