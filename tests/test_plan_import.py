"""Plan import: valid specs are stored with routing; bad ones exit 2 and write nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import shipped_dict, write_config

GOOD = """\
name: add-login
project: {project}
waves:
  - name: foundations
    tasks:
      - code: T1-01
        title: Add password hashing helper
        prompt: Write a bcrypt-based helper
        type: coding
        priority: P0
        privacy: public
        files: [app/auth.py]
        verify: ["pytest -q"]
      - code: T1-02
        title: Research session storage
        prompt: Compare cookie and server sessions
        type: research
        priority: P2
        privacy: public
  - name: features
    tasks:
      - code: T2-01
        title: Store patient records
        prompt: Persist the records
        type: coding
        privacy: sensitive
        depends_on: [T1-01]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "webapp"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


def table_counts(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    raw = sqlite3.connect(db)
    counts = {
        t: raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("plan", "wave", "task", "project")
    }
    raw.close()
    return counts


def test_import_stores_plan_with_routing(tmp_path: Path, project: Path) -> None:
    spec = write_spec(tmp_path, GOOD.format(project=project))
    db = tmp_path / "c.db"
    # A public project: its tasks' own levels stand (a task may raise it, never lower it).
    config = shipped_dict()
    config["projects"] = {"webapp": {"path": str(project), "privacy": "public"}}
    cfg = write_config(tmp_path / "orchestrator.yaml", config)
    result = run_cli("--config", str(cfg), "--db", str(db), "plan", "import", str(spec), "--json")
    assert result.returncode == 0, result.stderr
    plan_id = json.loads(result.stdout)["plan_id"]

    shown = run_cli("--db", str(db), "plan", "show", str(plan_id), "--json")
    doc = json.loads(shown.stdout)
    assert doc["plan"]["name"] == "add-login"
    assert [w["name"] for w in doc["waves"]] == ["foundations", "features"]
    tasks = {t["code"]: t for w in doc["waves"] for t in w["tasks"]}
    assert (tasks["T1-01"]["provider"], tasks["T1-01"]["model"]) == ("claude", "claude-opus-4-5")
    assert tasks["T1-02"]["provider"] == "gemini"
    assert tasks["T2-01"]["provider"] == "opencode"
    # The key's older name stays in the JSON for scripts written against earlier versions.
    assert all(t["executor_agent"] == t["provider"] for t in tasks.values())
    assert tasks["T2-01"]["privacy"] == "sensitive" and tasks["T2-01"]["priority"] == "P1"
    assert any("privacy sensitive" in r for r in tasks["T2-01"]["reasons"])
    assert set(tasks["T1-01"]) >= {"code", "title", "type", "priority", "privacy", "provider",
                                   "executor_agent", "model", "status", "round", "cost_usd", "reasons"}  # fmt: skip

    listed = json.loads(run_cli("--db", str(db), "plan", "list", "--json").stdout)
    assert listed["plans"][0]["tasks"] == 3 and listed["plans"][0]["status"] == "todo"
    text = run_cli("--db", str(db), "plan", "show", "add-login")
    assert "T1-01" in text.stdout and "claude·claude-opus-4-5" in text.stdout


def test_default_privacy_is_the_projects(tmp_path: Path, project: Path) -> None:
    spec = write_spec(
        tmp_path, GOOD.format(project=project).replace("        privacy: public\n", "")
    )
    db = tmp_path / "c.db"
    plan_id = json.loads(run_cli("--db", str(db), "plan", "import", str(spec), "--json").stdout)[
        "plan_id"
    ]
    doc = json.loads(run_cli("--db", str(db), "plan", "show", str(plan_id), "--json").stdout)
    tasks = {t["code"]: t for w in doc["waves"] for t in w["tasks"]}
    assert tasks["T1-01"]["privacy"] == "internal"
    assert tasks["T1-01"]["provider"] == "copilot"  # internal: copilot or opencode only


BAD_CASES = [
    ("unknown key", ("        verify: [\"pytest -q\"]\n", "        verify: [\"pytest -q\"]\n        colour: red\n"),
     "colour: red", "waves.0.tasks.0.colour", "unknown key"),
    ("duplicate code", ("      - code: T1-02", "      - code: T1-01"),
     "      - code: T1-01\n        title: Research", "waves.0.tasks.1.code", "duplicate task code 'T1-01'"),
    ("missing dependency", ("depends_on: [T1-01]", "depends_on: [T9-99]"),
     "depends_on: [T9-99]", "waves.1.tasks.0.depends_on.0", "'T9-99', which no task has"),
    ("bad enum", ("type: research", "type: poetry"),
     "type: poetry", "waves.0.tasks.1.type", "Input should be"),
    ("bad priority", ("priority: P2", "priority: P7"), "priority: P7", "waves.0.tasks.1.priority", "'P0'"),
    ("bad privacy", ("privacy: sensitive", "privacy: secret"), "privacy: secret", "waves.1.tasks.0.privacy", "'sensitive'"),
    ("later wave dependency", ("        files: [app/auth.py]\n", "        files: [app/auth.py]\n        depends_on: [T2-01]\n"),
     "depends_on: [T2-01]", "waves.0.tasks.0.depends_on.0", "in a later wave"),
    ("unknown provider", ("        files: [app/auth.py]", "        provider: mistral\n        files: [app/auth.py]"),
     "provider: mistral", "waves.0.tasks.0.provider", "unknown provider 'mistral'"),
    ("unknown provider, older key", ("        files: [app/auth.py]", "        executor_agent: mistral\n        files: [app/auth.py]"),
     "executor_agent: mistral", "waves.0.tasks.0.executor_agent", "unknown provider 'mistral'"),
    ("provider twice", ("        files: [app/auth.py]", "        provider: claude\n        executor_agent: claude\n        files: [app/auth.py]"),
     "      - code: T1-01", "waves.0.tasks.0", "both `provider` and `executor_agent`"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "edit", "needle", "key", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_spec_exits_2_with_location_and_writes_nothing(
    tmp_path: Path,
    project: Path,
    case: str,
    edit: tuple[str, str],
    needle: str,
    key: str,
    message: str,
) -> None:
    text = GOOD.format(project=project)
    assert edit[0] in text
    text = text.replace(edit[0], edit[1], 1)
    spec = write_spec(tmp_path, text)
    db = tmp_path / "c.db"
    run_cli("--db", str(db), "init", str(tmp_path / "cfg"))  # an existing database, with no plan
    before = table_counts(db)
    result = run_cli("--db", str(db), "plan", "import", str(spec))
    assert result.returncode == 2, result.stdout + result.stderr
    line = text[: text.index(needle)].count("\n") + 1
    assert f"{spec}:{line}: {key}: " in result.stderr, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert table_counts(db) == before


def test_cycle_is_refused(tmp_path: Path, project: Path) -> None:
    text = GOOD.format(project=project)
    text = text.replace(
        '        verify: ["pytest -q"]\n',
        '        verify: ["pytest -q"]\n        depends_on: [T1-02]\n',
    )
    text = text.replace(
        "        priority: P2\n", "        priority: P2\n        depends_on: [T1-01]\n"
    )
    spec = write_spec(tmp_path, text)
    db = tmp_path / "c.db"
    result = run_cli("--db", str(db), "plan", "import", str(spec))
    assert result.returncode == 2
    assert "dependency cycle: T1-01 -> T1-02 -> T1-01" in result.stderr
    assert not db.exists()


def test_unknown_project_and_missing_file(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, GOOD.format(project="no-such-project"))
    result = run_cli("--db", str(tmp_path / "c.db"), "plan", "import", str(spec))
    assert result.returncode == 2 and "neither a project in the configuration" in result.stderr
    missing = run_cli("--db", str(tmp_path / "c.db"), "plan", "import", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize("key", ["provider", "executor_agent"])
def test_a_task_may_name_its_provider_by_either_key(
    tmp_path: Path, project: Path, key: str
) -> None:
    """``executor_agent`` is the older name of ``provider``: plans written with it still import."""
    text = GOOD.format(project=project).replace(
        "        files: [app/auth.py]", f"        {key}: copilot\n        files: [app/auth.py]", 1
    )
    db = tmp_path / "c.db"
    result = run_cli("--db", str(db), "plan", "import", str(write_spec(tmp_path, text)), "--json")
    assert result.returncode == 0, result.stderr
    plan_id = json.loads(result.stdout)["plan_id"]
    doc = json.loads(run_cli("--db", str(db), "plan", "show", str(plan_id), "--json").stdout)
    tasks = {t["code"]: t for w in doc["waves"] for t in w["tasks"]}
    assert tasks["T1-01"]["provider"] == "copilot"
    assert any("set explicitly on the task" in r for r in tasks["T1-01"]["reasons"])
