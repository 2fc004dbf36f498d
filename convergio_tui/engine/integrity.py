"""After every run, check what the agent could have touched but must not have.

Taken before and after the run, outside the agent's reach: the repository's refs, the
main checkout (HEAD, index, files), the hooks and git config, the worktrees of sibling
tasks that were idle meanwhile, and which branch the task's own worktree is on. Any
difference the engine did not make itself fails the run; refs and hooks/config files are
put back. With the sandbox on this never fires (those paths are read-only or hidden);
with ``sandbox.mode: off`` it is the only guard, which is why unsandboxed runs are
serialised: then every change in a run's window is the agent's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import settled
from convergio_tui.engine import gitops

CONFIG_FILES = ("config", "config.worktree", "info/attributes")


@dataclass(frozen=True)
class Snapshot:
    """What the integrity check compares; file contents are kept to restore them."""

    refs: dict[str, str]
    main: str  # fingerprint of the main checkout: HEAD, index, changed files
    hooks: dict[str, tuple[bool, bytes]]  # name -> (executable, content)
    configs: dict[str, bytes | None]
    siblings: dict[str, str] = field(default_factory=dict)  # worktree -> fingerprint
    own_head: str | None = None  # the symbolic ref of the task's worktree


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _file_bytes(path: Path) -> bytes:
    try:
        if path.is_symlink():
            return b"link:" + os.readlink(path).encode()
        return path.read_bytes() if path.is_file() else b"dir"
    except OSError:
        return b"unreadable"


def _is_content(data: bytes) -> bool:
    """Whether ``_file_bytes`` read a regular file (not one of its markers)."""
    return data not in (b"dir", b"unreadable") and not data.startswith(b"link:")


def checkout_fingerprint(path: Path) -> str:
    """HEAD (symbolic and commit), the index and every changed or untracked file's bytes.

    Read only: ``git status`` would otherwise refresh the index under its lock, and a
    commit made meanwhile in that checkout (the user's, an agent's) would fail on it."""
    head = gitops.git(
        path, "rev-parse", "-q", "--verify", "HEAD", check=False, read_only=True
    ).stdout
    symbolic = gitops.git(path, "symbolic-ref", "-q", "HEAD", check=False, read_only=True).stdout
    index = gitops.git(path, "ls-files", "-s", "-z", check=False, read_only=True).stdout
    status = gitops.git(
        path, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules",
        check=False, read_only=True,
    ).stdout  # fmt: skip
    contents = [_file_bytes(path / entry[3:]) for entry in status.split("\0") if len(entry) > 3]
    return _digest(head.encode(), symbolic.encode(), index.encode(), status.encode(), *contents)


def _read_refs(repo: Path) -> dict[str, str]:
    out = gitops.git(repo, "for-each-ref", "--format=%(refname)%00%(objectname)", check=False)
    refs = {}
    for line in out.stdout.splitlines():
        name, _, oid = line.partition("\0")
        refs[name] = oid
    return refs


def _refs(repo: Path, common: Path) -> dict[str, str]:
    """Every ref of ``repo``: git's answer, given again while the files holding the refs
    are unchanged (:mod:`convergio_tui.settled`). Only for a repository whose ``.git`` is its
    common directory: a linked worktree keeps refs of its own elsewhere."""
    if not _own_git_dir(repo, common):
        return _read_refs(repo)
    roots = [str(common / name) for name in ("packed-refs", "refs", "reftable")]
    return settled.cached(roots, lambda: _read_refs(repo), dict)


def _own_git_dir(repo: Path, common: Path) -> bool:
    """Whether ``repo/.git`` is a folder and the git common directory itself."""
    dot_git = repo / ".git"
    try:
        return dot_git.is_dir() and os.path.samestat(os.stat(dot_git), os.stat(common))
    except OSError:
        return False


def _hooks_dir(common: Path) -> Path:
    return common / "hooks"


def _read_hooks(folder: Path) -> dict[str, tuple[bool, bytes]]:
    if not folder.is_dir():
        return {}
    return {e.name: (os.access(e, os.X_OK), _file_bytes(e)) for e in sorted(folder.iterdir())}


def _config_paths(common: Path, admin: Path | None) -> list[Path]:
    places = [common / name for name in CONFIG_FILES]
    if admin is not None and admin != common:
        places.append(admin / "config.worktree")
    return places


def _read_configs(places: list[Path]) -> dict[str, bytes | None]:
    return {str(path): path.read_bytes() if path.is_file() else None for path in places}


Guarded = tuple[dict[str, tuple[bool, bytes]], dict[str, bytes | None]]


def _hooks_and_configs(common: Path, admin: Path | None) -> Guarded:
    """Each hook's executable bit and bytes, and the git config files' bytes: read again
    only when a file under ``hooks/`` or one of the config files changed
    (:mod:`convergio_tui.settled`)."""
    folder = _hooks_dir(common)
    places = _config_paths(common, admin)

    def read() -> Guarded:
        return _read_hooks(folder), _read_configs(places)

    def copy(found: Guarded) -> Guarded:
        return dict(found[0]), dict(found[1])

    return settled.cached([str(folder), *map(str, places)], read, copy)


_COMMON: dict[tuple[str, tuple[int, int, int]], Path] = {}  # (repo, .git's stat) -> dir


def common_dir(repo: Path) -> Path:
    """The repository's git common directory. Asked of git once per repository and
    ``.git`` (a snapshot is taken twice per run): a ``.git`` replaced or re-pointed has
    another inode or mtime and is asked again."""
    try:
        st = (repo / ".git").lstat()
        key: tuple[str, tuple[int, int, int]] | None = (
            str(repo),
            (st.st_dev, st.st_ino, st.st_mtime_ns),
        )
    except OSError:
        key = None
    if key is not None and key in _COMMON:
        return _COMMON[key]
    out = gitops.git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout
    found = Path(out.strip())
    if key is not None:
        _COMMON[key] = found
    return found


def take(repo: Path, worktree: Path | None, siblings: Iterable[Path]) -> Snapshot:
    """Snapshot ``repo`` around a run in ``worktree`` (None: the run used the checkout
    itself) with the idle ``siblings`` worktrees."""
    common = common_dir(repo)
    admin = None
    own_head = None
    if worktree is not None and worktree != repo:
        admin = Path(
            gitops.git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").stdout.strip()
        )
        own_head = gitops.git(worktree, "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    hooks, configs = _hooks_and_configs(common, admin)
    return Snapshot(
        refs=_refs(repo, common),
        main=checkout_fingerprint(repo) if worktree != repo else "",
        hooks=hooks,
        configs=configs,
        siblings={str(p): checkout_fingerprint(p) for p in siblings if (p / ".git").exists()},
        own_head=own_head or None,
    )


RefAllowed = Callable[[str, str | None, str | None], bool]


def compare(
    before: Snapshot, after: Snapshot, own_ref: str | None, allowed: RefAllowed
) -> list[str]:
    """What changed that the agent must not have changed, one finding per line. Pure.

    ``allowed(ref, old, new)`` says whether the engine (or a sibling that was running)
    may have moved ``ref``; the task's own ``own_ref`` may always move.
    """
    findings = []
    for ref in sorted(set(before.refs) | set(after.refs)):
        old, new = before.refs.get(ref), after.refs.get(ref)
        if old == new or ref == own_ref or allowed(ref, old, new):
            continue
        if old is None:
            findings.append(f"ref {ref} was created at {new}")
        elif new is None:
            findings.append(f"ref {ref} was deleted (was {old})")
        else:
            findings.append(f"ref {ref} moved from {old} to {new}")
    if before.main != after.main:
        findings.append("the main checkout changed (HEAD, index or files)")
    for name in sorted(set(before.hooks) | set(after.hooks)):
        if before.hooks.get(name) != after.hooks.get(name):
            verb = "planted" if name not in before.hooks else "changed"
            findings.append(f"git hook {name} was {verb}")
    for path in sorted(set(before.configs) | set(after.configs)):
        if before.configs.get(path) != after.configs.get(path):
            findings.append(f"git config file {path} changed")
    for path in sorted(before.siblings):
        if after.siblings.get(path) != before.siblings[path]:
            findings.append(f"sibling worktree {path} changed")
    if before.own_head != after.own_head:
        findings.append(
            f"the task's worktree left its branch: {before.own_head} -> {after.own_head}"
        )
    return findings


def restore(
    repo: Path, before: Snapshot, after: Snapshot, keep: Callable[[str], bool]
) -> list[str]:
    """Put back every ref ``keep`` does not accept, and the hooks and config files.
    Returns what was restored."""
    done = []
    for ref in sorted(set(before.refs) | set(after.refs)):
        old, new = before.refs.get(ref), after.refs.get(ref)
        if old == new or keep(ref):
            continue
        if old is None:
            gitops.git(repo, "update-ref", "-d", ref, check=False)
            done.append(f"deleted {ref}")
        else:
            gitops.git(repo, "update-ref", ref, old, check=False)
            done.append(f"reset {ref} to {old[:12]}")
    common = common_dir(repo)
    for name in set(before.hooks) | set(after.hooks):
        if before.hooks.get(name) == after.hooks.get(name):
            continue
        path = _hooks_dir(common) / name
        saved = before.hooks.get(name)
        if saved is None:
            path.unlink(missing_ok=True)
            done.append(f"removed hook {name}")
        elif _is_content(saved[1]) and (path.is_symlink() or not path.is_dir()):
            executable, content = saved
            path.unlink(missing_ok=True)  # never write through whatever stands there now
            path.write_bytes(content)
            path.chmod(0o755 if executable else 0o644)
            done.append(f"restored hook {name}")
    for key in set(before.configs) | set(after.configs):
        saved_config = before.configs.get(key)
        if saved_config == after.configs.get(key):
            continue
        if saved_config is None:
            Path(key).unlink(missing_ok=True)
        else:
            Path(key).write_bytes(saved_config)
        done.append(f"restored {key}")
    return done
