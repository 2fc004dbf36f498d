"""Deleting under a root without following a symlink out of it.

Agents run with the user's rights beside the directories Convergio deletes (task
worktrees, Thor's scratch checkouts). A symlink planted at such a path, or at one of its
parents, would turn a cleanup into ``rm -rf`` of user data. So nothing is deleted unless
``path`` is strictly inside ``root`` with no symlink between them; the deletion itself
walks down from the root with ``O_NOFOLLOW`` directory descriptors, so a symlink swapped
in after the check fails the walk instead of being followed.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class UnsafePathError(RuntimeError):
    """A path to delete is a symlink, is reached through one, or is outside its root."""


def check_inside(path: Path, root: Path) -> Path:
    """Return ``path`` below the real ``root``; raise :class:`UnsafePathError` unless it is
    strictly inside ``root`` and neither it nor any directory between them is a symlink.

    ``root`` itself may be a symlink (it is configuration, not something an agent made).
    ``path`` need not exist; only its existing parts are checked.
    """
    if ".." in Path(path).parts:
        raise UnsafePathError(f"refusing {path}: '..' in a path to delete")
    real_root = Path(os.path.realpath(root))
    absolute = Path(os.path.abspath(path))
    rel: Path | None = None
    for base in (Path(os.path.abspath(root)), real_root):
        if absolute.is_relative_to(base):
            rel = absolute.relative_to(base)
            break
    if rel is None or not rel.parts:
        raise UnsafePathError(f"refusing {path}: not strictly inside {real_root}")
    current = real_root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePathError(
                f"refusing {path}: {current} is a symbolic link to {os.readlink(current)}"
            )
    real = Path(os.path.realpath(current))
    if real == real_root or not real.is_relative_to(real_root):
        raise UnsafePathError(f"refusing {path}: it resolves to {real}, outside {real_root}")
    return current


def safe_rmtree(path: Path, root: Path, *, ignore_errors: bool = False) -> None:
    """Delete ``path`` (a directory tree or a file) if :func:`check_inside` allows it.

    A missing ``path`` is not an error. ``ignore_errors`` skips entries that cannot be
    removed (as ``shutil.rmtree``); a refusal is always raised.
    """
    real = check_inside(path, root)
    if not shutil.rmtree.avoids_symlink_attacks:  # no *at() calls here: checked, then path
        if real.exists() and not real.is_symlink():
            shutil.rmtree(real, ignore_errors=ignore_errors)
        return
    real_root = os.path.realpath(root)
    parts = real.relative_to(real_root).parts
    try:
        fd = os.open(real_root, _DIR_FLAGS)
    except FileNotFoundError:
        return
    try:
        for part in parts[:-1]:
            child = _open_child(fd, part, path)
            os.close(fd)
            fd = child
        mode = os.lstat(parts[-1], dir_fd=fd).st_mode
        if stat.S_ISLNK(mode):
            raise UnsafePathError(f"refusing {path}: it became a symbolic link")
        if stat.S_ISDIR(mode):
            shutil.rmtree(parts[-1], dir_fd=fd, ignore_errors=ignore_errors)
        else:
            os.unlink(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return  # already gone (or a parent is): nothing to delete
    finally:
        os.close(fd)


def _open_child(fd: int, name: str, path: Path) -> int:
    """Open directory ``name`` under ``fd`` without following a symlink."""
    try:
        return os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePathError(f"refusing {path}: {name} became a symbolic link") from exc
        raise


def remove_empty_dir(path: Path, root: Path) -> bool:
    """Remove ``path`` if it is an empty directory strictly inside ``root``; never raises
    for a non-empty, missing or unsafe directory (returns False then)."""
    try:
        real = check_inside(path, root)
        real.rmdir()
    except (UnsafePathError, OSError):
        return False
    return True
