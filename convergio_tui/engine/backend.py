"""Where a prepared run's agent process runs: the seam between dispatch and a machine.

:func:`engine.launch.execute` decides everything around a run (privacy re-check, the
invocation, then parse, charge and settle); a :class:`Backend` only runs it: the confined
command, the integrity watch, the process and the check afterwards. ``local`` (the
default) runs it on this machine; ``ray`` (``execution.backend: ray``) on a node of a Ray
cluster (:mod:`engine.cluster`, docs/cluster.md). Either way the run's log is written
here, at ``prep.log_path``, as the output arrives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from convergio_tui import paths
from convergio_tui.engine import guard
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import Prepared, mark_run_started
from convergio_tui.providers import Invocation, ProcessOutcome, get_adapter, run_process
from convergio_tui.providers.argv_limits import argv_problem
from convergio_tui.sandbox.confine import SandboxUnavailable, log_header, relaying, run_folder


@dataclass(frozen=True)
class RunJob:
    """One prepared run, ready to start: the filled-in invocation and where it works
    (``branch``: the task's own branch checked out in ``cwd``; None for a run without one)."""

    prep: Prepared
    invocation: Invocation
    cwd: Path
    branch: str | None
    cancel: threading.Event
    # How ``invocation`` was made, so another machine can make its own for its own folder.
    recipe: Recipe


@dataclass(frozen=True)
class Recipe:
    """The inputs of ``adapter.build_invocation`` (``limit``: the run's hard limit)."""

    adapter: str
    template: tuple[str, ...]
    prompt: str
    model: str
    limit: float | None = None

    def build(self, workdir: Path) -> Invocation:
        """The invocation for ``workdir`` (the adapter by its ``NAME``)."""
        extra = {"limit": self.limit} if self.limit is not None else {}
        adapter = get_adapter(self.adapter)
        return adapter.build_invocation(
            list(self.template), self.prompt, self.model, workdir, **extra
        )


@dataclass(frozen=True)
class Ran:
    """How a backend's run ended.

    ``outcome`` is None when the run was refused before its process started (then
    ``refusal`` is ``(error_class, why)``). ``lost`` says why the run was cut short by
    losing the machine it ran on (a dead node): the outcome is then what its streamed log
    shows, and the task runs again. ``node`` names the machine (None: this one).
    ``started_elsewhere``: the agent was started on another machine (so the outcome has no
    pid here) and may have spent; a run cut short there is charged as a local one would be.
    """

    outcome: ProcessOutcome | None
    findings: tuple[str, ...] = ()
    refusal: tuple[str, str] | None = None
    node: str | None = None
    lost: str | None = None
    started_elsewhere: bool = False


class Backend(Protocol):
    """Runs one :class:`RunJob` to its end (blocking, on an engine worker thread)."""

    name: str

    def run(self, ctx: EngineContext, job: RunJob) -> Ran:
        """Run the job's agent; the log goes to ``job.prep.log_path`` as it comes."""
        ...


class LocalBackend:
    """Today's behaviour: the agent runs here, in the task's worktree."""

    name = "local"

    def run(self, ctx: EngineContext, job: RunJob) -> Ran:
        """Confine, watch, run and check one agent process on this machine."""
        prep, invocation, cwd = job.prep, job.invocation, job.cwd
        worktree = cwd if ctx.worktrees else None
        with run_folder(paths.run_dirs(), str(prep.run_id)) as run_dir:
            try:
                confined = guard.confined_command(
                    ctx, prep.provider, list(invocation.argv), cwd=cwd, privacy=prep.privacy,
                    branch=job.branch, invocation_env=dict(invocation.env), run_id=prep.run_id,
                    task_code=prep.code, run_dir=run_dir, read_only=prep.read_only,
                )  # fmt: skip
            except SandboxUnavailable as exc:
                return Ran(None, refusal=("sandbox", str(exc)))
            too_large = argv_problem(confined.argv, confined.env)  # E2BIG: refuse, not a failure
            if too_large is not None:
                return Ran(None, refusal=("argv_too_large", too_large))
            watched = guard.watch(ctx, prep.task_id, worktree, job.branch)
            try:
                with relaying(confined):
                    outcome = run_process(
                        confined.argv, cwd=cwd, env=confined.env, timeout_s=prep.timeout_s,
                        log_path=prep.log_path, stdin_text=invocation.stdin_text,
                        secrets=tuple(ctx.secrets().values()),
                        max_output_bytes=ctx.config.execution.max_output_bytes,
                        cancel=job.cancel, on_start=lambda pid: mark_run_started(prep.run_id, pid),
                        header=log_header(invocation.argv, confined),
                    )  # fmt: skip
                return Ran(outcome, tuple(guard.check(ctx, prep.task_id, watched)))
            finally:
                ctx.close_window(watched.token)


_LOCAL = LocalBackend()


def backend_for(ctx: EngineContext, job: RunJob) -> Backend:
    """The backend for ``job``: the configured one for a task's run on its own branch;
    this machine for everything else (Thor's cross-review and a plan's drafting read the
    coordinator's repository in place, docs/cluster.md)."""
    if ctx.config.execution.backend == "ray" and job.branch and ctx.worktrees:
        from convergio_tui.engine.cluster.ray_backend import ray_backend

        return ray_backend(ctx.config.execution.ray)
    return _LOCAL
