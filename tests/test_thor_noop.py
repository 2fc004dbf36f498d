"""A task that had to change files and changed none fails gate 1 (compliance), and every
summary of a round counts its passes and skips apart (docs/architecture.md, "What Thor's
verdicts say")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config_dict, write_config
from test_thor_support import Sandbox

from convergio_tui.config.schema import Config
from convergio_tui.store.models import GateResult, Task


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    """A project with one wave, in a real database file."""
    return Sandbox(tmp_path, shipped_config)


def setup_plan(
    repo: Path, ollama: str, tmp_path: Path, tasks: list[dict[str, object]]
) -> list[str]:
    """Config with one round per task (a rejection escalates at once) and the plan imported
    through the CLI; returns the global options."""
    data = engine_config_dict(repo, ollama, thor={"max_rounds": 1})
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    spec = tmp_path / "plan.yaml"
    spec.write_text(json.dumps({"name": "noop", "project": "demo",
                                "waves": [{"name": "only", "tasks": tasks}]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec))
    assert proc.returncode == 0, proc.stderr
    return opts


def t(code: str, kind: str, prompt: str) -> dict[str, object]:
    """A task of the spec."""
    return {"code": code, "title": f"do {code}", "type": kind, "prompt": prompt}


def test_a_docs_task_that_changes_nothing_is_rejected_and_the_summaries_count_skips_apart(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    opts = setup_plan(repo, ollama, tmp_path, [
        t("D1", "docs", "Document the app in docs/app.md."),  # the agent writes nothing
        t("C1", "coding", "Add a note.\nSIM: write notes.txt <<<note\\n>>>"),
        t("R1", "research", "What changed upstream?"),  # an answer in words is its work
    ])  # fmt: skip
    proc = run_cli(*opts, "run", "noop")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr  # the escalation waits for a person
    rejected = re.search(r"D1\s+escalated\s+rejected in round 1: (.*)", out)
    assert rejected, out
    assert re.match(r"\d+ passed, 1 failed \(compliance\), \d+ skipped: \w", rejected.group(1))
    assert re.search(r"C1\s+done\s+accepted by Thor: [1-9]\d* passed, \d+ skipped: ", out), out
    assert re.search(r"R1\s+done\s+accepted by Thor: ", out), out
    assert not re.search(r"passed: \d+ gates", out)

    shown = run_cli(*opts, "escalations", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "changed no file: the diff against" in shown.stdout
    assert "a docs task is expected to change files" in shown.stdout
    assert re.search(r"\n  \d+ passed, 1 failed \(compliance\), \d+ skipped: ", shown.stdout)
    listed = run_cli(*opts, "escalations", "list").stdout
    assert re.search(r"last round: \d+ passed, 1 failed \(compliance\), \d+ skipped", listed)

    doc = json.loads(run_cli(*opts, "escalations", "show", "1", "--json").stdout)
    (first,) = doc["rounds"]
    assert first["failed"] == 1 and first["skipped"] >= 1 and first["passed"] >= 1
    assert first["passed"] + first["failed"] + first["skipped"] == len(first["gates"])
    assert first["summary"].startswith(f"{first['passed']} passed, 1 failed (compliance)")
    skips = [g for g in first["gates"] if g["verdict"] == "skip"]
    assert all(g["evidence"] for g in skips)  # the record keeps why each gate skipped


def test_the_gate_says_why_only_work_that_had_to_change_files_fails(box: Sandbox) -> None:
    review_only = box.add_task("T1-01", type="review")
    declared = box.add_task("T1-02", type="research", files=["docs/answer.md"])
    test_task = box.add_task("T1-03", type="test")
    for task in (review_only, declared, test_task):
        box.commit(task)  # an empty round, as the engine commits one
    assert box.review(review_only).passed
    assert not box.review(declared).passed
    assert not box.review(test_task).passed
    evidence = {
        t.code: GateResult.get((GateResult.task == t.id) & (GateResult.gate == 1)).evidence
        for t in (declared, test_task)
    }
    assert "it declares files that must change: docs/answer.md" in evidence["T1-02"]
    assert "declared files not changed" not in evidence["T1-02"]  # said once, not twice
    assert "a test task is expected to change files" in evidence["T1-03"]


def test_a_docs_task_that_changes_a_file_passes_compliance(box: Sandbox) -> None:
    task = box.add_task("T1-01", type="docs")
    box.write(task, {"docs/usage.md": "# Usage\n"})
    box.commit(task)
    review = box.review(task)
    assert review.passed, review.evidence_text
    gate = GateResult.get((GateResult.task == task.id) & (GateResult.gate == 1))
    assert gate.verdict == "pass" and "1 file(s) changed" in gate.evidence
    assert Task.get_by_id(task.id).type == "docs"
