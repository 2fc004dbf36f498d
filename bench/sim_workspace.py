"""Shared set-up of the benches that run the engine: a scratch Convergio home, the
simulated CLIs first on PATH (no CONVERGIO_SIM_* directive left over from the shell) and an
empty git repository as the project. Not a bench itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from convergio_tui.sim.install import install_sim_bin


def sim_workspace(root: Path) -> Path:
    """Prepare ``root`` (home, simulated CLIs, environment); return the project's repo."""
    os.environ["CONVERGIO_HOME"] = str(root / "home")
    bin_dir = install_sim_bin(root / "bin")
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    for var in [v for v in os.environ if v.startswith("CONVERGIO_SIM_")]:
        del os.environ[var]
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    return repo
