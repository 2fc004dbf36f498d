"""The pure parts of ``convergio plan new`` (engine/planning/): the planning prompt and
its format generated from the plan schema, the YAML taken from an answer, the repository
view, a draft validated from text with line numbers, and the file name from a goal."""

from __future__ import annotations

import copy
import os
import typing
from pathlib import Path

import pytest
from engine_fixtures import make_repo, shipped_dict

from convergio_tui.commands.plan_new import slug
from convergio_tui.config.errors import PlanSpecError
from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec, TaskSpec, WaveSpec, plan_spec_from_text
from convergio_tui.engine.planning.draft import Brief, validate_draft
from convergio_tui.engine.planning.extract import MAX_PLAN_CHARS, extract_plan
from convergio_tui.engine.planning.prompt import (
    REJECTION_PREFIX,
    Rejection,
    build_prompt,
    plan_format,
    routing_text,
    task_types,
)
from convergio_tui.engine.planning.repo_view import read_repo_view, readme_head, shown_files
from convergio_tui.engine.planning.template import plan_template
from convergio_tui.providers.argv_limits import PROMPT_MAX_BYTES
from convergio_tui.sim.behaviour import count_round

VALID = """name: hello
project: demo
waves:
  - name: one
    tasks:
      - code: T1
        title: write hello
        type: coding
        prompt: Create hello.txt
"""


def shipped() -> Config:
    return Config.model_validate(shipped_dict())


def brief(**changes: object) -> Brief:
    base = Brief("Add a hello file", "demo", Path("/nowhere"), "Tracked files (0):", "")
    return Brief(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_the_format_names_every_key_the_validator_accepts() -> None:
    """Generated from the schema: a key added to PlanSpec, WaveSpec or TaskSpec is in the
    prompt, with its description, and every allowed value of a choice is listed."""
    text = plan_format()
    for model in (PlanSpec, WaveSpec, TaskSpec):
        for name, field in model.model_fields.items():
            assert f"  {name}: " in text, f"{model.__name__}.{name} missing from the format"
            assert field.description and field.description in text, (model.__name__, name)
    for name in ("type", "priority", "privacy"):
        for value in typing.get_args(TaskSpec.model_fields[name].annotation):
            for choice in typing.get_args(value) or (value,):
                if choice is not type(None):
                    assert str(choice) in text
    assert '  priority: P0 | P1 | P2 | P3, default "P1"' in text
    assert "  code: string, required, not empty, matches ^[A-Za-z0-9][A-Za-z0-9_.-]*$" in text
    assert "plan" not in task_types()  # a planning run's type, never a plan task's


def test_routing_text_follows_the_configuration() -> None:
    """What each type and priority means comes from routing:, not from the prompt's text."""
    data = copy.deepcopy(shipped_dict())
    data["routing"]["by_type"]["docs"] = {"preferred_providers": ["gemini", "claude"]}
    text = routing_text(Config.model_validate(data), "internal", None)
    assert "  docs: providers preferred gemini > claude; must change at least one file" in text
    assert "  research: providers preferred gemini > claude; may answer in words only" in text
    assert "  P3 (bulk): preferred opencode, copilot; fallback none; cost ceiling free" in text
    assert "privacy is internal: its tasks may go to copilot, opencode" in text
    limited = routing_text(shipped(), "sensitive", ("opencode",))
    assert "privacy is sensitive: its tasks may go to opencode." in limited


def test_the_prompt_holds_goal_rules_example_and_repository() -> None:
    prompt = build_prompt("Add a hello file", config=shipped(), project_value="..",
                          privacy="public", allowed=None, repository="Tracked files (7):",
                          example=plan_template())  # fmt: skip
    assert prompt.index("GOAL:\nAdd a hello file") < prompt.index("THE PLAN FORMAT")
    assert '`project:` must be exactly "..".' in prompt
    assert "Tracked files (7):" in prompt and "name: add-login" in prompt
    assert REJECTION_PREFIX not in prompt and count_round(prompt) == 1


def test_refused_rounds_accumulate_and_the_simulator_counts_them() -> None:
    """Each refused round adds a PLAN-REJECTION section (the simulated CLIs' ``round``);
    only the last refused plan is quoted back."""
    first = Rejection(1, ("plan.yaml:3: waves: List should have at least 1 item",), "bad: 1")
    second = Rejection(2, tuple(f"plan.yaml:{n}: x" for n in range(60)), "worse: 2")
    prompt = build_prompt("goal", config=shipped(), project_value="demo", privacy="public",
                          allowed=None, repository="", example="", rejections=[first, second])  # fmt: skip
    assert count_round(prompt) == 3
    assert "PLAN-REJECTION round 1: your plan was refused:\n  plan.yaml:3: waves:" in prompt
    assert "worse: 2" in prompt and "bad: 1" not in prompt
    assert "... and 20 more" in prompt
    assert prompt.rstrip().endswith(
        "Answer again with the whole corrected plan in one ```yaml block."
    )


def test_a_refused_plan_too_large_to_quote_is_left_out() -> None:
    huge = Rejection(1, ("plan.yaml:1: x",), "y" * PROMPT_MAX_BYTES)
    prompt = build_prompt("goal", config=shipped(), project_value="demo", privacy="public",
                          allowed=None, repository="", example="", rejections=[huge])  # fmt: skip
    assert "PLAN-REJECTION round 1" in prompt and "y" * 100 not in prompt


@pytest.mark.parametrize(
    ("answer", "expected", "source"),
    [
        (f"Here it is:\n```yaml\n{VALID}```\nGood luck.", VALID, "its ```yaml block"),
        (f"```yml\nold: 1\n```\nbetter:\n```YAML\n{VALID}```", VALID, "its ```yaml block"),
        (f"```\n{VALID}```", VALID, "its only fenced block"),
        (VALID, VALID, "the whole answer"),
        (
            f"````yaml\n{VALID}```\nstill inside\n````",
            VALID + "```\nstill inside\n",
            "its ```yaml block",
        ),
        (f"```yaml\n{VALID}", VALID, "its ```yaml block"),  # the closing fence never came
    ],
)
def test_the_plan_is_taken_from_the_answer(answer: str, expected: str, source: str) -> None:
    got = extract_plan(answer)
    assert (got.text, got.source, got.problem) == (expected, source, None)


def test_an_answer_without_a_usable_plan_says_why() -> None:
    assert "holds no plan" in str(extract_plan("```yaml\n```").problem)
    assert "over the" in str(extract_plan("a: " + "x" * MAX_PLAN_CHARS).problem)
    assert "was cut" in str(extract_plan("[…]tail of a long answer").problem)


def test_a_draft_is_validated_from_text_with_line_numbers() -> None:
    bad = VALID.replace("type: coding", "type: codeing").replace("project: demo", "project: ..")
    with pytest.raises(PlanSpecError) as refused:
        plan_spec_from_text(bad, "plan.yaml", Path("/nowhere"), ["claude"])
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.key) == ("plan.yaml", 8, "waves.0.tasks.0.type")
    with pytest.raises(PlanSpecError) as elsewhere:
        validate_draft(VALID.replace("project: demo", "project: other"), brief(), ["claude"])
    (problem,) = elsewhere.value.problems
    assert (problem.line, problem.key) == (2, "project") and "must be 'demo'" in problem.message
    assert validate_draft(VALID, brief(), ["claude"]).waves[0].tasks[0].code == "T1"


def test_the_repository_view_is_capped(tmp_path: Path) -> None:
    files = {f"pkg/sub/m{i:02}.py": "x = 1\n" for i in range(20)}
    readme = "# Title\n" + "".join(f"line {i}\n" for i in range(2000))
    repo = make_repo(tmp_path / "r", {"README.md": readme, "setup.cfg": "", **files,
                                      "pyproject.toml": "[tool.pytest.ini_options]\n"})  # fmt: skip
    (repo / "untracked.txt").write_text("not in git\n")
    view = read_repo_view(repo, shipped(), None, max_files=5, readme_chars=200)
    text = view.render()
    assert view.total_files == 23 and view.files[:3] == (
        "README.md",
        "pkg/sub/m00.py",
        "pkg/sub/m01.py",
    )
    assert "... and 18 more" in text and "untracked.txt" not in text
    assert (
        view.readme_cut and len(view.readme_head) <= 200 and view.readme_head.endswith("\nline 24")
    )
    assert any(line.startswith("test: `") and "detected from" in line for line in view.commands)


def test_shown_files_and_readme_head_are_pure() -> None:
    paths = ["a/b/c.py", "z.py", "a/x.py", "b.py"]
    assert shown_files(paths, 10) == ("a/b/c.py", "a/x.py", "b.py", "z.py")
    assert shown_files(paths, 3) == ("a/x.py", "b.py", "z.py")
    assert readme_head("one\ntwo\nthree\n", 9) == ("one\ntwo", True)
    assert readme_head("short", 9) == ("short", False)


@pytest.mark.parametrize(
    ("goal", "expected"),
    [("Add a login endpoint!", "add-a-login-endpoint"),
     ("  Ünïcode only ✓ \nsecond line", "n-code-only"), ("!!!", "plan"),
     ("x" * 100, "x" * 48)],
)  # fmt: skip
def test_the_default_file_name_comes_from_the_goal(goal: str, expected: str) -> None:
    assert slug(goal) == expected


def test_a_dead_plan_new_leaves_no_reservation_behind_and_charges_what_it_reported(
    engine_db: Path, tmp_path: Path, shipped_config: Config
) -> None:
    """Planning runs left ``running`` by a killed ``plan new`` are closed by the next one:
    interrupted; one whose log shows the tokens its agent had used is charged them at list
    prices, once; one that reported nothing only has its reservation released. A live one
    (this process's) is left alone."""
    import json

    from convergio_tui.engine import budget
    from convergio_tui.engine.planning.dispatch import close_stale_runs
    from convergio_tui.engine.pricing import token_cost
    from convergio_tui.store.models import Ledger, Run

    model = shipped_config.providers["claude"].default_model
    usage = {"input_tokens": 2000, "output_tokens": 500}
    event = {"type": "assistant", "message": {"id": "m1", "content": [], "usage": usage}}
    log = tmp_path / "plan-run.log"
    log.write_text(
        f"[convergio] $ claude -p --output-format stream-json\n[out] {json.dumps(event)}\n"
    )
    # Above the kernel's largest pid (pid_max is at most 2**22): no such process.
    dead = 2**22 + 7
    talked = Run.create(task=None, wave=None, provider="claude", model=model, engine_pid=dead,
                        log_path=str(log))  # fmt: skip
    silent = Run.create(task=None, wave=None, provider="claude", model=model, engine_pid=dead)
    mine = Run.create(task=None, wave=None, provider="claude", model=model, engine_pid=os.getpid())
    cfg = shipped_config.budget
    for run, usd in ((talked, 1.5), (silent, 1.0), (mine, 0.5)):
        assert budget.reserve(cfg, "claude", model, run.id, usd)

    assert sorted(close_stale_runs(shipped_config)) == sorted([talked.id, silent.id])
    assert close_stale_runs(shipped_config) == []  # closed once: nothing charged twice

    assert Run.get_by_id(talked.id).status == Run.get_by_id(silent.id).status == "interrupted"
    assert Run.get_by_id(mine.id).status == "running"
    priced = shipped_config.providers["claude"].model(model)
    assert priced is not None
    expected = token_cost(priced, 2000, 500)
    charges = list(Ledger.select().where(Ledger.kind == "charge"))
    assert [(c.run_id, c.usd) for c in charges] == [(talked.id, pytest.approx(expected))]
    assert expected > 0 and Run.get_by_id(talked.id).cost_usd == pytest.approx(expected)
    assert budget.status(cfg).reserved_usd == pytest.approx(0.5)
