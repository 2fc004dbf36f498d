"""Lay out a demo home: project, simulated agents, configuration, database and plan.

One demo at a time per ``$CONVERGIO_HOME``: a demo holds ``$CONVERGIO_HOME/demo.lock``
(an advisory lock the kernel lets go of when the process ends, however it ends) for as
long as it runs, and a second one is refused instead of deleting the first one's folder
under it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from convergio_tui import paths
from convergio_tui.demo.plan import DEMO_CAP_USD, DEMO_WORST_CASES, demo_plan
from convergio_tui.demo.project import create_project

MARKER = ".convergio-demo"
LOCK = "demo.lock"  # beside the demo folder, which is deleted and made again


@dataclass(frozen=True)
class DemoSetup:
    """Where the demo's pieces live."""

    root: Path
    home: Path
    project: Path
    bin_dir: Path
    config_path: Path
    db_path: Path
    spec_path: Path


class DemoFolderError(Exception):
    """The demo folder is taken by something that is not a previous demo."""


class DemoBusy(Exception):
    """Another ``convergio demo`` is running on the same demo folder."""


@contextlib.contextmanager
def demo_claim(root: Path | None = None) -> Iterator[None]:
    """Hold the demo folder for as long as the ``with`` block runs; :class:`DemoBusy`
    when another live process holds it (nothing is touched then)."""
    root = root or demo_root()
    lock = paths.private_dir(root.parent) / LOCK
    # O_CLOEXEC: the agents the demo starts must not inherit (and so keep) the lock.
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, paths.PRIVATE_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoBusy(_busy_message(root, os.pread(fd, 200, 0))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {time.time():.0f}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # lets go of the lock


def _busy_message(root: Path, holder: bytes) -> str:
    """Who holds the demo, as far as the lock file says."""
    pid, _, started = holder.decode(errors="replace").strip().partition(" ")
    who = f"process {pid}" if pid.isdigit() else "another process"
    if started.isdigit():
        who += f", started {time.strftime('%H:%M:%S', time.localtime(int(started)))}"
    return (
        f"another convergio demo is running in {root} ({who}); wait for it to finish or "
        f"quit it, or give this one its own CONVERGIO_HOME"
    )


def demo_root() -> Path:
    """``$CONVERGIO_HOME/demo`` — everything the demo writes stays below it."""
    return paths.home_dir() / "demo"


def reset_root(root: Path) -> None:
    """Remove a previous demo at ``root``; refuse to delete anything that is not one."""
    if root.exists():
        if not (root / MARKER).is_file():
            raise DemoFolderError(f"{root} exists and is not a Convergio demo folder; move it away")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("Throw-away folder of `convergio demo`; recreated on each run.\n")


def demo_config(project: Path, home: Path, ollama_url: str) -> dict[str, Any]:
    """The shipped configuration, pointed at the demo project and a low premium cap."""
    data: dict[str, Any] = yaml.safe_load(paths.shipped_config_path().read_text())
    data["providers"]["opencode"]["endpoint"] = ollama_url
    for provider in data["providers"].values():
        provider["timeout_s"] = 120
    # public: each task declares its own privacy, and a plan may only raise it.
    data["projects"] = {"demo": {"path": str(project), "privacy": "public"}}
    data["budget"]["max_premium_per_day"] = DEMO_CAP_USD
    for (provider, model_id), (run_usd, call_usd) in DEMO_WORST_CASES.items():
        for model in data["providers"][provider]["models"]:
            if model["id"] == model_id:
                model.update(max_run_usd=run_usd, max_call_usd=call_usd)
    data["health"]["ttl_s"] = 30
    # The story ends with approving T3-02, whose test fails: a detected test command
    # (docs/thor.md) would fail the last wave over it. Tasks check their own `verify`.
    data["thor"]["test_command"] = None
    # The simulated agents have no credentials to prove (and the demo stays offline): their
    # `--version` is their login check (docs/providers/health.md).
    for name in ("claude", "copilot", "gemini"):
        data["providers"][name]["auth_check"] = [name, "--version"]
    data["execution"]["max_parallel"] = 4
    data["execution"]["worktree_root"] = str(home / "worktrees")
    # copilot keeps its tokens and AI credits in its session log (COPILOT_HOME), not on
    # stdout: the simulated one writes it there, in the demo, never in your ~/.copilot.
    data["sandbox"]["writable"] = [*data["sandbox"].get("writable", []), str(copilot_home(home))]
    # The simulated agents are ours, so the demo still runs where no sandbox can be made
    # (a fresh machine without bubblewrap): unsandboxed, and the header says so.
    from convergio_tui.sandbox.available import unavailable_reason

    data["sandbox"]["mode"] = "auto" if unavailable_reason() is None else "off"
    return data


def copilot_home(home: Path) -> Path:
    """The demo's ``COPILOT_HOME``, beside its Convergio home (which agents cannot see)."""
    return home.parent / "copilot-home"


def build_demo(ollama_url: str, root: Path | None = None) -> DemoSetup:
    """Create a fresh demo under ``root`` (default ``$CONVERGIO_HOME/demo``)."""
    from convergio_tui.sim.install import install_sim_bin

    root = root or demo_root()
    reset_root(root)
    home = root / "home"
    home.mkdir()
    copilot_home(home).mkdir()
    project = create_project(root / "project")
    bin_dir = install_sim_bin(root / "bin")
    config_path = root / "orchestrator.yaml"
    header = "# Generated by `convergio demo`: simulated agents, a $2.00 cap. Safe to delete.\n"
    config_path.write_text(
        header + yaml.safe_dump(demo_config(project, home, ollama_url), sort_keys=False)
    )
    spec_path = root / "plan.yaml"
    spec_path.write_text(yaml.safe_dump(demo_plan("demo"), sort_keys=False, width=1000))
    return DemoSetup(root, home, project, bin_dir, config_path, home / "convergio.db", spec_path)


def activate(setup: DemoSetup) -> None:
    """Point this process at the demo: its home, and the simulated agents first on PATH."""
    os.environ["CONVERGIO_HOME"] = str(setup.home)
    os.environ["COPILOT_HOME"] = str(copilot_home(setup.home))
    os.environ["PATH"] = f"{setup.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
