"""``convergio plan new`` with the pinned real claude CLI as the planner, against the
stand-in model server: the CLI runs in the read-only planning sandbox, answers with a
fenced YAML plan (a scripted model turn), and the plan is validated, written, imported
and then run by ``convergio run`` on the same real CLI, end to end."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from conftest import run_cli as convergio
from engine_fixtures import git, make_repo
from test_contract_plan import configuration, home, plan_uid, user_files

from convergio_tui.sim.standin import Reply, ToolCall, serve_standin

__all__ = ["home"]  # the fixture, shared with the four-CLI plan test

GOAL = "Add hello.txt saying hello from claude (MARKGOAL)."
PLAN = {"name": "hello from claude", "project": "contract", "waves": [{"name": "one", "tasks": [
    {"code": "T1", "title": "Write hello.txt", "type": "coding", "provider": "claude",
     "prompt": "Create hello.txt saying hello from claude.", "files": ["hello.txt"]}]}]}  # fmt: skip


def test_a_plan_drafted_by_the_real_claude_cli_imports_and_runs(home: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# contract\n"})
    with serve_standin(models=["qwen3-coder:latest"]) as standin:
        user_files(home, standin.url)
        cfg = configuration(repo, standin.url, tmp_path)
        opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
        answer = "Here is the plan.\n\n```yaml\n" + yaml.safe_dump(PLAN, sort_keys=False) + "```\n"
        standin.script.push("anthropic", Reply(text=answer))

        drafted = convergio(*opts, "plan", "new", GOAL, "--project", "contract", "--yes", "--json")

        assert drafted.returncode == 0, drafted.stdout + drafted.stderr
        doc = json.loads(drafted.stdout)
        assert doc["imported"] and [r["provider"] for r in doc["rounds"]] == ["claude"]
        assert yaml.safe_load(Path(doc["file"]).read_text()) == PLAN
        asked = [json.dumps(r.body) for r in standin.sent("anthropic")]
        assert any("MARKGOAL" in body and "THE PLAN FORMAT" in body for body in asked)
        assert git(repo, "status", "--porcelain") == "?? plans/\n"  # only the plan file

        tree = tmp_path / "wt" / plan_uid(tmp_path / "c.db") / "T1"
        standin.script.push(
            "anthropic",
            Reply(text="", tool_calls=(ToolCall("Write", {"file_path": str(tree / "hello.txt"),
                                                         "content": "hello from claude\n"}, id="w1"),)),
            Reply(text="Wrote hello.txt."),
        )  # fmt: skip
        ran = convergio(*opts, "run", str(doc["plan_id"]), "--json")

        assert ran.returncode == 0, ran.stdout + ran.stderr
        summary = json.loads(ran.stdout)
        assert summary["status"] == "done"
        assert (
            git(repo, "show", f"{summary['handoff']['branch']}:hello.txt") == "hello from claude\n"
        )
        con = sqlite3.connect(tmp_path / "c.db")
        planning = con.execute("SELECT provider, status, cost_usd > 0 FROM run WHERE task_id IS "
                               "NULL AND wave_id IS NULL").fetchall()  # fmt: skip
        con.close()
        assert planning == [("claude", "succeeded", 1)]  # charged from the CLI's own report
