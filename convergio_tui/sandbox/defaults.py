"""What ships by default: each CLI's own state, the variables it may see, hidden paths.

Looked up by the CLI's executable name when a provider does not set ``state_dirs`` or
``env_pass`` itself, so a configuration written before these keys existed still gives
claude its ``~/.claude`` and gemini its ``GEMINI_API_KEY``.
"""

from __future__ import annotations

STATE_DIRS: dict[str, tuple[str, ...]] = {
    "claude": ("~/.claude", "~/.claude.json", "~/.config/claude"),
    "copilot": ("~/.copilot", "~/.config/github-copilot"),
    "gemini": ("~/.gemini",),
    "opencode": ("~/.local/share/opencode", "~/.config/opencode", "~/.cache/opencode"),
}

ENV_PASS: dict[str, tuple[str, ...]] = {
    "claude": ("ANTHROPIC_*", "CLAUDE_*"),
    "copilot": ("COPILOT_*", "GH_TOKEN", "GITHUB_TOKEN"),
    "gemini": ("GEMINI_*", "GOOGLE_*"),
    "opencode": ("OPENCODE_*", "OLLAMA_*"),
}

HIDDEN: tuple[str, ...] = ("~/.ssh", "~/.aws", "~/.gnupg", "~/.netrc")
