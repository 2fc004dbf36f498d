"""Wave review: all ten gates over the wave's whole diff, and sending work back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_thor_support import Sandbox, git, with_thor

from convergio_tui.config.schema import Config
from convergio_tui.store.models import GateResult, Task, Wave
from convergio_tui.thor.review import GateOutcome, Review
from convergio_tui.thor.rounds import reject_wave

TEST_A = "def test_a():\n    assert True\n"


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    return Sandbox(tmp_path, shipped_config)


def gate(review: Review, number: int) -> GateOutcome:
    return next(o for o in review.outcomes if o.gate == number)


def test_combined_build_break_fails_gate_10_and_sends_the_whole_wave_back(box: Sandbox) -> None:
    (box.repo / "config.py").write_text("LIMIT = 10\n")
    git(box.repo, "add", "-A")
    git(box.repo, "commit", "-q", "-m", "config")
    git(box.repo, "branch", "-f", box.wave_branch, "main")
    rename, use = box.add_task("T1-01"), box.add_task("T1-02")
    # Each change is fine on its own; together `use.py` imports a name that is gone.
    box.finish(rename, {"config.py": "MAX_LIMIT = 10\n", "tests/test_config.py": TEST_A})
    box.finish(use, {"use.py": "from config import LIMIT\n\nDOUBLE = LIMIT * 2\n",
                     "tests/test_use.py": TEST_A})  # fmt: skip
    config = with_thor(box.config, build_command="python -c 'import config, use'")

    review = box.review_wave(config)

    build = gate(review, 10)
    assert not review.passed and build.verdict == "fail"
    assert "python -c 'import config, use'" in build.evidence
    assert "ImportError" in build.evidence and "LIMIT" in build.evidence
    assert build.tasks == ()

    requeued = reject_wave(box.wave.id, review, config)

    assert sorted(requeued) == sorted([rename.id, use.id])
    for task in (rename, use):
        again = Task.get_by_id(task.id)
        assert (again.status, again.round, again.validated_by) == ("queued", 2, None)
        assert "THOR-REJECTION round 1: build & cross-review" in again.prompt
        assert "ImportError" in again.prompt
    assert Wave.get_by_id(box.wave.id).status == "running"


def test_wave_gate_naming_one_task_sends_back_only_that_task(box: Sandbox) -> None:
    clean, sloppy = box.add_task("T1-01"), box.add_task("T1-02")
    box.finish(clean, {"a.py": "A = 1\n", "tests/test_a.py": TEST_A})
    lenient = with_thor(box.config, debug_patterns=[])
    box.finish(sloppy, {"b.py": "B = 2  # FIXME later\n", "tests/test_b.py": TEST_A}, lenient)

    review = box.review_wave()

    quality = gate(review, 2)
    assert quality.verdict == "fail" and quality.tasks == ("T1-02",)
    assert "[T1-02] b.py:1" in quality.evidence
    assert reject_wave(box.wave.id, review, box.config) == [sloppy.id]
    assert Task.get_by_id(clean.id).status == "done"
    assert Task.get_by_id(sloppy.id).status == "queued"


def test_wave_results_are_recorded_per_wave_round(box: Sandbox) -> None:
    task = box.add_task("T1-01")
    box.finish(task, {"a.txt": "x\n"})

    first = box.review_wave()
    box.review_wave()

    assert first.passed, first.evidence_text
    rows = GateResult.select().where(GateResult.wave == box.wave.id)
    assert {r.round for r in rows} == {1, 2}
    assert all(r.task_id is None for r in rows)
    assert sorted(r.gate for r in rows if r.round == 1) == list(range(1, 11))
    worktrees = git(box.repo, "worktree", "list")
    assert "convergio-thor-" not in worktrees, "the temporary wave checkout must be removed"


def test_wave_reruns_each_tasks_verify_on_the_combined_branch(box: Sandbox) -> None:
    a = box.add_task("T1-01", verify=["test -f a.txt"])
    b = box.add_task("T1-02", verify=["test ! -f a.txt"])  # true alone, false after T1-01
    box.worktree(b)  # both start from the same wave branch, as in a parallel wave
    box.finish(a, {"a.txt": "x\n"})
    box.finish(b, {"b.txt": "y\n"})

    review = box.review_wave()

    # The verify commands run together with the wave's build and tests, in gate 10.
    wave_checks = gate(review, 10)
    assert wave_checks.verdict == "fail" and wave_checks.tasks == ("T1-02",)
    assert "[T1-02] verify failed on" in wave_checks.evidence
    assert "T1-01" not in wave_checks.evidence.split("\n")[0]
    assert gate(review, 1).verdict == "skip"  # no declared files; verify runs in gate 10


def test_docs_gate_wants_docs_when_trigger_paths_change(box: Sandbox) -> None:
    api = box.add_task("T1-01")
    box.finish(api, {"api/routes.txt": "GET /x\n"})
    config = with_thor(box.config, doc_trigger_globs=["api/**"])

    docs = gate(box.review_wave(config), 5)
    assert docs.verdict == "fail" and "[T1-01] api/routes.txt" in docs.evidence

    assert gate(box.review_wave(), 5).verdict == "skip"
    writer = box.add_task("T1-02")
    box.finish(writer, {"docs/api.md": "# API\n"})
    assert gate(box.review_wave(config), 5).verdict == "pass"


def test_hygiene_gate_flags_messages_binary_stray_ignored_and_big_files(box: Sandbox) -> None:
    task = box.add_task("T1-01")
    box.write(task, {"cache.pyc": "compiled", "notes.txt": "x" * 200, "logs/run.log": "log\n"})
    (box.worktree(task) / "logo.bin").write_bytes(bytes(range(256)))
    (box.worktree(task) / ".gitignore").write_text("__pycache__/\n*.pyc\n.pytest_cache/\n*.log\n")
    git(box.worktree(task), "add", "-f", "-A")
    git(box.worktree(task), "commit", "-q", "-m", "wip stuff")
    box.merge(task)
    config = with_thor(
        box.config, commit_message_pattern=r"^(feat|fix|chore)(\(.+\))?: ", max_file_bytes=100
    )

    hygiene = gate(box.review_wave(config), 6)

    assert hygiene.verdict == "fail"
    assert "wip stuff" in hygiene.evidence
    assert "stray files" in hygiene.evidence and "cache.pyc" in hygiene.evidence
    assert "binary files" in hygiene.evidence and "logo.bin" in hygiene.evidence
    assert "oversized" in hygiene.evidence and "notes.txt" in hygiene.evidence
    assert ".gitignore committed" in hygiene.evidence and "logs/run.log" in hygiene.evidence
    assert hygiene.tasks == ()  # a commit no task claims: the whole wave goes back


def test_perf_gate_runs_the_perf_command_or_skips(box: Sandbox) -> None:
    box.finish(box.add_task("T1-01"), {"a.txt": "x\n"})

    assert gate(box.review_wave(), 7).verdict == "skip"
    slow = gate(box.review_wave(with_thor(box.config, perf_command="echo p95=900ms; exit 1")), 7)
    assert slow.verdict == "fail" and "p95=900ms" in slow.evidence


def test_build_gate_skips_when_nothing_is_configured_and_passes_a_good_build(box: Sandbox) -> None:
    box.finish(box.add_task("T1-01"), {"a.txt": "x\n"})

    assert gate(box.review_wave(), 10).verdict == "skip"
    good = gate(box.review_wave(with_thor(box.config, build_command="test -f a.txt")), 10)
    assert good.verdict == "pass"


def test_wave_branch_conflicting_with_its_base_fails_gate_4(box: Sandbox) -> None:
    task = box.add_task("T1-01")
    box.finish(task, {"README.md": "# from the wave\n"})
    (box.repo / "README.md").write_text("# moved on main\n")
    subprocess.run(["git", "-C", str(box.repo), "commit", "-qam", "main moved"], check=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@l", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@l", "PATH": "/usr/bin:/bin"})  # fmt: skip

    repo = gate(box.review_wave(), 4)

    assert repo.verdict == "fail" and "[T1-01] README.md" in repo.evidence
    assert repo.tasks == ("T1-01",)


def test_a_wave_with_nothing_more_to_check_is_not_failed(box: Sandbox) -> None:
    done = box.add_task("T1-01")
    box.finish(done, {"a.txt": "x\n"})
    box.add_task("T1-02", status="cancelled")
    no_git = box.config.model_copy(
        update={"execution": box.config.execution.model_copy(update={"worktrees": False})}
    )

    review = box.review_wave(no_git)

    assert review.passed, review.evidence_text
    assert {o.verdict for o in review.outcomes} == {"skip"}


def test_human_approved_work_is_reported_but_not_sent_back(box: Sandbox) -> None:
    from convergio_tui.store.models import Escalation

    approved, other = box.add_task("T1-01"), box.add_task("T1-02")
    lenient = with_thor(box.config, debug_patterns=[])
    box.finish(approved, {"a.py": "A = 1  # TODO\n", "tests/test_a.py": TEST_A}, lenient)
    Escalation.create(task=approved.id, reason="r", status="approved", decided_by="eve")
    Task.update(validated_by="human:eve").where(Task.id == approved.id).execute()
    box.finish(other, {"b.py": "B = 1  # FIXME\n", "tests/test_b.py": TEST_A}, lenient)

    review = box.review_wave()

    quality = gate(review, 2)
    assert quality.verdict == "fail" and quality.tasks == ("T1-01", "T1-02")
    assert reject_wave(box.wave.id, review, box.config) == [other.id]
    assert Task.get_by_id(approved.id).status == "done"


def test_failures_only_in_approved_work_do_not_fail_the_wave(box: Sandbox) -> None:
    from convergio_tui.store.models import Escalation

    approved = box.add_task("T1-01")
    box.finish(approved, {"a.py": "A = 1  # TODO\n", "tests/test_a.py": TEST_A},
               with_thor(box.config, debug_patterns=[]))  # fmt: skip
    Escalation.create(task=approved.id, reason="r", status="approved", decided_by="eve")
    Task.update(validated_by="human:eve").where(Task.id == approved.id).execute()

    review = box.review_wave()

    quality = gate(review, 2)
    assert review.passed and quality.verdict == "skip"
    assert "T1-01 by human:eve" in quality.evidence and "a.py:1" in quality.evidence
