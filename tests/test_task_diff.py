"""A task's diff is the work it contributed against its wave branch, and it stays that after
the task is merged and its siblings are merged after it; a wave's diff is its branch
against the one it started from. Real git repositories, the engine's own merge, and the
real engine with the simulated agents."""

from __future__ import annotations

from pathlib import Path

from engine_fixtures import dump, engine_config, git, import_spec, make_repo, task

from convergio_tui.engine import gitops
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.task_diff import task_diff, wave_diff
from convergio_tui.store.models import Task, Wave


def commit_file(repo: Path, branch: str, name: str, text: str) -> None:
    git(repo, "checkout", "-q", branch)
    (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"convergio(x): {name} [round 1]")
    git(repo, "checkout", "-q", "main")


def files_of(task_id: int) -> dict[str, list[str]]:
    """path -> the +/- lines of the task's diff."""
    diff = task_diff(task_id)
    assert not diff.problem, diff.problem
    return {
        f.path: [line.kind + line.text for h in f.hunks for line in h.lines if line.kind in "+-"]
        for f in diff.files
    }


def test_a_task_keeps_its_own_diff_after_it_and_a_sibling_are_merged(
    tmp_path: Path, engine_db: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "app.py": "v = 1\n"})
    config = engine_config(repo, "http://127.0.0.1:9")
    plan = import_spec(config, tmp_path, [[task("T1", "one"), task("T2", "two")]])
    wave = Wave.get(Wave.plan == plan)
    t1, t2 = (Task.get(Task.code == code) for code in ("T1", "T2"))
    git(repo, "branch", "wave-1", "main")
    git(repo, "branch", "t1", "wave-1")
    git(repo, "branch", "t2", "wave-1")
    Wave.update(branch="wave-1").where(Wave.id == wave.id).execute()
    Task.update(branch="t1").where(Task.id == t1.id).execute()
    Task.update(branch="t2").where(Task.id == t2.id).execute()
    commit_file(repo, "t1", "one.txt", "first\n")
    commit_file(repo, "t2", "app.py", "v = 2\n")

    assert files_of(t1.id) == {"one.txt": ["+first"]}
    assert files_of(t2.id) == {"app.py": ["-v = 1", "+v = 2"]}
    assert not task_diff(t1.id).merged

    assert gitops.merge_branch(repo, "wave-1", "t1", "Merge T1").ok
    commit_file(repo, "wave-1", "later.txt", "someone else\n")  # the wave moves on
    assert gitops.merge_branch(repo, "wave-1", "t2", "Merge T2").ok

    merged = task_diff(t1.id)
    assert merged.merged and [f.path for f in merged.files] == ["one.txt"]
    assert files_of(t2.id) == {"app.py": ["-v = 1", "+v = 2"]}
    assert task_diff(t2.id).merged
    whole = wave_diff(wave.id)
    assert [f.path for f in whole.files] == ["app.py", "later.txt", "one.txt"]


def test_no_branch_and_a_deleted_branch_say_why(tmp_path: Path, engine_db: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    config = engine_config(repo, "http://127.0.0.1:9")
    plan = import_spec(config, tmp_path, [[task("T1", "one")]])
    t1 = Task.get(Task.plan == plan)
    assert "No branch yet" in task_diff(t1.id).problem
    Wave.update(branch="main").where(Wave.plan == plan).execute()
    Task.update(branch="gone").where(Task.id == t1.id).execute()
    assert "No branch gone" in task_diff(t1.id).problem


def test_a_huge_file_keeps_its_first_lines_and_says_how_many_are_left(
    tmp_path: Path, engine_db: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    config = engine_config(repo, "http://127.0.0.1:9")
    plan = import_spec(config, tmp_path, [[task("T1", "one")]])
    t1 = Task.get(Task.plan == plan)
    git(repo, "branch", "t1", "main")
    commit_file(repo, "t1", "big.txt", "".join(f"line {i}\n" for i in range(5000)))
    Wave.update(branch="main").where(Wave.plan == plan).execute()
    Task.update(branch="t1").where(Task.id == t1.id).execute()
    (big,) = task_diff(t1.id).files
    assert big.added == 5000 and big.kept_lines == 1000 and big.omitted == 4000


def test_the_engine_s_tasks_each_show_their_own_work_after_the_plan_is_done(
    tmp_path: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [
        [task("T1", "SIM: write a.txt <<<alpha\\n>>>", provider="claude"),
         task("T2", "SIM: write b.txt <<<beta\\n>>>", provider="claude")],
        [task("T3", "SIM: append a.txt <<<more\\n>>>", provider="claude")],
    ])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    by_code = {t.code: t.id for t in Task.select().where(Task.plan == plan)}

    assert files_of(by_code["T1"]) == {"a.txt": ["+alpha"]}
    assert files_of(by_code["T2"]) == {"b.txt": ["+beta"]}
    assert files_of(by_code["T3"]) == {"a.txt": ["+more"]}
    assert all(task_diff(i).merged for i in by_code.values())
    second = Wave.get((Wave.plan == plan) & (Wave.seq == 2))
    assert [f.path for f in wave_diff(second.id).files] == ["a.txt"]
