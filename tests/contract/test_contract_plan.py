"""One ``convergio run`` of a four-task plan on the four pinned real CLIs, end to end: the
real engine, health checks, the bubblewrap sandbox, Thor and the ledger, with every CLI
talking to the stand-in model server and writing its file in its own worktree.

The tasks run one at a time (``--parallel 1``) so each CLI's scripted model turns come in
order; copilot and opencode share the stand-in's OpenAI queue. The opencode task is
sensitive, so its sandbox has no network but its endpoint's relay.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli as convergio
from engine_fixtures import git, make_repo
from harness import FAKE_KEY, real_cli_bin

from convergio_tui import paths
from convergio_tui.sim.standin import Reply, StandIn, ToolCall, serve_standin

GEMINI_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "general": {"maxAttempts": 1, "enableAutoUpdate": False,
                "enableAutoUpdateNotification": False},
}  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's HOME (gemini's settings, opencode's config) and a short CONVERGIO_HOME
    (a sensitive run's relay socket lives below it: Unix socket paths are short)."""
    user = tmp_path / "home"
    user.mkdir()
    convergio_home = Path(tempfile.mkdtemp(prefix="cv-plan-"))
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("CONVERGIO_HOME", str(convergio_home))
    bin_dir = real_cli_bin()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "CLAUDE_", "COPILOT_", "GEMINI_", "GOOGLE_",
                            "OPENCODE_", "OLLAMA_", "CONVERGIO_SIM_")) or name in (
            "GH_TOKEN", "GITHUB_TOKEN", "IS_SANDBOX"):  # fmt: skip
            monkeypatch.delenv(name)
    yield user
    shutil.rmtree(convergio_home, ignore_errors=True)


def user_files(user: Path, url: str) -> None:
    """What a user of gemini and opencode keeps in HOME: API-key auth, and an opencode
    provider at the (stand-in) Ollama."""
    (user / ".gemini").mkdir()
    (user / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
    opencode = user / ".config" / "opencode" / "opencode.json"
    opencode.parent.mkdir(parents=True)
    opencode.write_text(json.dumps({"provider": {"ollama": {
        "npm": "@ai-sdk/openai-compatible", "name": "Ollama (stand-in)",
        "options": {"baseURL": f"{url}/v1", "apiKey": FAKE_KEY},
        "models": {"qwen3-coder": {"name": "qwen3-coder"}}}}}))  # fmt: skip


def configuration(repo: Path, url: str, where: Path) -> Path:
    """The shipped configuration, each provider pointed at the stand-in with a fake key."""
    data: dict[str, Any] = yaml.safe_load(paths.shipped_config_path().read_text())
    env = {
        "claude": {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": FAKE_KEY,
                   "CLAUDE_CODE_MAX_RETRIES": "0"},
        "copilot": {"COPILOT_PROVIDER_BASE_URL": f"{url}/v1",
                    "COPILOT_PROVIDER_API_KEY": FAKE_KEY, "COPILOT_OFFLINE": "true"},
        "gemini": {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": FAKE_KEY},
    }  # fmt: skip
    for name, extra in env.items():
        provider = data["providers"][name]
        provider["env"] = {**provider.get("env", {}), **extra}
    data["providers"]["opencode"]["endpoint"] = url
    data["projects"] = {"contract": {"path": str(repo), "privacy": "public"}}
    data["execution"] = {"max_parallel": 1, "worktree_root": str(where / "wt")}
    path = where / "orchestrator.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def task(code: str, agent: str, name: str, **extra: str) -> dict[str, Any]:
    return {"code": code, "title": f"{agent} writes {name}", "type": "coding",
            "prompt": f"Create {name} saying hello from {agent}.", "provider": agent,
            "files": [name], **extra}  # fmt: skip


def plan_uid(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return str(con.execute("SELECT uid FROM plan").fetchone()[0])
    finally:
        con.close()


def script(standin: StandIn, worktrees: Path) -> None:
    """Each CLI's two model turns: a tool call that writes its file, then a last answer."""
    tree = {code: worktrees / code for code in ("T1", "T2", "T3", "T4")}
    standin.script.push(
        "anthropic",
        Reply(text="", tool_calls=(ToolCall("Write", {"file_path": str(tree["T1"] / "claude.txt"),
                                                     "content": "hello from claude\n"}, id="w1"),)),
        Reply(text="Wrote claude.txt."),
    )  # fmt: skip
    standin.script.push(
        "openai",
        Reply(text="Creating copilot.txt.", tool_calls=(ToolCall("create", {
            "path": str(tree["T2"] / "copilot.txt"), "file_text": "hello from copilot\n"}),)),
        Reply(text="Created copilot.txt."),
        Reply(text="Writing opencode.txt.", tool_calls=(ToolCall("write", {
            "filePath": "opencode.txt", "content": "hello from opencode\n"}),)),
        Reply(text="Wrote opencode.txt."),
    )  # fmt: skip
    standin.script.push(
        "gemini",
        Reply(text="I will write it.", tool_calls=(ToolCall("write_file", {
            "file_path": str(tree["T3"] / "gemini.txt"), "content": "hello from gemini\n"}),)),
        Reply(text="Wrote gemini.txt."),
    )  # fmt: skip


def test_a_four_task_plan_runs_on_the_four_real_clis(home: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# contract\n"})
    with serve_standin(models=["qwen3-coder:latest"]) as standin:
        user_files(home, standin.url)
        cfg = configuration(repo, standin.url, tmp_path)
        spec = tmp_path / "plan.yaml"
        spec.write_text(yaml.safe_dump({"name": "four", "project": "contract", "waves": [
            {"name": "all", "tasks": [
                task("T1", "claude", "claude.txt"), task("T2", "copilot", "copilot.txt"),
                task("T3", "gemini", "gemini.txt"),
                task("T4", "opencode", "opencode.txt", privacy="sensitive")]}]}))  # fmt: skip
        db = tmp_path / "c.db"
        opts = ["--config", str(cfg), "--db", str(db)]
        imported = convergio(*opts, "plan", "import", str(spec))
        assert imported.returncode == 0, imported.stderr
        script(standin, tmp_path / "wt" / plan_uid(db))

        ran = convergio(*opts, "run", "four", "--parallel", "1", "--json")

        assert ran.returncode == 0, ran.stdout + ran.stderr
        summary = json.loads(ran.stdout)
        assert (summary["status"], summary["done"], summary["total"]) == ("done", 4, 4)
        con = sqlite3.connect(db)
        runs = con.execute(
            "SELECT t.code, r.provider, r.status, r.input_tokens + r.output_tokens "
            "FROM run r JOIN task t ON t.id = r.task_id ORDER BY t.code"
        ).fetchall()
        con.close()
        assert [(c, p, s) for c, p, s, _ in runs] == [
            ("T1", "claude", "succeeded"), ("T2", "copilot", "succeeded"),
            ("T3", "gemini", "succeeded"), ("T4", "opencode", "succeeded")]  # fmt: skip
        assert all(tokens > 0 for *_, tokens in runs), runs  # each CLI's report was read
        branch = f"convergio/{plan_uid(db)}/wave-1"
        for agent in ("claude", "copilot", "gemini", "opencode"):
            shown = git(repo, "show", f"{branch}:{agent}.txt")
            assert shown == f"hello from {agent}\n"  # each CLI's work, merged by Thor
        hosts = {r.protocol for r in standin.sent()}
        assert {"anthropic", "openai", "gemini"} <= hosts
