"""Bad input ends cleanly: alias bombs, deep nesting, oversized prompts and a filesystem
root as the project exit 2 with file:line and write nothing; a command line too long for
the OS is refused before spawning and blocks the task (not a Thor rejection)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from engine_fixtures import engine_config, import_spec, make_repo, sim_calls, task

from convergio_tui import paths
from convergio_tui.config.errors import PlanSpecError
from convergio_tui.config.yaml_lines import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    LocatedYamlError,
    load_located,
    load_located_text,
)
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.plan_spec import load_plan_spec
from convergio_tui.providers.argv_limits import MAX_ARG_STRLEN, PROMPT_MAX_BYTES, argv_problem
from convergio_tui.store.models import GateResult, Run, Task

# 9 strings, each level 9 aliases of the one before: 9^9 values from ~430 bytes.
BOMB = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
)


# One 90 KB string and 3,000 aliases of it: few values, but 270 MB once expanded.
STRING_BOMB = (
    "name: x\nproject: demo\nwaves:\n  - name: w\n    tasks:\n      - code: T1\n"
    '        title: t\n        type: coding\n        prompt: &p "' + "y" * 90_000 + '"\n'
    "        files: [" + ",".join(["*p"] * 3000) + "]\n"
)


def good_spec(project: Path, prompt: str = "Write the helper", **top: str) -> str:
    spec = {"name": "limits", "project": str(project), **top, "waves": [{"name": "w1", "tasks": [
        {"code": "T1", "title": "helper", "prompt": prompt, "type": "coding"}]}]}  # fmt: skip
    return yaml.safe_dump(spec, sort_keys=False, width=1_000_000)


def plan_count(db: Path) -> int:
    raw = sqlite3.connect(db)
    try:
        return int(raw.execute("SELECT COUNT(*) FROM plan").fetchone()[0])
    finally:
        raw.close()


@pytest.fixture
def db_with_one_plan(tmp_path: Path) -> Path:
    """A database already holding one imported plan (so "nothing written" is checkable)."""
    project = make_repo(tmp_path / "proj")  # a project is the top of a git repository
    spec = tmp_path / "good.yaml"
    spec.write_text(good_spec(project))
    db = tmp_path / "c.db"
    result = run_cli("--db", str(db), "plan", "import", str(spec))
    assert result.returncode == 0, result.stderr
    assert plan_count(db) == 1
    return db


def deep_plan(depth: int) -> str:
    return "name: x\nproject: demo\nwaves: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BOMB, 6, "aliases expand this to more than"),
        (deep_plan(5000), 3, f"nested more than {MAX_DEPTH} levels deep"),
        (STRING_BOMB, 10, "MiB of text (an alias bomb?)"),
    ],
    ids=["alias-bomb", "5000-deep", "string-alias-bomb"],
)
def test_hostile_plan_spec_exits_2_located_and_writes_nothing(
    tmp_path: Path, db_with_one_plan: Path, text: str, line: int, message: str
) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(text)
    result = run_cli("--db", str(db_with_one_plan), "plan", "import", str(spec))
    assert result.returncode == 2, result.stderr
    assert f"{spec}:{line}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
    assert plan_count(db_with_one_plan) == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BOMB, 6, "aliases expand this to more than"),
        ("providers:\n  x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", 2, "levels deep"),
    ],
    ids=["alias-bomb", "5000-deep"],
)
def test_hostile_config_fails_config_check_with_its_location(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    config = tmp_path / "orchestrator.yaml"
    config.write_text(text)
    result = run_cli("--config", str(config), "config", "check", "--json")
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert [(e["file"], e["line"]) for e in doc["errors"]] == [(str(config), line)]
    assert message in doc["errors"][0]["message"]
    # Every command loads the configuration the same way.
    listed = run_cli("--config", str(config), "--db", str(tmp_path / "c.db"), "budget")
    assert listed.returncode == 2 and f"{config}:{line}: " in listed.stderr
    assert "Traceback" not in listed.stderr


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: &a [1, *a]\n", 1, "an alias refers to a collection that contains it"),
        ("a: 1\nb: \x01\n", 2, "character #x0001 is not allowed"),
        ("? [1, 2]\n: 3\n", 1, "a key must be a plain value"),
        ("a:\n  b: " + "9" * 5000 + "\n", 2, "unreadable value"),
        ("a: [" + "1," * 100_001 + "1]\n", 1, "more than 100000 values"),
        # Each anchor one level deeper than the last: 200 levels after expansion.
        ("".join(f"a{i}: &a{i} [{f'*a{i - 1}' if i else 1}]\n" for i in range(200)), None,
         "levels deep"),
    ],
    ids=["recursive-alias", "control-char", "complex-key", "huge-int", "too-many", "alias-depth"],
)  # fmt: skip
def test_other_malformed_yaml_is_a_located_problem(
    text: str, line: int | None, message: str
) -> None:
    with pytest.raises(LocatedYamlError) as caught:
        load_located_text(text, "f.yaml")
    problem = caught.value.problem
    assert message in problem.message
    if line is not None:
        assert problem.line == line


def test_plain_aliases_and_the_shipped_config_still_load() -> None:
    data = load_located_text("base: &b {x: 1}\nc: *b\nd: [*b, *b]\n", "f.yaml").data
    assert data == {"base": {"x": 1}, "c": {"x": 1}, "d": [{"x": 1}, {"x": 1}]}
    assert "providers" in load_located(paths.shipped_config_path()).data


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: |\n" + ("  " + "x" * 1000 + "\n") * (MAX_FILE_BYTES // 1000 + 1))
    with pytest.raises(LocatedYamlError, match="larger than 4 MiB"):
        load_located(big)


def test_prompt_over_the_import_limit_exits_2_at_its_line(
    tmp_path: Path, db_with_one_plan: Path
) -> None:
    project = tmp_path / "proj"
    spec = tmp_path / "big.yaml"
    spec.write_text(good_spec(project, "x" * (PROMPT_MAX_BYTES + 1)))
    result = run_cli("--db", str(db_with_one_plan), "plan", "import", str(spec))
    assert result.returncode == 2, result.stderr
    prompt_line = (
        spec.read_text()
        .splitlines()
        .index(next(line for line in spec.read_text().splitlines() if "prompt:" in line))
    )
    assert f"{spec}:{prompt_line + 1}: waves.0.tasks.0.prompt: the prompt is 96 KiB" in (
        result.stderr
    )
    assert plan_count(db_with_one_plan) == 1
    # At the limit exactly, it imports.
    spec.write_text(good_spec(project, "x" * PROMPT_MAX_BYTES))
    assert run_cli("--db", str(db_with_one_plan), "plan", "import", str(spec)).returncode == 0


@pytest.mark.parametrize("project", ["/", "../../../../../../../../..", "   "])
def test_a_root_or_empty_project_is_refused(
    tmp_path: Path, db_with_one_plan: Path, project: str
) -> None:
    spec = tmp_path / "root.yaml"
    spec.write_text(
        good_spec(Path("."), privacy="sensitive").replace("project: .", f"project: '{project}'")
    )
    result = run_cli("--db", str(db_with_one_plan), "plan", "import", str(spec))
    assert result.returncode == 2, result.stderr
    assert f"{spec}:2: project: " in result.stderr
    assert ("filesystem root" in result.stderr) or ("is empty" in result.stderr)
    assert plan_count(db_with_one_plan) == 1


def test_plan_privacy_is_validated(tmp_path: Path) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(good_spec(tmp_path, privacy="secret"))
    result = run_cli("--db", str(tmp_path / "c.db"), "plan", "import", str(spec))
    assert result.returncode == 2 and f"{spec}:3: privacy: " in result.stderr


def test_argv_problem_names_each_os_limit() -> None:
    fits = ["copilot", "-p", "x" * (MAX_ARG_STRLEN - 1)]
    assert argv_problem(fits, {}, string_limit=MAX_ARG_STRLEN, total_limit=1 << 21) is None
    one_long = ["copilot", "-p", "x" * MAX_ARG_STRLEN]
    why = argv_problem(one_long, {}, string_limit=MAX_ARG_STRLEN, total_limit=1 << 21)
    assert why is not None and "over 128 KiB" in why
    many = ["x" * 100_000] * 25
    why = argv_problem(many, {"A": "b"}, string_limit=MAX_ARG_STRLEN, total_limit=1 << 21)
    assert why is not None and "arguments and environment" in why
    env_long = {"BIG": "y" * MAX_ARG_STRLEN}
    why = argv_problem(["a"], env_long, string_limit=MAX_ARG_STRLEN, total_limit=1 << 22)
    assert why is not None and "environment variable BIG" in why


def test_a_command_line_too_long_for_the_os_blocks_the_task_before_spawning(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    # A template that places the prompt twice in one argument: an 80 KiB prompt (under
    # the import limit) becomes a 160 KiB argument, which execve would refuse (E2BIG).
    cli = ["copilot", "-p", "{prompt}\n\n{prompt}", "--output-format", "json",
           "--allow-all-tools", "--no-ask-user", "--model", "{model}", "--no-auto-update"]  # fmt: skip
    config = engine_config(repo, ollama, providers={"copilot": {"cli": cli}})
    prompt = "SIM: write a.txt <<<a\\n>>>\n" + "x" * (80 * 1024)
    plan = import_spec(config, tmp_path, [[task("T1", prompt, provider="copilot")]])
    Executor(config, plan).run()

    assert sim_calls(sim_bin) == []  # nothing was spawned
    t = Task.get()
    assert t.status == "blocked" and t.round == 1
    assert t.blocked_reason is not None and "cannot be started" in t.blocked_reason
    run = Run.get()
    assert run.error_class == "argv_too_large" and run.cost_usd == 0
    assert GateResult.select().count() == 0  # Thor never judged it


def test_a_long_dependency_chain_is_checked_without_recursion(tmp_path: Path) -> None:
    # Each task depends on the next: 3,000 deep, past Python's recursion limit.
    n = 3000
    tasks = [{"code": f"T{i}", "title": "t", "prompt": "p", "type": "coding",
              "depends_on": [f"T{(i + 1) % n}"] if i < n - 1 else []} for i in range(n)]  # fmt: skip
    spec = tmp_path / "chain.yaml"
    spec.write_text(yaml.safe_dump({"name": "c", "project": str(tmp_path),
                                    "waves": [{"name": "w", "tasks": tasks}]}))  # fmt: skip
    assert len(load_plan_spec(spec).waves[0].tasks) == n
    tasks[-1]["depends_on"] = ["T0"]  # close the loop
    spec.write_text(yaml.safe_dump({"name": "c", "project": str(tmp_path),
                                    "waves": [{"name": "w", "tasks": tasks}]}))  # fmt: skip
    with pytest.raises(PlanSpecError) as caught:
        load_plan_spec(spec)
    [problem] = caught.value.problems
    assert (
        problem.message
        == "dependency cycle: T0 -> T1 -> T2 -> T3 -> T4 -> T5 -> ... -> T2998 -> T2999 -> T0"
    )
