"""The engine's side of containment for one run: the confined command (sandbox,
environment allow-list, relay) and the integrity check taken around it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from convergio_tui.engine import gitops, integrity
from convergio_tui.engine.context import EngineContext
from convergio_tui.sandbox.confine import Confined, RunRequest, confine
from convergio_tui.store.models import Task


@dataclass(frozen=True)
class Watch:
    """The integrity snapshot of one run and the window it opened."""

    before: integrity.Snapshot
    token: int
    worktree: Path | None
    own_ref: str | None


def confined_command(ctx: EngineContext, provider: str, argv: list[str], *, cwd: Path,
                     privacy: str, branch: str | None, invocation_env: dict[str, str],
                     run_id: int, task_code: str, run_dir: Path,
                     read_only: bool = False) -> Confined:  # fmt: skip
    """The sandboxed argv and allow-listed environment of one agent run (``read_only``:
    it may read ``cwd``, not write it)."""
    request = RunRequest(
        provider=provider, argv=argv, workdir=cwd, privacy=privacy, run_dir=run_dir,
        task_ref=f"refs/heads/{branch}" if branch else None, invocation_env=invocation_env,
        secrets=ctx.secrets(),
        markers={"CONVERGIO_RUN_TAG": ctx.run_tag(run_id), "CONVERGIO_TASK": task_code},
        db_file=ctx.db_file, read_only=read_only,
    )  # fmt: skip
    return confine(ctx.config, request)


def _codes(ctx: EngineContext, ids: set[int]) -> set[str]:
    """The codes of tasks ``ids``: known for those this engine dispatched, else read."""
    known = ctx.codes
    codes = {known[i] for i in ids if i in known}
    unknown = [i for i in ids if i not in known]
    if unknown:
        codes |= {t.code for t in Task.select(Task.code).where(Task.id.in_(unknown))}
    return codes


def watch(
    ctx: EngineContext, task_id: int | None, worktree: Path | None, branch: str | None
) -> Watch:
    """Snapshot before the run: the siblings idle now are the ones compared afterwards.

    ``task_id`` is None for a wave's cross-review run."""
    token = ctx.tick()
    busy = _codes(ctx, ctx.active_since(token) - {task_id})
    siblings: list[Path] = []
    plan_root = ctx.plan_dir
    if ctx.worktrees and plan_root.is_dir():
        siblings = [
            p for p in sorted(plan_root.iterdir())
            if p != worktree and p.name not in busy and not p.is_symlink()
        ]  # fmt: skip
    before = integrity.take(ctx.repo, worktree or ctx.repo, siblings)
    return Watch(before, token, worktree, f"refs/heads/{branch}" if branch else None)


def check(ctx: EngineContext, task_id: int | None, w: Watch) -> list[str]:
    """Compare after the run; on any finding, restore refs, hooks and config (the run's
    own branch included, so nothing of it lands) and return the findings."""
    # Who is busy is read again after the snapshot: a dispatch that starts in between
    # (and makes its branch) is then counted busy. Read only before, its new branch
    # looked planted by this run and was deleted under the running task.
    busy = _codes(ctx, ctx.active_since(w.token) - {task_id})
    idle_now = [Path(p) for p in w.before.siblings if Path(p).name not in busy]
    after = integrity.take(ctx.repo, w.worktree or ctx.repo, idle_now)
    busy = _codes(ctx, ctx.active_since(w.token) - {task_id})
    prefix = f"refs/heads/convergio/{ctx.plan_uid}/"
    moving = {f"{prefix}{code}/work" for code in busy}

    def allowed(ref: str, old: str | None, new: str | None) -> bool:
        if not ref.startswith("refs/heads/convergio/"):
            return False
        if not ref.startswith(prefix):
            return True  # another plan's branches: its own engine answers for them
        if ref in moving:
            return True
        return ref.removeprefix(prefix).startswith("wave-") and new in ctx.engine_commits

    def idle(siblings: dict[str, str]) -> dict[str, str]:
        return {p: f for p, f in siblings.items() if Path(p).name not in busy}

    before = replace(w.before, siblings=idle(w.before.siblings))
    after = replace(after, siblings=idle(after.siblings))
    findings = integrity.compare(before, after, w.own_ref, allowed)
    if findings:
        restored = integrity.restore(
            ctx.repo, before, after, keep=lambda ref: allowed(ref, None, after.refs.get(ref))
        )
        if restored:
            findings.append("restored: " + "; ".join(restored))
    return findings


def record_merge(ctx: EngineContext, result: gitops.MergeResult) -> None:
    """Remember a wave-branch commit the engine made, so the check accepts it."""
    if result.ok and result.commit:
        with ctx.lock:
            ctx.engine_commits.add(result.commit)
