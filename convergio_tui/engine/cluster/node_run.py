"""What a node does with one run (``execution.backend: ray``): plain Python, no Ray.

:func:`run_on_node` makes a repository of its own from the bundle the coordinator sent,
a worktree on the task's branch, and runs the agent there exactly as a local run does:
the same sandbox (:func:`sandbox.confine.confine`), the same runner and redaction, the
same integrity check around it. While the agent runs it yields the new bytes of the run
log (the coordinator appends them to its own copy, so the dashboard tails it live);
at the end it commits the round's work, packs the new commits as a bundle and yields a
:class:`NodeEnd`. Everything it made is removed before it returns, whatever happened.

What travels here: the run's argv and environment, the vault values of this run (never
the vault key), the configuration, and the task branch. Nothing else of the coordinator.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.engine import gitops, integrity
from convergio_tui.engine.backend import Recipe
from convergio_tui.engine.cluster import bundles
from convergio_tui.providers import ProcessOutcome, run_process
from convergio_tui.providers.argv_limits import argv_problem
from convergio_tui.sandbox.confine import (
    RunRequest,
    SandboxUnavailable,
    confine,
    log_header,
    relaying,
)

POLL_S = 0.1  # how often new log bytes are sent while the agent runs
CHUNK_MAX = 1 << 20  # bytes per message back to the coordinator


@dataclass(frozen=True)
class NodeRun:
    """Everything a node needs for one run (pickled to it by Ray)."""

    run_id: int
    code: str
    provider: str
    privacy: str
    recipe: Recipe  # the node makes the invocation for its own folder
    timeout_s: float
    config: Config
    branch: str
    start: str
    bundle: bytes
    commit_message: str
    secrets: dict[str, str] = field(default_factory=dict)  # this run's vault values only
    markers: dict[str, str] = field(default_factory=dict)
    db_file: str | None = None  # hidden from the agent if this machine has it too


@dataclass(frozen=True)
class NodePlaced:
    """The first message of a run: which node took it."""

    node: str


@dataclass(frozen=True)
class NodeEnd:
    """The last message of a run: its outcome and its work (``work``: the new commits as
    a bundle, ``head`` the branch's new commit; None when nothing was committed).
    ``refusal`` is ``(error_class, why)`` when the agent never started."""

    outcome: ProcessOutcome | None
    findings: tuple[str, ...] = ()
    work: bytes | None = None
    head: str | None = None
    refusal: tuple[str, str] | None = None


def node_name() -> str:
    """This node as people read it: its host name and the start of Ray's node id (the
    same words ``convergio health`` uses, :func:`engine.cluster.resources.offer_of`)."""
    node_id = ""
    with contextlib.suppress(Exception):  # outside a Ray worker: no node id
        import ray

        node_id = ray.get_runtime_context().get_node_id()[:8]
    host = socket.gethostname()
    return f"{host}/{node_id}" if node_id else host


def _tail(log: Path, offset: int) -> bytes:
    try:
        with open(log, "rb") as fh:
            fh.seek(offset)
            return fh.read(CHUNK_MAX)
    except FileNotFoundError:
        return b""


def _remove(path: Path) -> None:
    """Remove what the run left, read-only files included."""

    def retry(func: object, name: str, _exc: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(name), 0o700)
            os.chmod(name, 0o600)
            os.unlink(name)

    shutil.rmtree(path, onerror=retry)


def run_on_node(spec: NodeRun, cancel: threading.Event) -> Generator[bytes | NodeEnd, None, None]:
    """Run ``spec`` here; yields log bytes while it runs and a :class:`NodeEnd` last.
    Setting ``cancel`` (or closing the generator) kills the agent's process tree."""
    base = Path(tempfile.mkdtemp(prefix=f"convergio-run-{spec.run_id}-"))
    thread: threading.Thread | None = None
    try:
        repo, worktree = base / "repo", base / "work" / spec.code
        (base / "start.bundle").write_bytes(spec.bundle)
        bundles.unpack_start(base / "start.bundle", repo, spec.branch, spec.start, worktree)
        run_dir = base / "run"
        run_dir.mkdir(mode=0o700)
        invocation = spec.recipe.build(worktree)
        request = RunRequest(
            provider=spec.provider, argv=list(invocation.argv), workdir=worktree,
            privacy=spec.privacy, run_dir=run_dir, task_ref=f"refs/heads/{spec.branch}",
            invocation_env=invocation.env, secrets=spec.secrets, markers=spec.markers,
            db_file=Path(spec.db_file) if spec.db_file else None,
        )  # fmt: skip
        try:
            confined = confine(spec.config, request)
        except SandboxUnavailable as exc:
            yield NodeEnd(None, refusal=("sandbox", f"on node {node_name()}: {exc}"))
            return
        too_large = argv_problem(confined.argv, confined.env)
        if too_large is not None:
            yield NodeEnd(None, refusal=("argv_too_large", too_large))
            return
        before = integrity.take(repo, worktree, [])
        log = base / "run.log"
        header = log_header(invocation.argv, confined)
        box: dict[str, ProcessOutcome] = {}

        def work() -> None:
            with relaying(confined):
                box["outcome"] = run_process(
                    confined.argv, cwd=worktree, env=confined.env, timeout_s=spec.timeout_s,
                    log_path=log, stdin_text=invocation.stdin_text, secrets=tuple(spec.secrets.values()),
                    max_output_bytes=spec.config.execution.max_output_bytes, cancel=cancel,
                    header=header,
                )  # fmt: skip

        thread = threading.Thread(target=work, name=f"convergio-node-run-{spec.run_id}")
        thread.start()
        offset = 0
        while True:
            running = thread.is_alive()  # read after this, so the last bytes are never missed
            chunk = _tail(log, offset)
            offset += len(chunk)
            if chunk:
                yield chunk
                continue
            if not running:
                break
            thread.join(POLL_S)
        outcome = box.get("outcome")
        if outcome is None:
            raise RuntimeError(f"the runner of run {spec.run_id} ended without an outcome")
        after = integrity.take(repo, worktree, [])
        own = f"refs/heads/{spec.branch}"
        findings = tuple(integrity.compare(before, after, own, lambda *_: False))
        work_bytes = head = None
        if not findings and not outcome.cancelled:
            gitops.commit_all(worktree, spec.commit_message)
            head = bundles.pack_work(worktree, spec.branch, spec.start, base / "work.bundle")
            work_bytes = (base / "work.bundle").read_bytes() if head else None
        yield NodeEnd(outcome, findings, work_bytes, head)
    finally:
        cancel.set()  # a closed generator (the coordinator cancelled) stops the agent
        if thread is not None:
            thread.join()
        _remove(base)


def node_entry(spec: NodeRun) -> Iterator[NodePlaced | bytes | NodeEnd]:
    """The Ray task (a streaming generator): where it runs, then :func:`run_on_node`."""
    yield NodePlaced(node_name())
    with contextlib.closing(run_on_node(spec, threading.Event())) as items:
        yield from items
