"""Git isolation: worktrees and branches per docs/worktrees.md, merges, conflicts with their paths,
research results kept as artifacts, and running without worktrees."""

from __future__ import annotations

from pathlib import Path

from engine_fixtures import dump, engine_config, git, import_spec, sim_calls, task, uid

from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import Event, GateResult, Run, Task, Wave


def branches(repo: Path) -> set[str]:
    """Local branch names."""
    return set(git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())


def test_branches_worktrees_and_artifacts(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                          tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1-01", "SIM: write src/a.txt <<<A = 1\\n>>>", files=["src/a.txt"]),
         task("T1-02", "What changed upstream?", type="research", priority="P2")],
        [task("T2-01", "SIM: append src/a.txt <<<B = 2\\n>>>", depends_on=["T1-01"])],
    ])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    u = uid(plan)
    assert {f"convergio/{u}/wave-1", f"convergio/{u}/wave-2", f"convergio/{u}/T1-01/work", f"convergio/{u}/T1-02/work",
            f"convergio/{u}/T2-01/work", "main"} <= branches(repo)  # fmt: skip
    # Wave 2 starts from wave 1: its task builds on T1-01's file.
    assert git(repo, "show", f"convergio/{u}/wave-2:src/a.txt") == "A = 1\nB = 2\n"
    assert git(repo, "show", "main:README.md") == "# demo\n"  # main untouched
    subjects = git(repo, "log", "--format=%s", f"convergio/{u}/T1-01/work").splitlines()
    assert subjects[0] == "convergio(T1-01): task T1-01 [round 1]"
    merges = git(repo, "log", "--merges", "--format=%s", f"convergio/{u}/wave-1").splitlines()
    # The research task's branch has no commit: nothing to merge, no empty merge commit.
    assert merges == [f"Merge T1-01 (round 1) into convergio/{u}/wave-1"]
    # Every worktree was removed after its merge, and git forgot it.
    assert not any((tmp_path / "wt" / u).glob("*"))
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    # The research task changed no file: its answer is the artifact.
    research = Task.get(Task.code == "T1-02")
    assert research.result_text and "nothing to change" in research.result_text
    run = Run.get(Run.task == research.id)
    assert Path(run.log_path).with_name(f"{run.id}.result.txt").read_text() == research.result_text
    assert Path(run.log_path).is_file()
    # Each run happened in its own worktree on its own branch.
    cwds = {c["cwd"] for c in sim_calls(sim_bin)}
    assert cwds == {str(tmp_path / "wt" / u / code) for code in ("T1-01", "T1-02", "T2-01")}
    assert [w.branch for w in Wave.select().order_by(Wave.seq)] == [
        f"convergio/{u}/wave-1",
        f"convergio/{u}/wave-2",
    ]


def test_conflict_between_siblings_is_reported_with_paths(repo: Path, sim_bin: Path, ollama: str,
                                                          engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[
        task("A", "SIM: write app.txt <<<print('from A')\\n>>>"),
        task("B", "SIM: delay=0.4\nSIM: write app.txt <<<print('from B')\\n>>>"),
    ]])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    b = Task.get(Task.code == "B")
    assert (Task.get(Task.code == "A").round, b.round) == (1, 2)
    gate4 = GateResult.get(GateResult.task == b.id, GateResult.round == 1, GateResult.gate == 4)
    assert gate4.verdict == "fail" and "app.txt" in gate4.evidence
    assert "conflict" in gate4.evidence.lower()
    # Round 2 started from the wave branch (which has A's change) and merged on top of it.
    u = uid(plan)
    assert git(repo, "show", f"convergio/{u}/wave-1:app.txt") == "print('from B')\n"
    assert "THOR-REJECTION round 1" in sim_calls(sim_bin)[-1]["prompt"]
    noted = [
        e.message for e in Event.select().where(Event.kind.in_(("merge.conflict", "task.branch")))
    ]
    assert any("app.txt" in message for message in noted)


def test_without_worktrees_tasks_run_in_the_repository(repo: Path, sim_bin: Path, ollama: str,
                                                       engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, execution={"worktrees": False})
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write made.txt <<<here\\n>>>")]])
    assert Executor(config, plan).run().status == "done", dump()
    assert (repo / "made.txt").read_text() == "here\n"
    assert branches(repo) == {"main"}
    assert {c["cwd"] for c in sim_calls(sim_bin)} == {str(repo)}
    t = Task.get()
    assert (t.worktree, t.branch, t.validated_by) == (None, None, "thor")


def test_missing_base_branch_stops_with_the_reason(repo: Path, sim_bin: Path, ollama: str,
                                                   engine_db: Path, tmp_path: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, projects={"demo": {"base_branch": "trunk"}})
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    summary = Executor(config, plan).run()
    assert (summary.status, summary.exit_code) == ("doing", 1)
    assert "wave 1 cannot start" in summary.message and "trunk" in summary.message
    assert Wave.get().status == "blocked" and sim_calls(sim_bin) == []


def test_many_worktrees_made_and_removed_at_once_in_one_repository(
    repo: Path, tmp_path: Path
) -> None:
    # Parallel tasks create and remove worktrees side by side; git's worktree admin files
    # must never be read half-written ("failed to read .../commondir").
    import threading

    from convergio_tui.engine import worktrees
    from convergio_tui.engine.ownership import Owner

    errors: list[BaseException] = []

    def make_and_drop(i: int) -> None:
        try:
            for round_no in range(3):
                path = tmp_path / "wt" / f"T{i}-{round_no}"
                code, owner = f"T{i}-{round_no}", Owner("db", "x")
                branch = f"convergio/x/{code}/work"
                worktrees.ensure_worktree(
                    repo, path, branch, "main", root=tmp_path / "wt", owner=owner, task=code
                )
                assert worktrees.remove_worktree(
                    repo, path, root=tmp_path / "wt", owner=owner, task=code, branch=branch
                )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=make_and_drop, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # only the main checkout is left
