"""``config check`` refuses configurations that would break the privacy promise: a cloud
CLI declared local, a local provider on a remote endpoint, a cloud provider allowed for
sensitive work, and two projects on one directory (exit 2, file:line:key)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from convergio_tui.config.errors import ConfigError
from convergio_tui.config.loader import load_config
from convergio_tui.config.privacy_check import cli_name, cloud_cli_in, endpoint_problem

CONFIG = """\
providers:
  claude:
    cli: [/opt/tools/bin/claude, -p, --model, "{model}"]
    privacy_level: local
    cost_tier: premium
    models: [{id: sonnet}]
    default_model: sonnet
  ollama:
    cli: [opencode, run, -m, "{model}", "{prompt}"]
    privacy_level: local
    cost_tier: free
    endpoint: http://203.0.113.7:11434
    models: [{id: qwen, privacy_safe: true}]
    default_model: qwen
  gem:
    cli: [gemini, -p, "{prompt}"]
    privacy_level: cloud
    cost_tier: premium
    models: [{id: flash}]
    default_model: flash
routing:
  by_priority:
    P0: {preferred_providers: [gem]}
    P1: {preferred_providers: [gem]}
    P2: {preferred_providers: [gem]}
    P3: {preferred_providers: [ollama]}
  by_type: {}
  by_privacy:
    public: {allowed_providers: [gem, ollama]}
    internal: {allowed_providers: [gem, ollama]}
    sensitive: {allowed_providers: [ollama, gem]}
budget: {fallback_chain: [gem, claude, ollama]}
projects:
  web: {path: "REPO"}
  web-again: {path: "LINK/"}
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_config_check_names_every_privacy_problem_and_exits_2(tmp_path: Path) -> None:
    repo = tmp_path / "web"
    repo.mkdir()
    (tmp_path / "alias").symlink_to(repo)  # another path to the same directory
    text = CONFIG.replace("REPO", str(repo)).replace("LINK", str(tmp_path / "alias"))
    config = tmp_path / "orchestrator.yaml"
    config.write_text(text)

    result = run_cli("--config", str(config), "config", "check", "--json")
    assert result.returncode == 2, result.stderr
    errors = {e["key"]: e for e in json.loads(result.stdout)["errors"]}
    expected = {
        "providers.claude.privacy_level": (line_of(text, "privacy_level: local"), "cloud CLI"),
        "providers.ollama.endpoint": (line_of(text, "endpoint:"), "neither loopback nor"),
        "routing.by_privacy.sensitive.allowed_providers.1": (
            line_of(text, "sensitive:"), "gem is a cloud provider"),
        "projects.web-again.path": (line_of(text, "web-again"), "same directory as project 'web'"),
    }  # fmt: skip
    assert set(errors) == set(expected), errors
    for key, (line, message) in expected.items():
        assert errors[key]["file"] == str(config)
        assert errors[key]["line"] == line, key
        assert message in errors[key]["message"]

    human = run_cli("--config", str(config), "config", "check")
    assert human.returncode == 2
    assert f"{config}:{expected['providers.ollama.endpoint'][0]}: providers.ollama.endpoint: " in (
        human.stderr
    )


def fixed(tmp_path: Path, endpoint: str | None) -> Path:
    """The CONFIG with the other problems fixed and ``endpoint`` on the local provider."""
    repo = tmp_path / "web"
    repo.mkdir(exist_ok=True)
    text = (
        CONFIG.replace("/opt/tools/bin/claude", "my-local-llm")
        .replace("[ollama, gem]", "[ollama]")
        .replace('  web-again: {path: "LINK/"}\n', "")
        .replace("REPO", str(repo))
    )
    line = "    endpoint: http://203.0.113.7:11434\n"
    text = text.replace(line, f"    endpoint: {endpoint!r}\n" if endpoint is not None else "")
    path = tmp_path / "orchestrator.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "endpoint",
    [None, "http://127.0.0.1:11434", "http://localhost:11434", "127.0.0.2:8080",
     "http://10.1.2.3", "https://172.20.0.5:443/v1", "http://192.168.1.50:11434",
     "http://[::1]:11434", "http://[fd12:3456::1]:11434", "http://169.254.10.10",
     "http://[fe80::1%25eth0]:11434", "http://[::ffff:127.0.0.1]:1"],
)  # fmt: skip
def test_a_local_provider_on_this_machine_or_a_private_network_passes(
    tmp_path: Path, endpoint: str | None
) -> None:
    config = load_config(fixed(tmp_path, endpoint))
    assert config.providers["ollama"].privacy_level == "local"


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [("http://203.0.113.7:11434", "neither loopback"), ("https://8.8.8.8", "neither loopback"),
     ("http://172.32.0.1", "neither loopback"), ("http://[2001:db8::1]:80", "neither loopback"),
     ("http://0.0.0.0:11434", "neither loopback"), ("http://ollama.example.com", "is a name"),
     ("http://localhost.evil.example", "is a name"), ("http://", "names no host")],
)  # fmt: skip
def test_a_local_provider_on_a_remote_endpoint_fails(
    tmp_path: Path, endpoint: str, message: str
) -> None:
    path = fixed(tmp_path, endpoint)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.key == "providers.ollama.endpoint" and message in problem.message
    assert problem.line == line_of(path.read_text(), "endpoint:")


def test_cloud_cli_is_found_past_paths_and_launchers() -> None:
    assert cli_name(["/usr/local/bin/claude", "-p"]) == "claude"
    assert cli_name(["env", "FOO=1", "gemini", "-p"]) == "gemini"
    assert cli_name(["npx", "-y", "copilot@latest"]) == "copilot"
    assert cli_name(["C:/tools/Claude.EXE"]) == "claude"
    assert cli_name(["opencode", "run"]) == "opencode"
    assert endpoint_problem("127.0.0.1:11434") is None


@pytest.mark.parametrize(
    ("cli", "found"),
    [
        (["npx", "-y", "@anthropic-ai/claude-code", "-p"], "claude"),
        (["npx", "@google/gemini-cli@0.61.0", "-p"], "gemini"),
        (["bunx", "@github/copilot"], "copilot"),
        (["timeout", "30s", "claude", "-p"], "claude"),
        (["env", "-u", "FOO", "claude", "-p"], "claude"),
        (["sh", "-c", 'claude -p "$0"', "{prompt}"], "claude"),
        (["opencode", "run", "--model", "ollama/claude-distill"], None),
    ],
)
def test_a_cloud_cli_is_found_however_it_is_launched(cli: list[str], found: str | None) -> None:
    assert cloud_cli_in(cli) == found


def test_an_endpoint_with_userinfo_is_refused() -> None:
    # Python reads this host as 127.0.0.1; browser-style parsers read 8.8.8.8.
    assert "plain URL" in (endpoint_problem("http://8.8.8.8\\@127.0.0.1:11434") or "")
    assert "plain URL" in (endpoint_problem("http://user@127.0.0.1:11434") or "")


def test_the_shipped_configuration_passes() -> None:
    result = run_cli("config", "check")
    assert result.returncode == 0, result.stderr
