"""The hand-off text and values (engine/handoff.py): what the user is told to do with a
plan's result, built from plain values (the git side is tested in test_handoff_run.py)."""

from __future__ import annotations

import shlex

from convergio_tui.engine.handoff import (
    DiffStat,
    Handoff,
    handoff_lines,
    headline,
    parse_stat,
    waves_text,
)

STAT = (
    " calc.py          | 3 ++-\n"
    " tests/test_x.py  | 4 ++++\n"
    " 2 files changed, 6 insertions(+), 1 deletion(-)\n"
)


def done(**changes: object) -> Handoff:
    """A finished two-wave plan's hand-off, ``changes`` applied."""
    values: dict[str, object] = {
        "repo": "/work/my project", "base": "main", "complete": True,
        "branch": "convergio/ab12/wave-2", "waves_merged": (1, 2), "waves_total": 2,
        "stat": parse_stat(STAT),
    }  # fmt: skip
    values.update(changes)
    return Handoff(**values)  # type: ignore[arg-type]


def test_a_stat_is_read_into_file_lines_and_counts() -> None:
    stat = parse_stat(STAT)
    assert (stat.files_changed, stat.insertions, stat.deletions) == (2, 6, 1)
    assert stat.summary == "2 files changed, 6 insertions(+), 1 deletion(-)"
    assert [line.split("|")[0].strip() for line in stat.lines] == ["calc.py", "tests/test_x.py"]
    assert parse_stat(" 1 file changed, 2 deletions(-)\n").deletions == 2
    assert parse_stat("") == DiffStat()


def test_a_long_stat_keeps_twenty_file_lines_and_counts_the_rest() -> None:
    rows = "".join(f" f{i}.txt | 1 +\n" for i in range(30))
    stat = parse_stat(rows + " 30 files changed, 30 insertions(+)\n")
    assert len(stat.lines) == 20 and stat.more == 10 and stat.files_changed == 30
    text = "\n".join(handoff_lines(done(stat=stat)))
    assert "f19.txt" in text and "f20.txt" not in text
    assert "… 10 more file(s)" in text and "30 files changed, 30 insertions(+)" in text


def test_a_done_plan_names_its_final_branch_the_stat_and_the_commands() -> None:
    h = done()
    lines = handoff_lines(h)
    assert lines[0] == (
        "result: convergio/ab12/wave-2 holds the plan's work (waves 1-2), made from main"
    )
    text = "\n".join(lines)
    assert "calc.py          | 3 ++-" in text
    assert "2 files changed, 6 insertions(+), 1 deletion(-)" in text
    # The commands are shell words: a path with a space stays one argument.
    assert h.merge_command == (
        "git -C '/work/my project' switch main && "
        "git -C '/work/my project' merge --no-ff convergio/ab12/wave-2"
    )
    assert shlex.split(h.merge_command.split(" && ")[1])[2] == "/work/my project"
    assert h.review_command == "git -C '/work/my project' diff main...convergio/ab12/wave-2"
    assert f"merge:  {h.merge_command}" in text and f"review: {h.review_command}" in text
    assert headline(h) == "merge convergio/ab12/wave-2 into main"


def test_a_plan_that_stopped_says_which_waves_passed_so_far() -> None:
    h = done(complete=False, branch="convergio/ab12/wave-1", waves_merged=(1,), waves_total=3)
    text = "\n".join(handoff_lines(h))
    assert text.startswith("result so far: wave 1 of 3 passed Thor's wave review")
    assert "the plan is not finished; to take this part anyway:" in text
    assert "merge:  " not in text
    assert headline(h) == "wave 1 of 3 passed so far: on convergio/ab12/wave-1"


def test_without_worktrees_the_work_is_in_the_working_tree() -> None:
    h = Handoff(repo="/r", base="main", complete=True, worktrees=False)
    text = "\n".join(handoff_lines(h))
    assert "execution.worktrees: false" in text and "working tree" in text
    assert h.merge_command is None and "git -C /r status" in text
    assert h.as_dict()["branch"] is None and h.as_dict()["merge_command"] is None


def test_nothing_to_merge_is_said_plainly() -> None:
    assert handoff_lines(done(branch=None, waves_merged=())) == [
        "result: the plan merged nothing; nothing to merge"
    ]
    merged = done(already_merged=True)
    assert "main already has this work" in "\n".join(handoff_lines(merged))
    assert "merge:" not in "\n".join(handoff_lines(merged))
    failed = "\n".join(handoff_lines(done(problem="no branch main in /r")))
    assert "(no diff stat: no branch main in /r)" in failed and "review: " in failed


def test_the_json_form_reads_back_and_names_every_documented_key() -> None:
    h = done()
    data = h.as_dict()
    assert Handoff.from_dict(data) == h
    assert set(data) == {
        "complete", "repo", "base", "worktrees", "branch", "waves_merged", "waves_total",
        "diff_stat", "files_changed", "insertions", "deletions", "files", "files_more",
        "already_merged", "problem", "review_command", "merge_command",
    }  # fmt: skip
    assert (data["files_changed"], data["insertions"], data["deletions"]) == (2, 6, 1)


def test_wave_ranges_read_naturally() -> None:
    assert waves_text((1,)) == "wave 1"
    assert waves_text((1, 2, 3)) == "waves 1-3"
    assert waves_text((1, 3)) == "waves 1, 3"
