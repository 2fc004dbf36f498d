"""Gather the paths of one sandboxed run: the part of the sandbox that looks at the disk.

A task run may write its worktree, the git objects, its worktree's admin folder and the
one directory holding its own branch ref (a read-only run, the planner's: none of these) (task branches are ``.../<code>/work`` so that
directory holds nothing else); its provider's state; ``sandbox.writable``. It may not
read the database, the vaults, the logs, ``CONVERGIO_HOME``, the worktree root (so no
sibling's worktree) or ``sandbox.hidden``. Everything else is read-only.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from convergio_tui.sandbox.policy import Access, Mount, SandboxSpec

# A state entry with one of these endings is a file (created by the CLI itself); any
# other entry is a directory, created before the run so the CLI can write into it.
_FILE_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


@dataclass(frozen=True)
class GitScope:
    """The git locations a worktree uses: its admin folder and the common directory."""

    common: Path
    admin: Path


@dataclass(frozen=True)
class RunScope:
    """What one run needs, before it is turned into mounts.

    ``task_ref`` (``refs/heads/...``) is set when the agent may commit on its branch.
    ``protected`` are Convergio's own files (database, vaults, logs, worktree root...):
    hidden whatever the configuration says. ``writable``/``hidden`` come from the
    configuration (``~`` is the agent's ``HOME``); ``extra_writable`` are the engine's own
    per-run folders (the relay's socket).
    """

    workdir: Path
    executable: str
    path_env: str
    home: Path
    task_ref: str | None = None
    state_dirs: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    protected: tuple[Path, ...] = ()
    extra_writable: tuple[Path, ...] = ()
    network: bool = True
    # A run that may read the working directory but not write it (a planning run of
    # `convergio plan new`): the directory and its git folders are bound read-only.
    read_only: bool = False


def expand(entry: str, home: Path) -> Path:
    """``~`` and ``~/x`` against the agent's home; environment variables are not expanded."""
    if entry == "~" or entry.startswith("~/"):
        return home / entry[2:] if entry != "~" else home
    return Path(entry)


def git_scope(workdir: Path) -> GitScope | None:
    """The git admin and common directories of ``workdir`` (None when it is no checkout)."""
    marker = workdir / ".git"
    if marker.is_dir():
        return GitScope(marker.resolve(), marker.resolve())
    if not marker.is_file():
        return None
    text = marker.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    admin = (workdir / text.split(":", 1)[1].strip()).resolve()
    common_file = admin / "commondir"
    if not common_file.is_file():
        return GitScope(admin, admin)
    common = (admin / common_file.read_text().strip()).resolve()
    return GitScope(common, admin)


def _git_mounts(scope: GitScope, task_ref: str | None) -> list[Mount]:
    """Git read-only, except what a commit on ``task_ref`` writes."""
    mounts = [Mount(str(scope.common), Access.READ)]
    if scope.admin == scope.common or task_ref is None:
        return mounts
    mounts.append(Mount(str(scope.admin), Access.WRITE))
    mounts.append(Mount(str(scope.common / "objects"), Access.WRITE))
    ref_dir = os.path.dirname(task_ref)
    for base in (scope.common, scope.common / "logs"):
        folder = base / ref_dir
        folder.mkdir(parents=True, exist_ok=True)  # packed refs leave no loose folder
        mounts.append(Mount(str(folder), Access.WRITE))
    return mounts


def _executable_mounts(executable: str, path_env: str, protected: Iterable[Path]) -> list[Mount]:
    """Every ``PATH`` folder (and the CLI's real folder, for an npm symlink) stays readable
    even under a private or hidden path such as ``/tmp``: the agent's tools live there.
    A ``PATH`` entry that is itself one of Convergio's own folders is not exposed."""
    # Strings and os.path, not pathlib: this runs for every agent run and every gate
    # command, over every PATH entry.
    mine = {os.path.realpath(p) for p in protected if os.path.exists(p)}
    folders: set[str] = set()
    for entry in dict.fromkeys(path_env.split(os.pathsep)):  # a PATH often repeats folders
        if entry and os.path.isabs(entry) and os.path.isdir(entry):
            folders.add(os.path.realpath(entry))
    found = shutil.which(executable, path=path_env)
    if found is not None:
        folders.add(os.path.dirname(os.path.realpath(found)))
    return [Mount(folder, Access.READ) for folder in sorted(folders - mine)]


@functools.cache
def _runtime_mounts() -> tuple[Mount, ...]:
    """Convergio's own Python and package stay readable wherever they are installed (a
    checkout or virtualenv under ``/tmp`` included): the relay runs on them inside the
    sandbox, and so do the simulated agents of the demo and the tests. Fixed for the
    life of the process, so worked out once."""
    package_parent = Path(__file__).resolve().parents[2]
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(package_parent)}
    return tuple(
        Mount(os.path.realpath(p), Access.READ) for p in sorted(places) if os.path.isdir(p)
    )


def _state_mounts(entries: Iterable[str], home: Path) -> list[Mount]:
    mounts = []
    for entry in entries:
        path = expand(entry, home)
        if not path.name.endswith(_FILE_SUFFIXES):
            path.mkdir(parents=True, exist_ok=True)
        if os.path.exists(path):
            mounts.append(Mount(os.path.realpath(path), Access.WRITE))
    return mounts


def _hidden_mounts(paths: Iterable[Path]) -> list[Mount]:
    mounts = []
    for path in paths:
        if os.path.isdir(path):
            mounts.append(Mount(os.path.realpath(path), Access.HIDDEN_DIR))
        elif os.path.exists(path):
            mounts.append(Mount(os.path.realpath(path), Access.HIDDEN_FILE))
    return mounts


def build_spec(scope: RunScope) -> SandboxSpec:
    """The :class:`SandboxSpec` for ``scope``; paths that do not exist are left out."""
    workdir = scope.workdir.resolve()
    mounts: list[Mount] = [Mount(str(workdir), Access.READ if scope.read_only else Access.WRITE)]
    git = git_scope(workdir)
    if git is not None:
        mounts += _git_mounts(git, None if scope.read_only else scope.task_ref)
    mounts += _executable_mounts(scope.executable, scope.path_env, scope.protected)
    mounts += _runtime_mounts()
    mounts += _state_mounts(scope.state_dirs, scope.home)
    hidden = [*scope.protected, *(expand(e, scope.home) for e in scope.hidden)]
    mounts += _hidden_mounts(hidden)
    for entry in scope.writable:
        path = expand(entry, scope.home)
        if os.path.exists(path):
            mounts.append(Mount(os.path.realpath(path), Access.WRITE))
    mounts += [
        Mount(os.path.realpath(p), Access.WRITE) for p in scope.extra_writable if os.path.exists(p)
    ]
    return SandboxSpec(str(workdir), tuple(mounts), scope.network)


def protected_paths(
    home: Path, db_file: Path | None, extra: Iterable[Path] = ()
) -> tuple[Path, ...]:
    """Convergio's own files: ``CONVERGIO_HOME``, the database and its WAL/SHM, plus
    ``extra`` (vault and logs folders, the worktree root)."""
    found: list[Path] = [home, *extra]
    if db_file is not None:
        found += [db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")]
    return tuple(found)


def home_of(env: Mapping[str, str]) -> Path:
    """The agent's ``HOME`` (ours when the environment has none)."""
    return Path(env.get("HOME") or Path.home())
