"""Helpers for the engine tests: a real git repository, the simulated agents on PATH, a
stand-in Ollama, a configuration derived from the shipped one, plans from dict specs.

Imported explicitly by the engine test modules (the lead owns ``conftest.py``).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine.planner import import_plan
from convergio_tui.sim.install import install_sim_bin
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import close_database, open_database

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
}  # fmt: skip


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout (raises on failure)."""
    proc = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    return proc.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A git repository on ``main`` with one commit holding ``files``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"README.md": "# demo\n"}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def shipped_dict() -> dict[str, Any]:
    """The shipped orchestrator.yaml as a plain dict."""
    return yaml.safe_load(paths.shipped_config_path().read_text())


def engine_config(
    repo: Path, ollama_url: str, *, project_privacy: str = "public", **sections: Any
) -> Config:
    """See :func:`engine_config_dict`; validated."""
    return Config.model_validate(
        engine_config_dict(repo, ollama_url, project_privacy=project_privacy, **sections)
    )


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write a configuration dict as YAML (for CLI tests)."""
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def engine_config_dict(
    repo: Path, ollama_url: str, *, project_privacy: str = "public", **sections: Any
) -> dict[str, Any]:
    """The shipped configuration with a ``demo`` project at ``repo``, opencode pointed at
    ``ollama_url``, fast health checks and small timeouts; ``sections`` are merged in
    (one level deep: ``budget={"max_premium_per_day": 0.01}``)."""
    data = copy.deepcopy(shipped_dict())
    data["projects"] = {"demo": {"path": str(repo), "privacy": project_privacy}}
    data["providers"]["opencode"]["endpoint"] = ollama_url
    for provider in data["providers"].values():
        provider["timeout_s"] = 30
    data["health"] = {
        "ttl_s": 300,
        "check_timeout_s": 10,
        "cooldown_base_s": 30,
        "cooldown_max_s": 60,
    }
    data["execution"] = {
        "max_parallel": 2,
        "worktrees": True,
        "worktree_root": str(repo.parent / "wt"),
    }
    # The real sandbox: the simulated agents write their invocation log from inside it,
    # and see their CONVERGIO_SIM_* directives through env_pass.
    sim_log = os.environ.get("CONVERGIO_SIM_LOG")
    data["sandbox"] = {"mode": "auto", "writable": [str(Path(sim_log).parent)] if sim_log else []}
    for provider in data["providers"].values():
        provider["env_pass"] = [*provider.get("env_pass", []), "CONVERGIO_SIM_*"]
    # The simulated copilot and gemini have no credentials to prove: their `--version`
    # (which fails under CONVERGIO_SIM_AUTH=fail) is their login check (docs/providers/health.md).
    for name in ("copilot", "gemini"):
        data["providers"][name]["auth_check"] = [name, "--version"]
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            for sub, sub_value in value.items():
                if isinstance(sub_value, dict) and isinstance(data[key].get(sub), dict):
                    data[key][sub].update(sub_value)
                else:
                    data[key][sub] = sub_value
        else:
            data[key] = value
    return data


def task(code: str, prompt: str, **fields: Any) -> dict[str, Any]:
    """One task of a plan spec (type coding, P1 unless given)."""
    return {"code": code, "title": fields.pop("title", f"task {code}"), "prompt": prompt,
            "type": fields.pop("type", "coding"), **fields}  # fmt: skip


def import_spec(
    config: Config, where: Path, waves: list[list[dict[str, Any]]], name: str = "p"
) -> int:
    """Write a plan spec with ``waves`` of tasks under ``where`` and import it."""
    spec = {"name": name, "project": "demo",
            "waves": [{"name": f"w{i + 1}", "tasks": tasks} for i, tasks in enumerate(waves)]}  # fmt: skip
    path = where / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return import_plan(path, config)


def start_run(
    cfg: Path, db: Path, plan: int, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``convergio run PLAN`` as a real process."""
    return subprocess.Popen(
        [sys.executable, "-m", "convergio_tui", "--config", str(cfg), "--db", str(db), "run", str(plan)],
        env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def sim_calls(log: Path, kind: str = "run") -> list[dict[str, Any]]:
    """The simulated agents' recorded invocations of ``kind``."""
    if not log.exists():
        return []
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("kind") == kind]


def dump() -> str:
    """Tasks and the journal as text, for assertion messages."""
    from convergio_tui.store.models import Event, Task

    rows = [f"{t.code} {t.status} r{t.round} {t.blocked_reason or ''}" for t in Task.select()]
    rows += [f"{e.kind}: {e.message}" for e in Event.select()]
    return "\n".join(rows)


def uid(plan_id: int = 1) -> str:
    """The plan's uid: the ``<uid>`` of its ``convergio/<uid>/...`` branches and worktrees."""
    from convergio_tui.store.models import Plan

    return str(Plan.get_by_id(plan_id).uid)


@pytest.fixture
def sim_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The simulated claude/copilot/gemini/opencode first on PATH; returns the sim log."""
    bin_dir = install_sim_bin(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    log = tmp_path / "sim-log" / "sim.jsonl"
    log.parent.mkdir()
    monkeypatch.setenv("CONVERGIO_SIM_LOG", str(log))
    # The agents' HOME: their state folders are made here, not in the real home.
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    # A real ANTHROPIC_API_KEY of yours would be proved by health over the network: gone.
    for var in list(os.environ):
        sim = var.startswith("CONVERGIO_SIM_") and var != "CONVERGIO_SIM_LOG"
        if sim or var.startswith("ANTHROPIC_"):
            monkeypatch.delenv(var)
    return log


@pytest.fixture
def ollama() -> Iterator[str]:
    """A stand-in Ollama on 127.0.0.1 with the default models pulled."""
    with serve_ollama() as url:
        yield url


@pytest.fixture
def engine_db(tmp_path: Path) -> Iterator[Path]:
    """A fresh database file for this test, bound for this thread."""
    path = tmp_path / "c.db"
    open_database(path)
    yield path
    close_database()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small git repository on main."""
    return make_repo(tmp_path / "repo", {"README.md": "# demo\n", "app.py": "print('v1')\n"})


@pytest.fixture
def python3_with_pytest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``python3`` on PATH is this test's Python, which has pytest: a command Thor detects
    (``python3 -m pytest``) then does not depend on which python3 the machine has. (A PATH
    folder stays readable in the sandbox; the project's own folder, under the private
    /tmp, does not.)"""
    python3 = tmp_path / "pybin" / "python3"
    python3.parent.mkdir()
    python3.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python3.chmod(0o755)
    monkeypatch.setenv("PATH", f"{python3.parent}{os.pathsep}{os.environ['PATH']}")
    return python3
