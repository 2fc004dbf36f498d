"""The task-scope gates (1–4, 8, 9) on real git worktrees: verdicts and evidence."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_thor_support import Sandbox, git, with_thor

from convergio_tui.config.errors import ConfigError
from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import Config
from convergio_tui.thor.review import GateOutcome, Review

SECRET = "ghp_" + "R4nd0mT0k3nV4lu3Xy9Zq8Wp7Lk6Jh5Gf4Ds3"


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    return Sandbox(tmp_path, shipped_config)


def gate(review: Review, number: int) -> GateOutcome:
    return next(o for o in review.outcomes if o.gate == number)


def reviewed(box: Sandbox, files: dict[str, str], **thor: object) -> Review:
    """One task writes ``files``, commits, and is reviewed with these thor settings."""
    task = box.add_task("T1-01")
    box.write(task, files)
    box.commit(task)
    return box.review(task, config=with_thor(box.config, **thor) if thor else None)


def test_only_task_gates_run_and_unconfigured_ones_skip(box: Sandbox) -> None:
    review = reviewed(box, {"notes.txt": "plain text\n"}, debug_patterns=[], code_globs=[])

    assert [o.gate for o in review.outcomes] == [1, 2, 3, 4, 8, 9]
    verdicts = {o.gate: o.verdict for o in review.outcomes}
    assert verdicts == {1: "pass", 2: "skip", 3: "pass", 4: "pass", 8: "skip", 9: "skip"}
    assert review.passed


def test_without_git_isolation_git_gates_skip(box: Sandbox) -> None:
    config = box.config.model_copy(
        update={"execution": box.config.execution.model_copy(update={"worktrees": False})}
    )
    task = box.add_task("T1-01", verify=["true"])
    box.write(task, {"a.py": "x = 1\n"})

    review = box.review(task, config=config)

    verdicts = {o.gate: o.verdict for o in review.outcomes}
    assert verdicts == {1: "pass", 2: "skip", 3: "skip", 4: "skip", 8: "skip", 9: "skip"}


def test_quality_flags_leftovers_in_code_not_docs_and_failing_lint(box: Sandbox) -> None:
    review = reviewed(
        box,
        {"app.py": "x = 1\n# TODO: finish\nbreakpoint()\n", "README.md": "# TODO list\n",
         "tests/test_app.py": "def test_x():\n    assert True\n"},
        lint_commands=["echo 'app.py:1: E999 lint says no' && exit 1"],
    )  # fmt: skip

    quality = gate(review, 2)
    assert quality.verdict == "fail"
    assert "app.py:2:" in quality.evidence and "app.py:3:" in quality.evidence
    assert "README.md" not in quality.evidence
    assert "E999 lint says no" in quality.evidence and "exit 1" in quality.evidence


def test_standards_reports_rule_and_location_never_the_secret(box: Sandbox) -> None:
    review = reviewed(
        box,
        {"settings.py": f'DEBUG = True\nGITHUB_TOKEN = "{SECRET}"\n',
         "tests/test_settings.py": "def test_s():\n    assert True\n"},
    )  # fmt: skip

    standards = gate(review, 3)
    assert standards.verdict == "fail"
    assert "settings.py:2" in standards.evidence
    assert "github-token" in standards.evidence
    assert SECRET not in standards.evidence and SECRET[8:20] not in review.evidence_text


def test_standards_rejects_swallowed_exceptions(box: Sandbox) -> None:
    review = reviewed(
        box,
        {"svc.py": "try:\n    run()\nexcept:\n    log()\ntry:\n    x()\nexcept Exception: pass\n",
         "tests/test_svc.py": "def test_s():\n    assert True\n"},
    )  # fmt: skip

    evidence = gate(review, 3).evidence
    assert "svc.py:3" in evidence and "svc.py:7" in evidence


def test_repo_fails_on_conflict_markers_long_files_and_uncommitted_work(box: Sandbox) -> None:
    task = box.add_task("T1-01")
    box.write(task, {"a.txt": "<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n",
                     "big.txt": "line\n" * 30})  # fmt: skip
    box.commit(task)
    box.write(task, {"forgotten.txt": "not committed\n"})

    repo = gate(box.review(task, config=with_thor(box.config, max_file_lines=20)), 4)

    assert repo.verdict == "fail"
    assert "a.txt:1" in repo.evidence and "a.txt:5" in repo.evidence
    assert "big.txt: 30 lines (limit 20)" in repo.evidence
    assert "forgotten.txt" in repo.evidence


def test_repo_fails_second_task_of_a_conflicting_pair_with_the_paths(box: Sandbox) -> None:
    first, second = box.add_task("T1-01"), box.add_task("T1-02")
    box.write(
        first, {"shared.py": "value = 1\n", "tests/test_shared.py": "def test_a():\n    pass\n"}
    )
    box.write(
        second, {"shared.py": "value = 2\n", "tests/test_other.py": "def test_b():\n    pass\n"}
    )
    box.commit(first)
    box.commit(second)

    assert box.review(first).passed
    box.merge(first)
    review = box.review(second)

    repo = gate(review, 4)
    assert repo.verdict == "fail"
    assert "conflicts in" in repo.evidence and "- shared.py" in repo.evidence
    assert "tests/test_other.py" not in repo.evidence


def test_repo_fails_work_on_a_protected_branch(box: Sandbox) -> None:
    task = box.add_task("T1-01")
    box.commit(task)
    git(box.worktree(task), "checkout", "-q", "-b", "elsewhere")

    repo = gate(box.review(task), 4)

    assert repo.verdict == "fail" and "not the task branch" in repo.evidence


def test_tdd_needs_tests_with_code_and_a_passing_test_command(box: Sandbox) -> None:
    untested = reviewed(box, {"lib/calc.py": "def add(a, b):\n    return a + b\n"})
    tdd = gate(untested, 8)
    assert tdd.verdict == "fail" and "lib/calc.py" in tdd.evidence


def test_tdd_passes_with_tests_and_runs_the_test_command(box: Sandbox) -> None:
    review = reviewed(
        box,
        {"calc.py": "def add(a, b):\n    return a + b\n",
         "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
        test_command="python -c \"import sys; sys.path.insert(0, '.'); from calc import add; "
        "assert add(1, 2) == 3\"",
    )  # fmt: skip
    assert gate(review, 8).verdict == "pass"


def test_tdd_reports_a_failing_test_command(box: Sandbox) -> None:
    review = reviewed(box, {"notes.md": "hi\n"}, test_command="echo '1 failed, 3 passed'; exit 1")
    tdd = gate(review, 8)
    assert tdd.verdict == "fail" and "1 failed, 3 passed" in tdd.evidence


CONSTITUTION = """
forbidden:
  - pattern: "\\\\bprint\\\\("
    message: use the logger, not print
    globs: ["src/**"]
required_headers:
  - globs: ["src/**/*.py"]
    pattern: "^# SPDX-License-Identifier: "
    message: every module starts with its licence
"""


def test_constitution_enforces_forbidden_patterns_and_headers(box: Sandbox) -> None:
    git_files = {"RULES.yaml": CONSTITUTION}
    for name, text in git_files.items():
        (box.repo / name).write_text(text)
    git(box.repo, "add", "-A")
    git(box.repo, "commit", "-q", "-m", "rules")
    git(box.repo, "branch", "-f", box.wave_branch, "main")
    task = box.add_task("T1-01")
    box.write(task, {"src/app.py": "import os\nprint('hi')\n",
                     "src/ok.py": "# SPDX-License-Identifier: MIT\nx = 1\n",
                     "scripts/tool.py": "print('fine here')\n",
                     # The agent cannot loosen the rules it is judged by.
                     "RULES.yaml": "forbidden: []\n"})  # fmt: skip
    box.commit(task)

    review = box.review(task, config=with_thor(box.config, constitution_file="RULES.yaml"))

    rules = gate(review, 9)
    assert rules.verdict == "fail"
    assert "use the logger, not print" in rules.evidence and "src/app.py:2" in rules.evidence
    assert "every module starts with its licence" in rules.evidence
    assert "src/ok.py" not in rules.evidence and "scripts/tool.py" not in rules.evidence


def test_constitution_skips_without_a_file_and_fails_when_invalid(box: Sandbox) -> None:
    missing = reviewed(box, {"a.txt": "x\n"}, constitution_file="NOPE.yaml")
    assert gate(missing, 9).verdict == "skip"

    (box.repo / "BAD.yaml").write_text("forbidden: [{pattern: '('}]\n")
    task = box.add_task("T1-02")
    box.write(task, {"b.txt": "y\n"})
    box.commit(task)
    bad = gate(box.review(task, config=with_thor(box.config, constitution_file="BAD.yaml")), 9)
    assert bad.verdict == "fail" and "invalid regular expression" in bad.evidence


def test_invalid_regex_in_thor_settings_is_a_config_error_with_its_line(
    tmp_path: Path, shipped_config: Config
) -> None:
    from convergio_tui import paths

    text = paths.shipped_config_path().read_text()
    bad = text.replace("commit_message_pattern: null", 'commit_message_pattern: "feat(("')
    assert bad != text
    path = tmp_path / "orchestrator.yaml"
    path.write_text(bad)

    with pytest.raises(ConfigError) as err:
        load_config(path)

    problem = err.value.problems[0]
    assert problem.key.endswith("commit_message_pattern")
    assert (
        problem.line
        == bad.splitlines().index(next(line for line in bad.splitlines() if "feat((" in line)) + 1
    )


def test_a_named_branch_that_does_not_exist_fails_gate_4(box: Sandbox) -> None:
    from convergio_tui.thor.review import TaskReviewInput, review_task

    task = box.add_task("T1-01")
    box.worktree(task)
    review = review_task(
        TaskReviewInput(
            task_id=task.id, run_id=None, round=1, repo=box.repo, worktree=box.worktree(task),
            task_branch="convergio/1/T9-99", wave_branch=box.wave_branch, config=box.config,
            worker_success=True, worker_error="", result_text="",
        )
    )  # fmt: skip

    repo = gate(review, 4)
    assert not review.passed
    assert repo.verdict == "fail" and "convergio/1/T9-99" in repo.evidence


def test_a_hanging_command_is_killed_at_the_timeout_with_its_children(box: Sandbox) -> None:
    import time

    task = box.add_task("T1-01", verify=["echo started; sleep 30 & sleep 30"])
    box.commit(task)
    started = time.monotonic()

    review = box.review(task, config=with_thor(box.config, command_timeout_s=0.5))

    assert time.monotonic() - started < 25  # its children sleep 30 s: they were killed
    compliance = gate(review, 1)
    assert compliance.verdict == "fail" and "timed out" in compliance.evidence
    assert "started" in compliance.evidence
