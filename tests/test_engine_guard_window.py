"""The integrity check around one run must not take a dispatch that starts while it
compares for something the run planted: that dispatch's new branch stays, and the run
it checks is not failed for it. Nor may its reads of a checkout write that checkout's index.

A 1,000-task Ray bench once lost a task's branch right after its worktree was made: the
check of another task's run read who was busy, then (another dispatch having started and
made its branch in between) took its snapshot and deleted the "unknown" branch."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from engine_fixtures import engine_config, git, import_spec, make_repo, task, uid

from convergio_tui.engine import gitops, guard, integrity, worktrees
from convergio_tui.engine.context import ActiveRun, EngineContext
from convergio_tui.engine.events import Bus
from convergio_tui.engine.ownership import Owner
from convergio_tui.store.models import Task, database_identity


def test_a_dispatch_starting_during_the_check_keeps_its_branch(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "one"), task("T2", "two")]])
    ctx = EngineContext.for_plan(config, plan, Bus(), threading.Event())
    t1, t2 = (Task.get(Task.code == code).id for code in ("T1", "T2"))
    owner = Owner(database_identity(), uid(plan))
    ctx.codes.update({t1: "T1", t2: "T2"})
    ctx.active[t1] = ActiveRun(t1, 1, "opencode", threading.Event())
    own = ctx.worktree_for("T1")
    worktrees.ensure_worktree(repo, own, ctx.task_branch("T1"), "main", root=ctx.worktree_root,
                              owner=owner, task="T1")  # fmt: skip
    watch = guard.watch(ctx, t1, own, ctx.task_branch("T1"))

    # T2's dispatch starts (it is counted active, then makes its worktree and branch) at
    # the moment T1's check takes its after-snapshot: the interleaving of two threads.
    real_take = integrity.take
    other = ctx.worktree_for("T2")

    def take_as_t2_starts(*args: object, **kwargs: object) -> integrity.Snapshot:
        if not other.exists():
            ctx.active[t2] = ActiveRun(t2, 2, "opencode", threading.Event())
            worktrees.ensure_worktree(repo, other, ctx.task_branch("T2"), "main",
                                      root=ctx.worktree_root, owner=owner, task="T2")  # fmt: skip
        return real_take(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(integrity, "take", take_as_t2_starts)
    findings = guard.check(ctx, t1, watch)

    assert findings == []
    branch = f"refs/heads/{gitops.task_branch_name(uid(plan), 'T2')}"
    assert git(repo, "rev-parse", "--verify", branch)
    assert gitops.rev(other, "HEAD") == git(repo, "rev-parse", "main").strip()


def test_the_snapshot_never_writes_a_checkout_s_index(tmp_path: Path) -> None:
    """The check reads the user's checkout (and idle siblings) around every run; a
    ``git status`` refreshing the index would take its lock and could fail a commit the
    user (or an agent) makes at that moment. The snapshot leaves the index untouched."""
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    (repo / "a.txt").write_text("one\n")  # same bytes, new mtime: a stale index entry
    index = repo / ".git" / "index"
    before = (index.stat().st_mtime_ns, index.read_bytes())

    integrity.take(repo, None, [])
    integrity.checkout_fingerprint(repo)

    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    git(repo, "status")  # a plain status does refresh it: the check above could fail
    assert (index.stat().st_mtime_ns, index.read_bytes()) != before


def test_the_windows_remember_only_what_an_open_window_needs(
    repo: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    """Each check asks which dispatches ended since its window opened. The answer must
    not cost more as the plan goes on: an end older than every open window is dropped."""
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task("T1", "one")]])
    ctx = EngineContext.for_plan(config, plan, Bus(), threading.Event())

    ctx.dispatch_ended(1)  # before any window: no window can ask for it
    first = ctx.tick()
    for task_id in range(2, 1002):
        ctx.dispatch_ended(task_id)
    second = ctx.tick()
    ctx.dispatch_ended(2)  # task 2 ran again and ended after the second window opened
    assert ctx.active_since(first) == set(range(2, 1002))
    assert ctx.active_since(second) == {2}

    ctx.close_window(first)  # what only the first window needed goes
    assert ctx.active_since(second) == {2} and list(ctx.ended) == [2]
    ctx.close_window(second)
    assert ctx.ended == {}

    # A long plan, one window per run: the bookkeeping stays as small as the runs open.
    for task_id in range(10_000):
        token = ctx.tick()
        ctx.dispatch_ended(task_id)
        assert ctx.active_since(token) == {task_id}
        ctx.close_window(token)
        assert len(ctx.ended) == 0 and not ctx.open_windows
