"""Model registry checks and the `model` table, with the real loader, SQLite and Ollama sim."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convergio_tui import paths
from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import Config
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.store.db import close_database, open_database
from convergio_tui.tools.model_registry import (
    check_registry,
    fetch_ollama_tags,
    read_table,
    refresh_table,
)

CLIS = ("claude", "copilot", "gemini", "opencode")


@pytest.fixture
def shipped() -> Config:
    return load_config(paths.shipped_config_path())


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A directory with a runnable stand-in for each provider CLI."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in CLIS:
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return bin_dir


def which_in(bin_dir: Path) -> Any:
    return lambda exe: shutil.which(exe, path=str(bin_dir))


def modified(config: Config, change: Any) -> Config:
    data = config.model_dump(mode="json")
    change(data)
    return Config.model_validate(data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_shipped_configuration_is_consistent(shipped: Config, fake_bin: Path) -> None:
    with serve_ollama(["qwen3-coder:latest", "llama3.3:latest"]) as url:
        tags = {"opencode": fetch_ollama_tags(url)}
    report = check_registry(shipped, which=which_in(fake_bin), ollama_tags=tags)
    assert report.ok, report.problems


def test_missing_cli_and_unpulled_model(shipped: Config, fake_bin: Path) -> None:
    (fake_bin / "gemini").unlink()
    with serve_ollama(["qwen3-coder:latest"]) as url:
        tags = {"opencode": fetch_ollama_tags(url)}
    report = check_registry(shipped, which=which_in(fake_bin), ollama_tags=tags)
    got = {(p.check, p.provider, p.model) for p in report.problems}
    assert got == {
        ("cli_missing", "gemini", None),
        ("not_pulled", "opencode", "ollama/llama3.3"),
    }
    assert "ollama pull llama3.3" in report.problems[-1].message


def test_silent_ollama_is_a_note_not_a_problem(shipped: Config, fake_bin: Path) -> None:
    tags = {"opencode": fetch_ollama_tags(f"http://127.0.0.1:{free_port()}", timeout=1)}
    assert tags == {"opencode": None}
    report = check_registry(shipped, which=which_in(fake_bin), ollama_tags=tags)
    assert report.ok and "did not answer" in report.notes[0]


def test_premium_model_without_price(shipped: Config, fake_bin: Path) -> None:
    def drop_price(data: dict[str, Any]) -> None:
        data["providers"]["claude"]["models"][0]["output_usd_per_mtok"] = None

    report = check_registry(modified(shipped, drop_price), which=which_in(fake_bin))
    assert [(p.check, p.provider) for p in report.problems] == [("missing_price", "claude")]
    assert "output_usd_per_mtok" in report.problems[0].message


def test_duplicates_and_dangling_references(shipped: Config, fake_bin: Path) -> None:
    def break_it(data: dict[str, Any]) -> None:
        gemini = data["providers"]["gemini"]
        gemini["models"].append(dict(gemini["models"][0]))
        gemini["default_model"] = "gemini-9-ultra"
        data["routing"]["by_type"]["docs"]["default_model"] = "no-such-model"
        data["providers"]["copilot"]["models"].append(
            dict(data["providers"]["claude"]["models"][0])
        )

    report = check_registry(modified(shipped, break_it), which=which_in(fake_bin))
    checks = sorted((p.check, p.model) for p in report.problems)
    claude_top = shipped.providers["claude"].models[0].id
    gemini_first = shipped.providers["gemini"].models[0].id
    assert checks == sorted(
        [
            ("duplicate_id", gemini_first),
            ("duplicate_id", claude_top),
            ("unknown_model", "gemini-9-ultra"),
            ("unknown_model", "no-such-model"),
        ]
    )


def test_refresh_mirrors_the_configuration(shipped: Config, tmp_path: Path) -> None:
    open_database(tmp_path / "c.db")
    try:
        first = refresh_table(shipped)
        total = sum(len(p.models) for p in shipped.providers.values())
        assert len(first.added) == total and not first.updated and not first.removed
        again = refresh_table(shipped)
        assert (again.added, again.updated, again.removed) == ([], [], [])
        rows = read_table()
        opus = next(
            r for r in rows if r["provider"] == "claude" and r["model_id"] == "claude-opus-4-5"
        )
        assert opus["tier"] == "premium" and opus["input_usd_per_mtok"] is not None
        assert check_registry(shipped, which=lambda _: "/bin/true", db_rows=rows).ok

        def drop_llama(data: dict[str, Any]) -> None:
            data["providers"]["opencode"]["models"].pop()

        smaller = modified(shipped, drop_llama)
        stale = check_registry(smaller, which=lambda _: "/bin/true", db_rows=rows)
        assert [p.check for p in stale.problems] == ["stale"]
        assert refresh_table(smaller).removed == ["opencode/ollama/llama3.3"]
    finally:
        close_database()


def test_cli_check_list_refresh(tmp_path: Path, fake_bin: Path) -> None:
    text = paths.shipped_config_path().read_text()
    with serve_ollama(["qwen3-coder:latest"]) as url:
        assert "http://127.0.0.1:11434" in text
        config = tmp_path / "orchestrator.yaml"
        config.write_text(text.replace("http://127.0.0.1:11434", url))
        env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.defpath}"}
        env["CONVERGIO_HOME"] = str(tmp_path / "home")
        base = [
            sys.executable,
            "-m",
            "convergio_tui",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "c.db"),
        ]

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*base, "models", *args], env=env, capture_output=True, text=True, timeout=60
            )

        checked = run("check", "--json")
        assert checked.returncode == 1, checked.stderr
        doc = json.loads(checked.stdout)
        assert doc["ok"] is False
        assert [p["check"] for p in doc["problems"]] == ["not_pulled"]
        listed = json.loads(run("list", "--json").stdout)
        assert listed["source"] == "config"
        assert run("refresh").returncode == 0
        listed = json.loads(run("list", "--json").stdout)
        assert listed["source"] == "db" and len(listed["models"]) >= 9
        config.write_text(config.read_text().replace("      - {id: ollama/llama3.3", "      # "))
        after = run("check")
        assert after.returncode == 1 and "FAIL stale" in after.stdout
        assert run("refresh").returncode == 0
        assert run("check").returncode == 0
