"""The coordinator's side of ``execution.backend: ray``: send a run to a node, stream its
log back into the run's own log file, take its work back. The only module importing Ray.

The run's task branch travels as a bundle (:mod:`engine.cluster.bundles`); the node runs
it with :func:`engine.cluster.node_run.node_entry`, a Ray streaming generator that asks for
the run's resources (:mod:`engine.cluster.resources`) and is never retried by Ray: a run
whose node dies comes back here as *lost*, and the engine closes it ``interrupted`` and
dispatches its task again, with a new run and a new reservation (docs/cluster.md). A
cancelled run is cancelled on its node (its process tree killed there). When this
process dies, Ray ends the runs it owns; the next engine's recovery closes them and runs
their tasks again.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError, RayTaskError, TaskCancelledError

from convergio_tui import paths
from convergio_tui.config.schema import RayConfig
from convergio_tui.engine import gitops, guard
from convergio_tui.engine.backend import Ran, RunJob
from convergio_tui.engine.cluster import bundles
from convergio_tui.engine.cluster.node_run import NodeEnd, NodePlaced, NodeRun, node_entry
from convergio_tui.engine.cluster.resources import (
    NodeOffer,
    can_place,
    missing_words,
    offer_of,
    run_resources,
)
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.delegate import mark_run_placed
from convergio_tui.engine.recovery_log import LoggedRun, read_lines, rebuild
from convergio_tui.providers import ProcessOutcome

WAIT_S = 0.2  # how often the stream is polled for cancel and the start deadline
CANCEL_GRACE_S = 10.0  # after this, a cancelled run's worker is killed outright

_connect_lock = threading.Lock()
_backends: dict[tuple[str, str], RayBackend] = {}
_remote: Any = None


def connect(cfg: RayConfig) -> None:
    """Join the cluster at ``cfg.address`` once per process (Ray's connection is global)."""
    with _connect_lock:
        if ray.is_initialized():
            return
        ray.init(
            address=cfg.address, namespace=cfg.namespace, log_to_driver=False,
            logging_level=logging.ERROR, configure_logging=True,
        )  # fmt: skip


def nodes() -> list[NodeOffer]:
    """The cluster's nodes now (connected first)."""
    return [offer_of(node) for node in ray.nodes()]


def _task() -> Any:
    global _remote
    if _remote is None:
        # Ray must not retry: a lost run is the engine's to re-dispatch, with a new run
        # row and reservation, so nothing is charged twice. num_cpus=0: an agent waits on
        # its model; where it may run is said by the provider resources alone.
        _remote = ray.remote(num_returns="streaming", max_retries=0, num_cpus=0)(node_entry)
    return _remote


def ray_backend(cfg: RayConfig) -> RayBackend:
    """The backend for the cluster at ``cfg.address`` (one per process and address)."""
    key = (cfg.address, cfg.namespace)
    with _connect_lock:
        if key not in _backends:
            _backends[key] = RayBackend(cfg)
        return _backends[key]


class _Log:
    """The coordinator's copy of the run log, appended as the node's bytes arrive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = paths.open_private(path, os.O_WRONLY | os.O_APPEND)

    def write(self, data: bytes) -> None:
        os.write(self._fd, data)

    def note(self, text: str) -> None:
        self.write(f"[convergio] {text}\n".encode())

    def close(self) -> None:
        os.close(self._fd)


class RayBackend:
    """Runs task runs on the cluster's nodes (see the module docstring)."""

    name = "ray"

    def __init__(self, cfg: RayConfig) -> None:
        self.cfg = cfg

    def run(self, ctx: EngineContext, job: RunJob) -> Ran:
        """Send ``job`` to a node that offers its provider (and ``privacy:local`` for
        sensitive work), stream its log here, take its work back."""
        prep = job.prep
        assert job.branch is not None  # backend_for sends only a task's branch run here
        try:
            connect(self.cfg)
            offers = nodes()
        except Exception as exc:  # Ray says why in its own words; one line here
            why = f"cannot reach the Ray cluster at {self.cfg.address}: {exc}".splitlines()[0]
            return Ran(None, refusal=("cluster", why))
        wanted = run_resources(prep.provider, prep.privacy)
        if not can_place(wanted, offers):
            return Ran(None, refusal=("cluster", "no live node of the Ray cluster offers "
                                      f"{missing_words(prep.provider, prep.privacy)}"))  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="convergio-bundle-") as tmp:
            start = bundles.pack_start(job.cwd, job.branch, Path(tmp) / "start.bundle")
            data = (Path(tmp) / "start.bundle").read_bytes()
        spec = NodeRun(
            run_id=prep.run_id, code=prep.code, provider=prep.provider, privacy=prep.privacy,
            recipe=job.recipe, timeout_s=prep.timeout_s, config=ctx.config,
            branch=job.branch, start=start, bundle=data, commit_message=prep.commit_message,
            secrets=dict(ctx.secrets()),
            markers={"CONVERGIO_RUN_TAG": ctx.run_tag(prep.run_id), "CONVERGIO_TASK": prep.code},
            db_file=str(ctx.db_file) if ctx.db_file else None,
        )  # fmt: skip
        watched = guard.watch(ctx, prep.task_id, job.cwd, job.branch)
        try:
            return self._watched(ctx, job, spec, wanted, start, watched)
        finally:
            ctx.close_window(watched.token)

    def _watched(self, ctx: EngineContext, job: RunJob, spec: NodeRun, wanted: dict[str, float],
                 start: str, watched: guard.Watch) -> Ran:  # fmt: skip
        """Run ``spec`` on a node inside the integrity window ``watched``."""
        prep = job.prep
        stream = (
            _task()
            .options(resources=wanted, name=f"convergio {prep.code} run {prep.run_id}")
            .remote(spec)
        )
        log = _Log(prep.log_path)
        try:
            end, node, lost = self._follow(ctx, job, stream, log)
        finally:
            log.close()
        if end is not None and end.refusal is not None:
            return Ran(None, refusal=end.refusal, node=node)
        if end is None or end.outcome is None:
            logged = _from_log(ctx, prep.provider, prep.log_path, cancelled=lost is None)
            return Ran(logged.outcome, node=node, lost=lost, started_elsewhere=logged.started)
        findings = [f"on node {node}: {f}" for f in end.findings]
        if end.work is not None and end.head is not None and not findings:
            findings += _take_work(ctx.repo, job, start, end)
        findings += guard.check(ctx, prep.task_id, watched)
        return Ran(end.outcome, tuple(findings), node=node)

    def _follow(self, ctx: EngineContext, job: RunJob, stream: Any,
                log: _Log) -> tuple[NodeEnd | None, str | None, str | None]:  # fmt: skip
        """Read the run's messages until its end: (its end, its node, why it was lost)."""
        prep = job.prep
        node: str | None = None
        cancelled_at: float | None = None
        forced = False
        deadline = time.monotonic() + self.cfg.start_timeout_s
        while True:
            if job.cancel.is_set() and cancelled_at is None:
                cancelled_at = time.monotonic()
                ray.cancel(stream)
            elif (
                cancelled_at is not None
                and not forced
                and time.monotonic() - cancelled_at > CANCEL_GRACE_S
            ):
                forced = True
                ray.cancel(stream, force=True)
            ready, _ = ray.wait([stream], timeout=WAIT_S)
            if not ready:
                if node is None and cancelled_at is None and time.monotonic() > deadline:
                    job.cancel.set()  # no node took it in time: stop waiting for one
                    log.note(f"no node started the run within {self.cfg.start_timeout_s:g}s")
                continue
            try:
                item = ray.get(next(stream))
            except StopIteration:
                return None, node, None
            except (TaskCancelledError, GetTimeoutError):
                log.note(f"cancelled: the run was stopped on node {node or '(none yet)'}")
                return None, node, None
            except RayTaskError:
                raise  # the node's own code failed: an engine error for this task
            except RayError as exc:
                if cancelled_at is not None:
                    log.note(f"cancelled: the run was stopped on node {node or '(none yet)'}")
                    return None, node, None
                why = f"node {node or '(not yet placed)'} was lost mid-run ({type(exc).__name__})"
                log.note(why)
                return None, node, why
            if isinstance(item, bytes):
                log.write(item)
            elif isinstance(item, NodePlaced):
                node = item.node
                mark_run_placed(prep.run_id, node)
                ctx.bus.journal("run.node", f"{prep.code}: run {prep.run_id} on node {node}",
                                plan_id=ctx.journal_plan, task_id=prep.task_id)  # fmt: skip
            elif isinstance(item, NodeEnd):
                return item, node, None


def _from_log(ctx: EngineContext, provider: str, log_path: Path, *, cancelled: bool) -> LoggedRun:
    """What a run cut short left: its outcome as the log it streamed shows it, and whether
    the node had started the agent (the log holds its command line)."""
    from convergio_tui.engine.launch import adapter_for

    logged = rebuild(adapter_for(ctx, provider).NAME, read_lines(log_path), None)
    outcome = ProcessOutcome(
        exit_code=None, stdout_lines=logged.outcome.stdout_lines,
        stderr_lines=logged.outcome.stderr_lines, timed_out=False, cancelled=cancelled,
        truncated=logged.outcome.truncated, pid=None, duration_s=0.0,
    )  # fmt: skip
    return replace(logged, outcome=outcome)


def _take_work(repo: Path, job: RunJob, start: str, end: NodeEnd) -> list[str]:
    """Bring the node's commits into the task's worktree; a finding when refused."""
    assert job.branch is not None and end.work is not None and end.head is not None
    with tempfile.TemporaryDirectory(prefix="convergio-bundle-") as tmp:
        bundle = Path(tmp) / "work.bundle"
        bundle.write_bytes(end.work)
        try:
            bundles.take_work(repo, job.cwd, bundle, job.branch, start, end.head)
        except (bundles.BundleRefused, gitops.GitError) as exc:
            return [f"the work sent back was refused: {exc}"]
    return []
