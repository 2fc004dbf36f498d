"""A task's branch as a git bundle: out to a node (its starting point) and back (its work).

The coordinator packs the task branch as it stands before the run; the node makes a
repository of its own from that bundle and a worktree on the branch; after the run it
packs only the new commits (``start..branch``), which the coordinator checks (they must
descend from ``start``) and takes into the task's worktree. Every call goes through the
hardened git runner: no hook or filter of either repository runs.
"""

from __future__ import annotations

from pathlib import Path

from convergio_tui.engine import gitops


class BundleRefused(Exception):
    """A bundle that came back does not hold what it must; the message says what."""


def pack_start(worktree: Path, branch: str, dest: Path) -> str:
    """Write the task branch's whole history to ``dest``; its commit (the run's start)."""
    start = gitops.rev(worktree, f"refs/heads/{branch}")
    if start is None:
        raise BundleRefused(f"branch {branch} does not exist in {worktree}")
    gitops.git(worktree, "bundle", "create", "-q", str(dest), f"refs/heads/{branch}")
    return start


def unpack_start(bundle: Path, repo: Path, branch: str, start: str, worktree: Path) -> None:
    """On a node: a new repository at ``repo`` holding the bundle, and a worktree at
    ``worktree`` on ``branch`` at ``start``."""
    repo.mkdir(parents=True)
    gitops.git(repo, "init", "-q")
    gitops.git(repo, "bundle", "unbundle", str(bundle))
    gitops.git(repo, "update-ref", f"refs/heads/{branch}", start)
    worktree.parent.mkdir(parents=True, exist_ok=True)
    gitops.git(repo, "worktree", "add", "-q", str(worktree), branch)


def pack_work(worktree: Path, branch: str, start: str, dest: Path) -> str | None:
    """On a node, after the run: the commits on ``branch`` since ``start`` into ``dest``;
    the branch's new head, or None when nothing was committed."""
    head = gitops.rev(worktree, f"refs/heads/{branch}")
    if head is None or head == start:
        return None
    gitops.git(worktree, "bundle", "create", "-q", str(dest), f"refs/heads/{branch}", f"^{start}")
    return head


def take_work(repo: Path, worktree: Path, bundle: Path, branch: str, start: str, head: str) -> None:
    """On the coordinator: bring the node's commits into the task's ``worktree`` of
    ``repo``, which must still be at ``start``; refused (:class:`BundleRefused`) unless the
    bundle holds ``branch`` at ``head`` and ``head`` descends from ``start``."""
    here = gitops.rev(worktree, "HEAD")
    if here != start:
        raise BundleRefused(f"the worktree moved during the run ({start[:12]} -> {here})")
    listed = gitops.git(worktree, "bundle", "list-heads", str(bundle)).stdout.split()
    if head not in listed or f"refs/heads/{branch}" not in listed:
        raise BundleRefused(f"the bundle does not hold {branch} at {head[:12]}")
    # Under the lock of worktree add and remove: unbundling reads every worktree's HEAD,
    # and one being added has a placeholder HEAD that fails it ("bad object").
    with gitops.repo_lock(repo):
        gitops.git(worktree, "bundle", "unbundle", str(bundle))
    ancestry = gitops.git(worktree, "merge-base", "--is-ancestor", start, head, check=False)
    if ancestry.returncode != 0:
        raise BundleRefused(f"{head[:12]} does not descend from the run's start {start[:12]}")
    gitops.in_tree(worktree, "reset", "-q", "--hard", head)
