"""Who made a branch or a worktree: the engine touches only what its own database and plan
created (docs/worktrees.md).

Two records, both outside every agent's reach except where noted:

- the plan's **namespace claim**, ``<git common dir>/convergio-owners/<plan uid>``, made
  (exclusively) before the plan's first branch: every ``refs/heads/convergio/<uid>/...``
  belongs to the database and plan written in it;
- a **worktree marker**, ``<the worktree's git admin dir>/convergio-owner``, written right
  after ``git worktree add``: database, plan and task. (The admin dir is writable by the
  task's own agent: it can only make its own worktree look foreign, which blocks it.)

A worktree with no marker is ours only when it is checked out on our own task branch
(inside our claimed namespace): an engine killed between ``worktree add`` and the marker,
or a worktree made before markers existed. Anything else is refused with
:class:`NotOwned` before a single file or ref is touched.

The first part (``Owner``, marker text, :func:`judge`) is pure; the rest reads and writes
the two files.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

MARKER_FILE = "convergio-owner"
CLAIMS_DIR = "convergio-owners"
_HEADER = "convergio-owner 1"


class NotOwned(RuntimeError):
    """A branch namespace or worktree exists but another database or plan made it (or
    nobody we know of did); nothing was touched. The message says what to do."""


@dataclass(frozen=True)
class Owner:
    """A database and one of its plans: who may touch ``convergio/<plan>/...``."""

    database: str
    plan: str  # the plan's uid: the namespace segment of its branches and worktrees


@dataclass(frozen=True)
class Marker:
    """What an ownership record says."""

    database: str
    plan: str
    task: str = ""


# -- pure -------------------------------------------------------------------------------


def marker_text(owner: Owner, task: str = "") -> str:
    """The text of a claim (``task`` empty) or of a task worktree's marker."""
    lines = [_HEADER, f"database={owner.database}", f"plan={owner.plan}"]
    if task:
        lines.append(f"task={task}")
    return "\n".join(lines) + "\n"


def parse_marker(text: str) -> Marker | None:
    """The record in ``text``, or None when it is not one of ours (or is damaged)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != _HEADER:
        return None
    fields = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    database, plan = fields.get("database", "").strip(), fields.get("plan", "").strip()
    if not database or not plan:
        return None
    return Marker(database, plan, fields.get("task", "").strip())


def judge(marker: Marker | None, owner: Owner, task: str = "") -> bool | None:
    """True: the record is ``owner``'s (and ``task``'s); False: someone else's; None: no
    valid record at all (the caller decides whether the evidence makes it ours)."""
    if marker is None:
        return None
    return (marker.database, marker.plan, marker.task) == (owner.database, owner.plan, task)


def describe(marker: Marker | None) -> str:
    """Who a record names, for an error message."""
    if marker is None:
        return "no Convergio database we know of"
    who = f"plan {marker.plan} of Convergio database {marker.database}"
    return f"task {marker.task} of {who}" if marker.task else who


# -- reading and writing the records ---------------------------------------------------


def _read_small(path: Path) -> str:
    """The start of a small regular file ("" when missing, a symlink or unreadable)."""
    try:
        if path.is_symlink() or not path.is_file():
            return ""
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(4096)
    except OSError:
        return ""


def _read(path: Path) -> Marker | None:
    return parse_marker(_read_small(path))


def _write_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` unless it exists; True when this call created it.

    Written to a private temporary file first and then hard-linked into place, so a
    reader (another thread or engine claiming the same name) never sees it half-written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def claim_file(common_dir: Path, plan: str) -> Path:
    """Where the namespace claim of ``plan`` lives in a repository's common git dir."""
    return common_dir / CLAIMS_DIR / plan


def claim_namespace(common_dir: Path, owner: Owner) -> None:
    """Claim ``convergio/<plan>/`` in this repository for ``owner`` (idempotent).

    Raises :class:`NotOwned` when another database or plan claimed it first.
    """
    path = claim_file(common_dir, owner.plan)
    path.parent.mkdir(exist_ok=True)
    if _write_exclusive(path, marker_text(owner)):
        return
    found = _read(path)
    if judge(found, owner) is not True:
        raise NotOwned(
            f"branches convergio/{owner.plan}/ in {common_dir.parent} belong to "
            f"{describe(found)}, not to this one ({owner.database}); they are left "
            f"untouched. Run this plan from the database that made them, or delete those "
            f"branches and {path} if they are no longer wanted"
        )


def namespace_is_ours(common_dir: Path, owner: Owner) -> bool:
    """Whether ``owner`` holds the claim of its namespace (no claim: False)."""
    return judge(_read(claim_file(common_dir, owner.plan)), owner) is True


def admin_dir(worktree: Path) -> Path | None:
    """The git admin dir a linked worktree's ``.git`` file points to (None: not one)."""
    text = _read_small(worktree / ".git").strip()
    if not text.startswith("gitdir:"):
        return None
    return (worktree / text.split(":", 1)[1].strip()).resolve()


def worktree_marker(worktree: Path) -> Marker | None:
    """The ownership marker of ``worktree``, if it has a valid one."""
    admin = admin_dir(worktree)
    return None if admin is None else _read(admin / MARKER_FILE)


def stamp_worktree(worktree: Path, owner: Owner, task: str) -> None:
    """Write our marker into the worktree's admin dir (replacing a missing or damaged one;
    the caller has decided the worktree is ours)."""
    admin = admin_dir(worktree)
    if admin is None:
        raise NotOwned(f"{worktree} is not a linked git worktree; cannot mark it")
    tmp = admin / f".{MARKER_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(marker_text(owner, task))
    os.replace(tmp, admin / MARKER_FILE)  # replaces a symlink itself, never its target


def require_worktree(worktree: Path, owner: Owner, task: str, *, adopt: bool,
                     found_on: str = "") -> None:  # fmt: skip
    """Refuse (:class:`NotOwned`) a worktree that is not ``owner``'s for ``task``.

    ``adopt``: the caller found the worktree on our own task branch inside our claimed
    namespace, so a worktree with no valid marker is ours (it is marked now). ``found_on``
    names what it has checked out, for the message.
    """
    marker = worktree_marker(worktree)
    verdict = judge(marker, owner, task)
    if verdict is True:
        return
    if verdict is None and adopt:
        stamp_worktree(worktree, owner, task)
        return
    what = describe(marker) if marker is not None else "no Convergio database we know of"
    on = f" (it has {found_on} checked out)" if found_on else ""
    raise NotOwned(
        f"worktree {worktree} belongs to {what}{on}, not to task {task} of plan "
        f"{owner.plan} of this Convergio database ({owner.database}); it is left "
        f"untouched. Remove it (git worktree remove {worktree}) if it is no longer wanted, "
        "or run its plan from the database that made it"
    )


def registered_admin(common_dir: Path, worktree: Path) -> Path | None:
    """The admin dir of the worktree registered at ``worktree`` (None: none is)."""
    folder = common_dir / "worktrees"
    target = os.path.abspath(worktree / ".git")
    if not folder.is_dir():
        return None
    for admin in folder.iterdir():
        try:
            if not admin.is_symlink() and (admin / "gitdir").read_text().strip() == target:
                return admin
        except OSError:
            continue
    return None


def require_registration(admin: Path, common_dir: Path, owner: Owner, task: str,
                         branch: str) -> None:  # fmt: skip
    """Refuse (:class:`NotOwned`) to drop the registration ``admin`` of a worktree whose
    folder is gone unless it is ours: our marker, or none while registered on our task
    ``branch`` inside our claimed namespace."""
    marker = _read(admin / MARKER_FILE)
    verdict = judge(marker, owner, task)
    if verdict is None:
        head = _read_small(admin / "HEAD").strip()
        verdict = head == f"ref: refs/heads/{branch}" and namespace_is_ours(common_dir, owner)
    if not verdict:
        raise NotOwned(
            f"a worktree registered at {admin} (its folder is gone) belongs to "
            f"{describe(marker)}; it is left untouched. Run `git worktree prune` in the "
            "repository if it is no longer wanted"
        )
