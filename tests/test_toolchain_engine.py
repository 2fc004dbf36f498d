"""Detected test commands through the real engine: with no ``test_command`` configured,
Thor's TDD gate runs the project's own tests (pytest for a tiny Python package, ``npm
test`` with Node's built-in runner for a tiny Node package), rejects the round whose
code breaks them and accepts the one that fixes it, saying where the command came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine_fixtures import dump, engine_config, import_spec, make_repo, task

from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import GateResult, Task

IGNORE = "__pycache__/\n.pytest_cache/\nnode_modules/\n"


def gate8(task_id: int) -> dict[int, tuple[str, str]]:
    """round -> (verdict, evidence) of the TDD gate."""
    rows = GateResult.select().where(GateResult.task == task_id, GateResult.gate == 8)
    return {int(r.round): (str(r.verdict), str(r.evidence)) for r in rows}


def run_plan(repo: Path, tmp_path: Path, ollama: str, prompt: str) -> Task:
    """One coding task with ``prompt`` through the executor; the task when it is done."""
    config = engine_config(repo, ollama)
    assert "test_command" not in config.thor.model_fields_set  # the shipped file leaves it out
    plan_id = import_spec(config, tmp_path, [[task("T1-01", prompt, provider="claude")]])
    summary = Executor(config, plan_id).run()
    assert summary.status == "done", dump()
    return Task.get(Task.plan == plan_id)


def sim_write(path: str, text: str, rounds: str = "") -> str:
    body = text.replace("\n", "\\n")
    return f"SIM{rounds}: write {path} <<<{body}>>>"


PY_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"


def test_detected_pytest_rejects_the_breaking_round_then_passes(
    tmp_path: Path, engine_db: Path, sim_bin: Path, ollama: str, python3_with_pytest: Path
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            ".gitignore": IGNORE,
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0"\n\n'
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
            "calc/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": PY_TEST,
        },
    )
    prompt = "\n".join([
        "Add mul(a, b) to calc with a test.",
        sim_write("calc/__init__.py", "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n", "[round<2]"),
        sim_write("calc/__init__.py", "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n", "[round>=2]"),
        sim_write("tests/test_mul.py", "from calc import mul\n\n\ndef test_mul():\n    assert mul(3, 4) == 12\n"),
    ])  # fmt: skip

    done = run_plan(repo, tmp_path, ollama, prompt)

    assert (done.round, done.validated_by) == (2, "thor")
    verdicts = gate8(done.id)
    origin = "detected from pyproject.toml [tool.pytest.ini_options]"
    command = "python3 -m pytest"
    assert verdicts[1][0] == "fail"
    assert f"`{command}` ({origin}) failed" in verdicts[1][1]
    assert "test_add" in verdicts[1][1] and "1 failed" in verdicts[1][1]
    assert verdicts[2] == (
        "pass",
        f"code changes come with test changes; `{command}` exit 0 ({origin})",
    )


NODE_TEST = (
    "const test = require('node:test');\nconst assert = require('node:assert');\n"
    "const { add } = require('../calc.js');\n\n"
    "test('add', () => { assert.strictEqual(add(2, 2), 4); });\n"
)


def test_detected_npm_test_with_nodes_runner_rejects_then_passes(
    tmp_path: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    # No silent skip: scripts/test installs Node and npm (the real CLIs need them).
    assert shutil.which("npm"), "npm is missing: run scripts/test, which installs it"
    package = {"name": "calc", "version": "1.0.0", "scripts": {"test": "node --test"}}
    lock = {"name": "calc", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
            "packages": {"": {"name": "calc", "version": "1.0.0"}}}  # fmt: skip
    repo = make_repo(
        tmp_path / "repo",
        {
            ".gitignore": IGNORE,
            "package.json": json.dumps(package, indent=2) + "\n",
            "package-lock.json": json.dumps(lock, indent=2) + "\n",
            "calc.js": "exports.add = (a, b) => a + b;\n",
            "test/calc.test.js": NODE_TEST,
        },
    )
    prompt = "\n".join([
        "Add mul(a, b) to calc.js with a test.",
        sim_write("calc.js", "exports.add = (a, b) => a - b;\nexports.mul = (a, b) => a * b;\n", "[round<2]"),
        sim_write("calc.js", "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n", "[round>=2]"),
    ])  # fmt: skip

    done = run_plan(repo, tmp_path, ollama, prompt)

    assert (done.round, done.validated_by) == (2, "thor")
    verdicts = gate8(done.id)
    origin = "detected from package.json scripts.test, with npm from package-lock.json"
    assert verdicts[1][0] == "fail"
    assert f"`npm test` ({origin}) failed" in verdicts[1][1]
    assert "# fail 1" in verdicts[1][1]
    assert verdicts[2] == ("pass", f"`npm test` exit 0 ({origin})")


def test_a_makefiles_test_target_is_detected_and_run_by_the_gate(
    tmp_path: Path, engine_db: Path, sim_bin: Path, ollama: str
) -> None:
    # No silent skip: scripts/test installs make.
    assert shutil.which("make"), "make is missing: run scripts/test, which installs it"
    repo = make_repo(
        tmp_path / "repo",
        {
            "Makefile": "test:\n\tsh ./check.sh\n",
            "check.sh": 'grep -qx "ready" status.txt || { echo "status is not ready"; exit 1; }\n',
            "status.txt": "ready\n",
        },
    )
    prompt = "\n".join([
        "Update the status.",
        sim_write("status.txt", "broken\n", "[round<2]"),
        sim_write("status.txt", "ready\nsince today\n", "[round>=2]"),
        sim_write("check.sh", 'grep -qx "ready" status.txt || { echo "status is not ready"; exit 1; }\n# checked\n'),
    ])  # fmt: skip

    done = run_plan(repo, tmp_path, ollama, prompt)

    assert (done.round, done.validated_by) == (2, "thor")
    verdicts = gate8(done.id)
    assert verdicts[1][0] == "fail"
    assert "`make test` (detected from Makefile" in verdicts[1][1]
    assert "status is not ready" in verdicts[1][1]
    assert verdicts[2][0] == "pass" and "`make test` exit 0" in verdicts[2][1]
