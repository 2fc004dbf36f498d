"""``convergio plan import`` of a file imported before: asked about (refused without a
terminal) unless ``--force``; an edited file, or the same file for another project, is a
new plan. Also what the import prints: the id alone on stdout, a summary on stderr, the
summary keys in JSON; and a project that is no git repository refused at import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from conftest import run_cli
from engine_fixtures import make_repo

from convergio_tui import paths

SHIPPED = {"CONVERGIO_CONFIG": str(paths.shipped_config_path())}


def spec(where: Path, project: str = ".", prompt: str = "Add a line to README.md") -> Path:
    path = where / "plan.yaml"
    path.write_text(yaml.safe_dump({"name": "again", "project": project, "waves": [
        {"name": "w1", "tasks": [{"code": "T1", "title": "one", "type": "coding", "prompt": prompt},
                                 {"code": "T2", "title": "two", "type": "docs", "priority": "P3",
                                  "prompt": "Document it"}]}]}))  # fmt: skip
    return path


def plans(db: Path) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [row[0] for row in con.execute("SELECT id FROM plan ORDER BY id")]
    finally:
        con.close()


def test_the_same_file_twice_is_refused_unless_forced(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    path, db = spec(repo), tmp_path / "c.db"
    first = run_cli("--db", str(db), "plan", "import", str(path), env=SHIPPED)
    assert first.returncode == 0, first.stderr

    again = run_cli("--db", str(db), "plan", "import", str(path), env=SHIPPED)
    as_json = run_cli("--db", str(db), "plan", "import", str(path), "--json", env=SHIPPED)

    for refused in (again, as_json):
        assert refused.returncode == 1 and refused.stdout == ""
        assert f"{path} was already imported, unchanged, as plan 1 (todo)" in refused.stderr
        assert "convergio run 1" in refused.stderr and "--force" in refused.stderr
    assert plans(db) == [1]
    forced = run_cli("--db", str(db), "plan", "import", str(path), "--force", env=SHIPPED)
    assert forced.returncode == 0 and forced.stdout.strip() == "2"
    spec(repo, prompt="Add two lines to README.md")  # edited: a new plan, nothing asked
    edited = run_cli("--db", str(db), "plan", "import", str(path), env=SHIPPED)
    assert edited.returncode == 0 and edited.stdout.strip() == "3"
    other = make_repo(tmp_path / "other")  # the same file for another project: a new plan
    elsewhere = run_cli("--db", str(db), "plan", "import", str(path), "--project", str(other),
                        env=SHIPPED)  # fmt: skip
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert plans(db) == [1, 2, 3, 4]


def test_import_prints_a_summary_and_the_next_command(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    path, db = spec(repo), tmp_path / "c.db"

    text = run_cli("--db", str(db), "plan", "import", str(path), env=SHIPPED)
    doc = run_cli("--db", str(db), "plan", "import", str(path), "--force", "--json", env=SHIPPED)

    assert text.returncode == 0 and text.stdout == "1\n"  # `id=$(convergio plan import x)`
    assert "plan 1 'again' imported for project repo: 1 wave, 2 tasks" in text.stderr
    assert "routed now: copilot 1, opencode 1" in text.stderr
    assert (
        "next: convergio run 1 --dry-run (where each task goes and why), then convergio run 1"
        in text.stderr
    )
    summary = json.loads(doc.stdout)
    assert summary["plan_id"] == 2 and summary["next"] == "convergio run 2"
    assert (summary["name"], summary["project"], summary["waves"], summary["tasks"]) == (
        "again",
        "repo",
        1,
        2,
    )
    assert summary["providers"] == {"copilot": 1, "opencode": 1}
    assert summary["reserve_usd"] > 0 and summary["estimate_usd"] >= 0


def test_a_folder_that_is_no_git_repository_is_refused_at_import(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    path = spec(tmp_path / "plain")
    refused = run_cli("--db", str(tmp_path / "c.db"), "plan", "import", str(path), env=SHIPPED)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {path}:2: project: ")  # file, line, key
    assert "is not inside a git repository" in refused.stderr
    assert "git init" in refused.stderr and "execution.worktrees: false" in refused.stderr
    assert not (tmp_path / "c.db").exists() or plans(tmp_path / "c.db") == []
