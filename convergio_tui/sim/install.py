"""Install launchers named like the real agent CLIs, pointing at the simulator.

Test and demo instrument (convergio-sim). ``install_sim_bin(tmp_path / "bin")`` writes
``claude``, ``copilot``, ``gemini`` and ``opencode`` executables; prepend the directory
to ``PATH`` and the engine runs the simulator exactly as it would run the real tools.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from convergio_tui.sim.cli_args import NAMES

# The directory that holds the ``convergio_tui`` package, embedded in every launcher so
# it imports the simulator whatever the cwd or the installed packages are.
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _python_code(name: str, env: Mapping[str, str]) -> str:
    lines = ["import os, sys", f"sys.path.insert(0, {str(_PACKAGE_PARENT)!r})"]
    lines += [f"os.environ.setdefault({key!r}, {value!r})" for key, value in env.items()]
    lines += [
        "from convergio_tui.sim.agent import main",
        f"sys.exit(main(sys.argv[1:], name={name!r}))",
    ]
    return "\n".join(lines) + "\n"


def launcher_text(name: str, env: Mapping[str, str] | None = None) -> str:
    """The launcher script for one simulated tool (a Python script, or sh if needed)."""
    code = _python_code(name, env or {})
    exe = sys.executable
    if " " in exe or len(exe) > 200:
        # A shebang cannot hold spaces and is length-limited: go through sh instead.
        return f'#!/bin/sh\nexec {shlex.quote(exe)} -c {shlex.quote(code)} "$@"\n'
    header = f"#!{exe}\n# {name}: simulated agent CLI [convergio-sim], a test and demo instrument\n"
    return header + code


def install_sim_bin(
    directory: Path,
    names: Iterable[str] = NAMES,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Write one executable launcher per name into ``directory`` and return it.

    ``env`` holds defaults (``CONVERGIO_SIM_*``) baked into the launchers; variables
    already set in a run's environment win over them.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name not in NAMES:
            raise ValueError(f"no simulator for {name!r}; known: {', '.join(NAMES)}")
        path = directory / name
        path.write_text(launcher_text(name, env), encoding="utf-8")
        path.chmod(0o755)
    return directory


def sim_path_env(
    directory: Path, base_env: Mapping[str, str] | None = None, **sim: str
) -> dict[str, str]:
    """A copy of ``base_env`` (default ``os.environ``) with ``directory`` first on PATH.

    Keyword arguments set simulator variables: ``sim_path_env(d, MODE="fail")`` sets
    ``CONVERGIO_SIM_MODE=fail``.
    """
    env = dict(os.environ if base_env is None else base_env)
    env["PATH"] = os.pathsep.join([str(directory), env.get("PATH", "")])
    for key, value in sim.items():
        env[f"CONVERGIO_SIM_{key.upper()}"] = value
    return env
