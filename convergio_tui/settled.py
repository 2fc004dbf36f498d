"""Answers about a few files, reused while those files are provably unchanged.

Two users. The integrity check reads the repository's refs (``git for-each-ref``) and its
hooks before and after every run (:func:`cached`: everything below a few folders). Thor's
toolchain detection reads a project's marker files and lists a few of its folders on every
review (:func:`remembered`: exactly the paths it looked at, a folder without what is
below it).
What either gets depends only on those files: for the integrity check, the loose refs
under ``refs/``, ``packed-refs`` and ``reftable/`` and the files under ``hooks/``; for
detection, the files it read or found absent and the folders it listed (a folder's mtime
moves when an entry is added, removed or renamed). So an answer is kept with the state of
those files — for each one its mode, inode, size, mtime and
ctime — and given again while a fresh look finds every one of them as it was. Any write
to a file moves its ctime (which no process can set back); replacing it (as git writes
refs) changes its inode; a file created or deleted adds or removes an entry.

An answer is only kept when it cannot be wrong: every file last changed well before the
look (one changed in the same clock tick as the look could change again without its
ctime moving); below the integrity check's folders, no symbolic link (its target could
change unseen) and at most :data:`MAX_FILES` files (beyond that reading them is as cheap
as looking at them).

The limit of every answer kept by file times (git's index has the same): a change that
moves no time is not seen. Two are known. A file written through a shared memory map
moves its times at the first write to a clean page, not at every write, until the
kernel writes the page back (about 30 s); and a link into a pseudo file system
(``/proc``) may name content that changes with no time moving. Neither is how a person
edits a project or git writes refs; an agent's writes to the repository's own files are
what the sandbox keeps read-only.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

MAX_FILES = 256
SETTLED_S = 2.0  # a file changed more recently than this is not trusted to show a change

Entry = tuple[str, int, int, int, int, int]  # path, mode, inode, size, mtime, ctime (ns)
Signature = tuple[Entry, ...]

_lock = threading.Lock()
_known: dict[tuple[str, ...], tuple[Signature, Any]] = {}  # roots -> (their state, answer)
# key -> (the paths the answer was read from, their state, the answer)
_looked: dict[str, tuple[tuple[str, ...], Signature, Any]] = {}


def signature(roots: Sequence[str], at: float) -> Signature | None:
    """The state of ``roots`` and every file and folder below them (an absent one is
    part of it), or None when it cannot vouch for them: too many, a symbolic link, one
    changed within ``SETTLED_S`` of ``at``."""
    settled = (at - SETTLED_S) * 1e9
    found: list[Entry] = []
    pending = list(roots)
    while pending:
        path = pending.pop()
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            found.append((path, 0, 0, 0, 0, 0))
            continue
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode) or max(st.st_ctime_ns, st.st_mtime_ns) >= settled:
            return None
        found.append(_entry(path, st))
        if len(found) > MAX_FILES:
            return None
        if stat.S_ISDIR(st.st_mode):
            try:
                with os.scandir(path) as entries:
                    pending.extend(e.path for e in entries)
            except OSError:
                return None
    return tuple(sorted(found))


def look(paths: Iterable[str], at: float) -> Signature | None:
    """The state of each of ``paths`` as it is now (a folder's own entry, not what is
    below it; an absent one is part of it), or None when it cannot vouch for them: one
    changed within ``SETTLED_S`` of ``at``. A symbolic link stands with its target's
    state too (a file named through a venv's ``bin/python`` link is read through it)."""
    settled = (at - SETTLED_S) * 1e9
    found: list[Entry] = []
    for path in paths:
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                found.append(_entry(path, st))
                st = os.stat(path)  # the target's; a dangling link raises
        except FileNotFoundError:
            found.append((path, 0, 0, 0, 0, 0))
            continue
        except OSError:
            return None
        if max(st.st_ctime_ns, st.st_mtime_ns) >= settled:
            return None
        found.append(_entry(path, st))
    return tuple(found)


def _entry(path: str, st: os.stat_result) -> Entry:
    return (path, st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def cached(roots: Sequence[str], compute: Callable[[], T], copy: Callable[[T], T]) -> T:
    """``compute()``, or a ``copy`` of its last answer for ``roots`` while the files
    under them are provably as they were when it was computed."""
    key = tuple(roots)
    seen = signature(key, time.time())
    if seen is not None:
        with _lock:
            known = _known.get(key)
        if known is not None and known[0] == seen:
            return copy(known[1])
    answer = compute()  # after the look: a change meanwhile shows in the next look
    if seen is not None:
        with _lock:
            _known[key] = (seen, copy(answer))
    return answer


def remembered(
    key: str, compute: Callable[[], tuple[T, Iterable[str]]], copy: Callable[[T], T]
) -> T:
    """``compute()``'s answer, or a ``copy`` of the last one kept under ``key`` while every
    path it was read from (``compute`` returns them with the answer) is provably as it was
    (:func:`look`)."""
    with _lock:
        known = _looked.get(key)
    if known is not None and look(known[0], time.time()) == known[1]:
        return copy(known[2])
    at = time.time()  # before reading: a change from here on keeps the answer from being kept
    answer, paths = compute()
    looked_at = tuple(paths)
    seen = look(looked_at, at)
    if seen is not None:
        with _lock:
            _looked[key] = (looked_at, seen, copy(answer))
    return answer
