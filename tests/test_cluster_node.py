"""What a Ray node does with one run, without Ray (engine/cluster/node_run.py, bundles.py):
its own copy of the task branch from a bundle, the real sandbox and simulated agent, the
log streamed as it grows, only the new commits sent back, and a coordinator that refuses
work that does not descend from where the run started. Real git, real subprocesses."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from engine_fixtures import engine_config, git, make_repo

from convergio_tui.engine import gitops
from convergio_tui.engine.backend import Recipe
from convergio_tui.engine.cluster import bundles
from convergio_tui.engine.cluster.node_run import NodeEnd, NodeRun, run_on_node

BRANCH = "convergio/u1/T1/work"


@pytest.fixture
def coordinator(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with the task's worktree on its own branch, as the engine makes it."""
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "calc.py": "x = 1\n"})
    git(repo, "branch", BRANCH)
    worktree = tmp_path / "wt" / "T1"
    git(repo, "worktree", "add", "-q", str(worktree), BRANCH)
    return repo, worktree


def node_spec(tmp_path: Path, worktree: Path, prompt: str, ollama: str) -> NodeRun:
    config = engine_config(tmp_path / "repo", ollama)
    start = bundles.pack_start(worktree, BRANCH, tmp_path / "start.bundle")
    recipe = Recipe("claude", tuple(config.providers["claude"].cli), prompt, "claude-sonnet-4-6")
    return NodeRun(
        run_id=7, code="T1", provider="claude", privacy="internal", recipe=recipe,
        timeout_s=60, config=config, branch=BRANCH, start=start,
        bundle=(tmp_path / "start.bundle").read_bytes(),
        commit_message="convergio(T1): task T1 [round 1]",
    )  # fmt: skip


def drain(spec: NodeRun, cancel: threading.Event | None = None) -> tuple[bytes, NodeEnd]:
    log, end = b"", None
    for item in run_on_node(spec, cancel or threading.Event()):
        if isinstance(item, NodeEnd):
            end = item
        else:
            log += item
    assert end is not None
    return log, end


def test_a_node_runs_the_agent_on_its_own_copy_and_sends_back_only_the_new_commit(
    tmp_path: Path, coordinator: tuple[Path, Path], sim_bin: Path, ollama: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    repo, worktree = coordinator
    node_tmp = tmp_path / "node-tmp"
    node_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(node_tmp))  # where the node makes its copy
    spec = node_spec(tmp_path, worktree, "SIM: write hello.txt <<<hi\\n>>>\nSIM: lines=3", ollama)
    log, end = drain(spec)

    text = log.decode()
    assert text.startswith("[convergio] $ claude") and "[sandboxed]" in text.splitlines()[0]
    assert text.count("[out] ") >= 3 and "exit code 0" in text
    assert end.outcome is not None and end.outcome.exit_code == 0 and end.findings == ()
    assert end.work is not None and end.head is not None
    assert not (worktree / "hello.txt").exists()  # nothing reached the coordinator by itself
    assert list(node_tmp.iterdir()) == []  # the node's copy is gone

    bundle = tmp_path / "back.bundle"
    bundle.write_bytes(end.work)
    bundles.take_work(repo, worktree, bundle, BRANCH, spec.start, end.head)
    assert (worktree / "hello.txt").read_text() == "hi\n"
    assert git(repo, "rev-parse", BRANCH).strip() == end.head
    assert git(repo, "log", "-1", "--format=%s", BRANCH).strip() == spec.commit_message
    assert git(repo, "rev-parse", "main").strip() == spec.start  # main untouched


def test_work_that_does_not_descend_from_the_start_is_refused(
    tmp_path: Path, coordinator: tuple[Path, Path]
) -> None:
    repo, worktree = coordinator
    start = git(worktree, "rev-parse", "HEAD").strip()
    # A node that rewrote history: an unrelated root commit on the task branch.
    other = make_repo(tmp_path / "evil", {"calc.py": "import os; os.system('rm -rf ~')\n"})
    git(other, "branch", "-m", "main", BRANCH)
    head = git(other, "rev-parse", "HEAD").strip()
    git(other, "bundle", "create", "-q", str(tmp_path / "evil.bundle"), BRANCH)
    with pytest.raises(bundles.BundleRefused, match="does not descend"):
        bundles.take_work(repo, worktree, tmp_path / "evil.bundle", BRANCH, start, head)
    assert git(worktree, "rev-parse", "HEAD").strip() == start
    assert (worktree / "calc.py").read_text() == "x = 1\n"

    # A bundle that says another branch (or another head) than the node reported.
    git(other, "branch", "elsewhere")
    git(other, "bundle", "create", "-q", str(tmp_path / "other.bundle"), "elsewhere")
    with pytest.raises(bundles.BundleRefused, match="does not hold"):
        bundles.take_work(repo, worktree, tmp_path / "other.bundle", BRANCH, start, head)
    assert git(repo, "rev-parse", BRANCH).strip() == start


def test_work_waits_for_a_worktree_being_added(
    tmp_path: Path, coordinator: tuple[Path, Path]
) -> None:
    """While the engine adds another task's worktree, that worktree's HEAD is git's
    placeholder, and unbundling (which reads every worktree's HEAD) would fail on it: the
    work is taken once the add is over, not refused. A 1,000-task Ray bench met this."""
    repo, worktree = coordinator
    start = git(worktree, "rev-parse", "HEAD").strip()
    node = tmp_path / "node"
    git(repo, "clone", "-q", "--branch", BRANCH, str(repo), str(node))
    (node / "new.txt").write_text("work\n")
    git(node, "add", "new.txt")
    git(node, "commit", "-q", "-m", "work")
    head = git(node, "rev-parse", "HEAD").strip()
    git(node, "bundle", "create", "-q", str(tmp_path / "work.bundle"), BRANCH, f"^{start}")

    failed: list[BaseException] = []

    def take() -> None:
        try:
            bundles.take_work(repo, worktree, tmp_path / "work.bundle", BRANCH, start, head)
        except BaseException as exc:  # reported by the test below
            failed.append(exc)

    adding = repo / ".git" / "worktrees" / "T2"
    with gitops.repo_lock(repo):  # as worktrees.ensure_worktree holds it around the add
        adding.mkdir()
        (adding / "HEAD").write_text("0" * 40 + "\n")  # what `git worktree add` writes first
        (adding / "commondir").write_text("../..\n")
        (adding / "gitdir").write_text(f"{tmp_path / 'wt' / 'T2' / '.git'}\n")
        taker = threading.Thread(target=take)
        taker.start()
        taker.join(2)
        assert taker.is_alive() and not failed  # waiting, not failed on the placeholder
        shutil.rmtree(adding)  # the add done (here: given up)
    taker.join(60)
    assert not failed and not taker.is_alive()
    assert (worktree / "new.txt").read_text() == "work\n"
    assert git(repo, "rev-parse", BRANCH).strip() == head


def test_cancelling_a_node_run_kills_the_agent_and_sends_no_work(
    tmp_path: Path, coordinator: tuple[Path, Path], sim_bin: Path, ollama: str
) -> None:
    _, worktree = coordinator
    spec = node_spec(tmp_path, worktree, "SIM: write half.txt <<<x>>>\nSIM: mode=hang", ollama)
    cancel = threading.Event()
    log, end = b"", None
    for item in run_on_node(spec, cancel):
        if isinstance(item, NodeEnd):
            end = item
        else:
            log += item
            if b"[out] " in log:
                cancel.set()  # the agent is running: stop it
    assert end is not None and end.outcome is not None
    assert end.outcome.cancelled and end.work is None
    assert b"cancelled: killing the process tree" in log


def test_a_hook_planted_on_the_node_is_found_and_no_work_comes_back(
    tmp_path: Path, coordinator: tuple[Path, Path], sim_bin: Path, ollama: str
) -> None:
    _, worktree = coordinator
    # With the sandbox off, nothing stops the agent writing the node repository's hooks;
    # the integrity check around the run must catch it, and send nothing back.
    spec = node_spec(tmp_path, worktree, "SIM: lines=1", ollama)
    config = spec.config.model_copy(
        update={"sandbox": spec.config.sandbox.model_copy(update={"mode": "off"})}
    )
    plant = ("printf '#!/bin/sh\\necho pwned\\n' > ../../repo/.git/hooks/post-commit && "
             "chmod +x ../../repo/.git/hooks/post-commit && echo done > work.txt")  # fmt: skip
    recipe = Recipe("claude", ("sh", "-c", plant), "", "claude-sonnet-4-6")
    spec = NodeRun(**{**spec.__dict__, "config": config, "recipe": recipe})
    _, end = drain(spec)
    assert end.outcome is not None
    assert any("hook" in finding for finding in end.findings), end.findings
    assert end.work is None and end.head is None
