"""Argv templates become the right command, stdin and environment per provider."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convergio_tui.providers import PROVIDERS, get_adapter
from convergio_tui.providers.invocation import substitute
from convergio_tui.providers.redact import REDACTED, Redactor

WORKDIR = Path("/tmp/wt")


def test_claude_pipes_the_prompt_unless_the_template_places_it() -> None:
    claude = get_adapter("claude")
    inv = claude.build_invocation(claude.DEFAULT_TEMPLATE, "fix {model} bug", "opus", WORKDIR)
    assert inv.stdin_text == "fix {model} bug"
    assert inv.argv[:2] == ["claude", "-p"]
    assert inv.argv[inv.argv.index("--model") + 1] == "opus"
    assert "--verbose" in inv.argv and "fix {model} bug" not in inv.argv
    placed = claude.build_invocation(["claude", "-p", "{prompt}"], "hello", "m", WORKDIR)
    assert placed.argv == ["claude", "-p", "hello"] and placed.stdin_text is None


def test_prompts_stay_one_argument_and_are_not_reinterpreted() -> None:
    prompt = "two words {workdir} {model}\nand a line"
    copilot = get_adapter("copilot")
    inv = copilot.build_invocation(copilot.DEFAULT_TEMPLATE, prompt, "gpt-5", WORKDIR)
    assert f"--prompt={prompt}" in inv.argv  # one entry: a leading "-" stays the prompt
    assert inv.stdin_text is None and inv.env == {}
    assert inv.argv[inv.argv.index("--model") + 1] == "gpt-5"


def test_gemini_and_opencode_add_their_environment() -> None:
    gemini = get_adapter("gemini").build_invocation(
        get_adapter("gemini").DEFAULT_TEMPLATE, "p", "gemini-2.5-pro", WORKDIR
    )
    assert gemini.env == {"GEMINI_SANDBOX": "false", "GEMINI_CLI_TRUST_WORKSPACE": "true"}
    assert "--approval-mode=yolo" in gemini.argv and "--skip-trust" in gemini.argv
    assert gemini.argv[-1] == "--prompt=p"  # one entry: a prompt starting with "-" stays one
    opencode = get_adapter("opencode").build_invocation(
        get_adapter("opencode").DEFAULT_TEMPLATE, "p", "ollama/qwen3-coder", WORKDIR
    )
    assert opencode.env == {"OPENCODE_PERMISSION": '{"*":"allow"}'}
    assert opencode.argv[:6] == ["opencode", "run", "--format", "json", "-m", "ollama/qwen3-coder"]
    assert opencode.argv[6:8] == ["--dir", str(WORKDIR)] and opencode.stdin_text == "p"


def test_workdir_placeholder_and_unknown_provider() -> None:
    argv = substitute(["x", "-C", "{workdir}", "--dir={workdir}"], "p", "m", WORKDIR)
    assert argv == ["x", "-C", "/tmp/wt", "--dir=/tmp/wt"]
    with pytest.raises(KeyError, match="known: claude, copilot, gemini, opencode"):
        get_adapter("cursor")


@given(st.text(), st.text())
def test_substitution_is_one_pass_for_any_prompt(prompt: str, model: str) -> None:
    argv = substitute(["a", "{prompt}", "{model}", "pre-{prompt}"], prompt, model, WORKDIR)
    assert argv == ["a", prompt, model, "pre-" + prompt]


@given(st.lists(st.text(min_size=4, max_size=12), min_size=1, max_size=4), st.text(max_size=40))
def test_redaction_removes_every_secret(secrets: list[str], noise: str) -> None:
    text = noise + " ".join(secrets) + noise
    redacted = Redactor(secrets)(text)
    for secret in secrets:
        if secret not in REDACTED and REDACTED not in secret:
            assert secret not in redacted


def test_provider_adapters_do_not_import_textual() -> None:
    code = "import sys, convergio_tui.providers; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_provider_has_a_default_template_naming_its_cli() -> None:
    for name in PROVIDERS:
        worker = get_adapter(name)
        assert worker.DEFAULT_TEMPLATE[0] == name
        assert any("{model}" in part for part in worker.DEFAULT_TEMPLATE)
