"""The wave gate verifies the wave: two tasks that each pass alone but break together are
caught on the merged wave branch, both are sent back with the evidence, and the plan is
done only once the wave's tests pass. Real engine, real git, real pytest (detected), the
simulated agents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from engine_fixtures import dump, engine_config, import_spec, make_repo, sim_calls, task

from convergio_tui.config.schema import Config
from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import GateResult, Task, Wave
from convergio_tui.thor.gates.base import GateContext, TaskBrief
from convergio_tui.thor.gates.compliance import ComplianceGate
from convergio_tui.thor.git import DiffInfo
from convergio_tui.thor.shell import CommandClock

CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
# T1 gives add a third argument and updates its own test: it passes alone. Its first round
# takes a few seconds, so T2 (started with it) branches from the wave before T1 is merged.
# Told of the break, its second round gives the new argument a default, with a test.
T1 = task(
    "T1",
    "Give add a third argument.\n"
    "SIM[round<2]: delay=3\n"
    "SIM[round<2]: write calc.py <<<def add(a, b, c):\\n    return a + b + c\\n>>>\n"
    "SIM[round<2]: write tests/test_calc.py <<<from calc import add\\n\\n\\ndef test_add():\\n"
    "    assert add(1, 2, 0) == 3\\n>>>\n"
    "SIM[round>=2]: write calc.py <<<def add(a, b, c=0):\\n    return a + b + c\\n>>>\n"
    "SIM[round>=2]: write tests/test_calc.py <<<from calc import add\\n\\n\\ndef test_add():\\n"
    "    assert add(1, 2, 0) == add(1, 2) == 3\\n>>>\n",
    provider="claude", files=["calc.py"],
)  # fmt: skip
# T2 adds a test calling add(2, 2): it passes alone, on the old add. Told of the break, its
# second round calls the new add.
T2 = task(
    "T2",
    "Test adding a number to itself.\n"
    "SIM[round<2]: write tests/test_twice.py <<<from calc import add\\n\\n\\ndef test_twice():\\n"
    "    assert add(2, 2) == 4\\n>>>\n"
    "SIM[round>=2]: write tests/test_twice.py <<<from calc import add\\n\\n\\ndef test_twice():\\n"
    "    assert add(2, 2, 0) == 4\\n>>>\n",
    provider="claude", type="test", files=["tests/test_twice.py"],
)  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"calc.py": CALC, "tests/test_calc.py": TEST_CALC})


def test_a_combined_break_is_caught_on_the_wave_branch_and_both_tasks_go_back(
    tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str,
    python3_with_pytest: Path,
) -> None:  # fmt: skip
    config = engine_config(repo, ollama)
    plan_id = import_spec(config, tmp_path, [[T1, T2]])

    summary = Executor(config, plan_id).run()

    assert summary.status == "done", dump()
    wave = Wave.get(Wave.plan == plan_id)
    gate10 = {g.round: g for g in GateResult.select().where(
        (GateResult.wave == wave.id) & GateResult.task.is_null() & (GateResult.gate == 10))}  # fmt: skip
    first = gate10[min(gate10)]
    assert first.verdict == "fail", first.evidence
    assert "tests/test_twice.py::test_twice" in first.evidence
    assert "detected from" in first.evidence  # where the test command came from
    assert "it touches the changes of T1, T2" in first.evidence
    assert gate10[max(gate10)].verdict == "pass"
    tasks = {t.code: t for t in Task.select()}
    assert tasks["T1"].round == 2 and tasks["T2"].round == 2  # both were sent back
    second_prompts = [c["prompt"] for c in sim_calls(sim_bin) if "round 1: build" in c["prompt"]]
    assert len(second_prompts) == 2 and all("test_twice" in p for p in second_prompts)
    # What the plan reports done is green: the final wave branch's tests pass.
    checkout = tmp_path / "final"
    subprocess.run(["git", "worktree", "add", "-q", str(checkout), str(wave.branch)], cwd=repo,
                   check=True, capture_output=True)  # fmt: skip
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=checkout, capture_output=True, text=True)  # fmt: skip
    assert tests.returncode == 0, tests.stdout


def test_a_task_the_wave_sent_back_may_add_nothing_a_task_never_merged_may_not(
    tmp_path: Path, shipped_config: Config
) -> None:
    """Its earlier work is on the wave branch: a round whose checks now pass because
    another task fixed the break is not a task that did nothing."""
    gate = ComplianceGate()

    def verdict(sent_back: bool) -> str:
        brief = TaskBrief(1, "T2", ("tests/test_twice.py",), (), "validating", "internal",
                          "test", sent_back_by_wave=sent_back)  # fmt: skip
        ctx = GateContext(scope="task", config=shipped_config, repo=tmp_path, workdir=tmp_path,
                          base="convergio/p/wave-1", head="convergio/p/T2/work",
                          diff=DiffInfo("convergio/p/wave-1", "convergio/p/T2/work"),
                          clock=CommandClock(), tasks=[brief])  # fmt: skip
        return gate.check(ctx).verdict

    assert verdict(sent_back=True) == "pass"
    assert verdict(sent_back=False) == "fail"
