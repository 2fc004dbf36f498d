"""A project is its resolved path, not its name: another folder called like a sensitive
project is refused, naming the sensitive project by its path keeps it sensitive, a root or
a folder that is no repository is refused, and a spec may raise privacy, never lower it.
All through ``convergio plan import`` (exit 2 and nothing written on bad input)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli
from engine_fixtures import make_repo, shipped_dict, write_config


def config_file(tmp_path: Path, projects: dict[str, Any], **execution: Any) -> Path:
    """The shipped configuration with ``projects`` (and ``execution`` overrides)."""
    data = shipped_dict()
    data["projects"] = projects
    data["execution"] = {**data.get("execution", {}), **execution}
    return write_config(tmp_path / "orchestrator.yaml", data)


def spec_file(where: Path, project: str, *, privacy: str | None = None,
              task_privacy: str | None = "public", name: str = "plan") -> Path:  # fmt: skip
    """A one-task plan spec naming ``project`` (``project:`` on line 2)."""
    task: dict[str, Any] = {"code": "T1", "title": "t", "prompt": "p", "type": "coding"}
    if task_privacy:
        task["privacy"] = task_privacy
    spec: dict[str, Any] = {"name": name, "project": project}
    if privacy:
        spec["privacy"] = privacy
    spec["waves"] = [{"name": "w", "tasks": [task]}]
    path = where / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def imported(cfg: Path, db: Path, spec: Path) -> dict[str, Any]:
    """Import ``spec`` and return ``plan show --json`` of the new plan."""
    result = run_cli("--config", str(cfg), "--db", str(db), "plan", "import", str(spec), "--json")
    assert result.returncode == 0, result.stderr
    plan_id = json.loads(result.stdout)["plan_id"]
    shown = run_cli("--config", str(cfg), "--db", str(db), "plan", "show", str(plan_id), "--json")
    return json.loads(shown.stdout)


def refused(cfg: Path, db: Path, spec: Path) -> str:
    """Import ``spec`` expecting exit 2 on its ``project:`` line; the error text."""
    before = _rows(db)
    result = run_cli("--config", str(cfg), "--db", str(db), "plan", "import", str(spec))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{spec}:2: project: " in result.stderr, result.stderr
    assert _rows(db) == before  # nothing written
    return result.stderr


def _rows(db: Path) -> tuple[int, int]:
    """(plans, projects) stored in ``db``."""
    if not db.exists():
        return (0, 0)
    raw = sqlite3.connect(db)
    try:
        plans, projects = (
            raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("plan", "project")
        )
        return plans, projects
    except sqlite3.OperationalError:  # no tables yet
        return (0, 0)
    finally:
        raw.close()


@pytest.fixture
def sensitive(tmp_path: Path) -> tuple[Path, Path]:
    """A configured sensitive project ``demo`` (a git repository) and the config file."""
    repo = make_repo(tmp_path / "secret" / "demo")
    return repo, config_file(tmp_path, {"demo": {"path": str(repo), "privacy": "sensitive"}})


def test_another_folder_called_like_a_configured_project_is_refused(
    tmp_path: Path, sensitive: tuple[Path, Path]
) -> None:
    _, cfg = sensitive
    make_repo(tmp_path / "elsewhere" / "demo")
    err = refused(cfg, tmp_path / "c.db", spec_file(tmp_path, "elsewhere/demo"))
    assert "called 'demo' like the configured project" in err


def test_naming_a_sensitive_project_by_its_path_keeps_it_sensitive(
    tmp_path: Path, sensitive: tuple[Path, Path]
) -> None:
    repo, cfg = sensitive
    db = tmp_path / "c.db"
    by_path = imported(cfg, db, spec_file(tmp_path, str(repo / ".." / "demo"), name="a"))
    by_key = imported(cfg, db, spec_file(tmp_path, "demo", name="b"))
    for doc in (by_path, by_key):
        assert doc["plan"]["project"] == "demo"
        (t1,) = [t for w in doc["waves"] for t in w["tasks"]]
        assert t1["privacy"] == "sensitive"
        assert "privacy raised from public to sensitive by the project" in t1["reasons"]
        assert t1["provider"] == "opencode"  # only a local provider for sensitive work
    assert _rows(db) == (2, 1)  # one project: the same directory


def test_a_plan_may_raise_privacy_but_never_lower_it(
    tmp_path: Path, sensitive: tuple[Path, Path]
) -> None:
    repo, cfg = sensitive
    public = make_repo(tmp_path / "open")
    cfg = config_file(tmp_path, {"demo": {"path": str(repo), "privacy": "sensitive"},
                                 "open": {"path": str(public), "privacy": "public"}})  # fmt: skip
    db = tmp_path / "c.db"
    raised = imported(cfg, db, spec_file(tmp_path, "open", privacy="sensitive", name="up"))
    (t1,) = [t for w in raised["waves"] for t in w["tasks"]]
    assert t1["privacy"] == "sensitive"
    assert "privacy raised from public to sensitive by the plan" in t1["reasons"]
    lowered = imported(cfg, db, spec_file(tmp_path, "demo", privacy="public", name="down"))
    (t1,) = [t for w in lowered["waves"] for t in w["tasks"]]
    assert t1["privacy"] == "sensitive"
    undeclared = imported(cfg, db, spec_file(tmp_path, "open", task_privacy=None, name="plain"))
    (t1,) = [t for w in undeclared["waves"] for t in w["tasks"]]
    assert t1["privacy"] == "public" and not any("raised" in r for r in t1["reasons"])
    raw = sqlite3.connect(db)
    stored = dict(raw.execute("SELECT name, privacy FROM plan").fetchall())
    raw.close()
    assert stored == {"up": "sensitive", "down": "public", "plain": None}


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("../../../../../../../../../../etc", "is not inside a git repository"),
        ("repo/src", "not its top level"),
        ("plain", "is not inside a git repository"),
    ],
)
def test_a_project_that_is_no_repository_top_level_is_refused(
    tmp_path: Path, where: str, message: str
) -> None:
    make_repo(tmp_path / "repo", {"src/app.py": "x = 1\n"})
    (tmp_path / "plain").mkdir()
    cfg = config_file(tmp_path, {})
    assert message in refused(cfg, tmp_path / "c.db", spec_file(tmp_path, where))


def test_without_worktrees_a_plain_folder_is_a_project(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    cfg = config_file(tmp_path, {}, worktrees=False)
    doc = imported(cfg, tmp_path / "c.db", spec_file(tmp_path, "plain"))
    assert doc["plan"]["project"] == "plain"


def test_a_configured_project_at_the_filesystem_root_is_refused(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, {"everything": {"path": "/", "privacy": "public"}})
    assert "filesystem root" in refused(cfg, tmp_path / "c.db", spec_file(tmp_path, "everything"))


def test_two_unconfigured_folders_with_one_name_are_refused(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, {})
    db = tmp_path / "c.db"
    make_repo(tmp_path / "one" / "app")
    make_repo(tmp_path / "two" / "app")
    imported(cfg, db, spec_file(tmp_path, "one/app", name="first"))
    err = refused(cfg, db, spec_file(tmp_path, "two/app", name="second"))
    assert "a different project called 'app' is already known" in err
    # The same folder again is the same project.
    imported(
        cfg, db, spec_file(tmp_path, str(tmp_path / "two" / ".." / "one" / "app"), name="third")
    )
    assert _rows(db) == (2, 1)


def test_an_unknown_project_is_refused(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, {})
    err = refused(cfg, tmp_path / "c.db", spec_file(tmp_path, "nowhere"))
    assert "neither a project in the configuration" in err
