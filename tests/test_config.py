"""Configuration loading: the shipped file is valid; every bad input names file:line:key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from convergio_tui import paths
from convergio_tui.config.errors import ConfigError
from convergio_tui.config.loader import load_config

SHIPPED = paths.shipped_config_path().read_text()


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orchestrator.yaml"
    path.write_text(text)
    return path


def test_repo_root_file_is_the_shipped_default() -> None:
    root = Path(__file__).resolve().parent.parent / "orchestrator.yaml"
    assert root.read_text() == SHIPPED


def test_shipped_config_reproduces_design_table(shipped_config) -> None:
    cfg = shipped_config
    assert list(cfg.providers) == ["claude", "copilot", "gemini", "opencode"]
    assert cfg.budget.max_premium_per_day == 10.0
    assert cfg.budget.alert_threshold_pct == 80
    assert cfg.budget.fallback_chain == ["claude", "copilot", "gemini", "opencode"]
    assert cfg.routing.by_privacy["sensitive"].allowed_providers == ["opencode"]
    assert cfg.routing.by_priority["P3"].max_cost_tier.value == "free"
    assert all(m.privacy_safe for m in cfg.providers["opencode"].models)
    assert cfg.providers["claude"].model("claude-opus-4-5").output_usd_per_mtok == 25.0


@pytest.mark.parametrize(
    ("old", "new", "needle", "key", "message"),
    [
        ("coding:   {preferred_providers: [copilot, claude]}",
         "coding:   {preferred_providers: [copilot, claud]}",
         "coding:   {preferred", "routing.by_type.coding.preferred_providers.1",
         "unknown provider 'claud' (known: claude, copilot, gemini, opencode)"),
        ("max_premium_per_day: 10.00", "max_premium_per_day: -1",
         "max_premium_per_day", "budget.max_premium_per_day", "greater than or equal to 0"),
        ("  ttl_s: 60", "  ttl_s: 60\n  colour: red", "colour", "health.colour", "unknown key"),
        ("docs:     {preferred_providers: [copilot, gemini]}", "docs:     {preferred_providers: []}",
         "docs:     {preferred", "routing.by_type.docs.preferred_providers", "at least 1 item"),
        ("fallback_chain: [claude, copilot, gemini, opencode]", "fallback_chain: [claude, mistral]",
         "fallback_chain: [claude, m", "budget.fallback_chain.1", "unknown provider 'mistral'"),
        ("timezone: local ", "timezone: Mars/Olympus ", "timezone", "budget.timezone", "unknown timezone"),
        ("    default_model: gpt-5\n", "    default_model: gpt-6\n", "default_model: gpt-6",
         "providers.copilot.default_model", "'gpt-6' is not one of this provider's models"),
        ("  writable: []  ", '  writable: ["cache/pip"]  ', 'writable: ["cache', "sandbox.writable",
         "'cache/pip' is not absolute"),
        ("  mode: auto  ", "  mode: strict  ", "mode: strict", "sandbox.mode", "'auto' or 'off'"),
        ('    env_pass: ["GEMINI_*", "GOOGLE_*"]', "    env_pass: GEMINI_*", "env_pass: GEMINI_*",
         "providers.gemini.env_pass", "valid list"),
    ],
)  # fmt: skip
def test_bad_config_names_file_line_key(tmp_path: Path, old: str, new: str, needle: str,
                                         key: str, message: str) -> None:  # fmt: skip
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = [p for p in info.value.problems if p.key == key]
    assert problems, [str(p) for p in info.value.problems]
    assert message in problems[0].message
    assert problems[0].line == line_of(text, needle)
    assert str(problems[0]).startswith(f"{path}:{problems[0].line}: {key}: ")


def test_empty_provider_list_is_an_error(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "providers: {}\nrouting: {by_priority: {}, by_type: {}, by_privacy: {}}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert any(p.key == "providers" and p.line == 1 for p in info.value.problems)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "providers:\n  claude: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].line is not None
    assert "YAML syntax error" in info.value.problems[0].message


def test_config_check_cli_exit_codes_and_json(tmp_path: Path) -> None:
    good = run_cli("--config", str(paths.shipped_config_path()), "config", "check", "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["ok"] is True

    bad = write_config(
        tmp_path, SHIPPED.replace("    cost_tier: free\n", "    cost_tier: gratis\n")
    )
    db = tmp_path / "never.db"
    result = run_cli("--config", str(bad), "--db", str(db), "config", "check", "--json")
    assert result.returncode == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    (err,) = doc["errors"]
    assert err["key"] == "providers.opencode.cost_tier"
    assert err["line"] == line_of(SHIPPED, "    cost_tier: free\n")
    assert err["file"] == str(bad)

    text = run_cli("--config", str(bad), "--db", str(db), "budget")
    assert text.returncode == 2
    assert f"{bad}:{err['line']}: providers.opencode.cost_tier" in text.stderr
    assert not db.exists(), "a bad configuration must not create the database"
