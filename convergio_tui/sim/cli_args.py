"""Read the headless argv of each simulated CLI into a :class:`Request`.

Test and demo instrument (convergio-sim). Known value-taking flags are listed per tool;
any other flag is tolerated and ignored (as a boolean, or ``--flag=value``) so argv
templates can evolve. A missing prompt is an error shaped like the real tool's.
"""

from __future__ import annotations

import os
import sys
from itertools import pairwise

NAMES = ("claude", "copilot", "gemini", "opencode")
VERSIONS = {
    "claude": "2.1.332 (Claude Code)",
    "copilot": "1.0.102",
    "gemini": "0.61.0",
    "opencode": "1.18.33",
}
DEFAULT_MODELS = {
    "claude": "claude-sonnet-4-5",
    "copilot": "gpt-5",
    "gemini": "gemini-2.5-pro",
    "opencode": "ollama/qwen3-coder",
}

_VALUE_FLAGS = {
    "claude": {
        "--output-format",
        "--input-format",
        "--model",
        "--permission-mode",
        "--max-turns",
        "--allowedTools",
        "--allowed-tools",
        "--disallowedTools",
        "--disallowed-tools",
        "--append-system-prompt",
        "--system-prompt",
        "--session-id",
        "--resume",
        "-r",
        "--add-dir",
        "--settings",
        "--mcp-config",
        "--fallback-model",
        "--permission-prompt-tool",
        "--agents",
        "--setting-sources",
        "--max-budget-usd",
    },
    "copilot": {
        "-p",
        "--prompt",
        "--output-format",
        "--model",
        "-C",
        "--add-dir",
        "--log-level",
        "--log-dir",
        "--allow-tool",
        "--deny-tool",
        "--resume",
        "--agent",
        "--config-dir",
        "--max-ai-credits",
        "--usage-output-file",
    },
    "gemini": {
        "-p",
        "--prompt",
        "-m",
        "--model",
        "-o",
        "--output-format",
        "--approval-mode",
        "--include-directories",
        "-e",
        "--extensions",
        "--allowed-tools",
        "--allowed-mcp-server-names",
    },
    "opencode": {
        "--format",
        "-m",
        "--model",
        "--agent",
        "--session",
        "-s",
        "--title",
        "--port",
        "--attach",
        "--file",
        "-f",
        "--command",
        "--variant",
        "--dir",
        "--log-level",
    },
}


class UsageError(Exception):
    """A command line the real tool would refuse; carries its message and exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Request:
    """What the simulated CLI was asked to do."""

    __slots__ = ("action", "cwd", "flags", "fmt", "limit", "model", "name", "prompt")

    def __init__(self, name: str, action: str) -> None:
        self.name = name
        self.action = action  # run | version | auth_status
        self.prompt = ""
        self.model = DEFAULT_MODELS[name]
        self.fmt = "text"
        self.cwd: str | None = None
        # The run's hard spending limit: USD for claude (--max-budget-usd), AI credits
        # for copilot (--max-ai-credits); None: unlimited.
        self.limit: float | None = None
        self.flags: frozenset[str] = frozenset()  # boolean flags given (opencode --print-logs)


def split_flags(name: str, argv: list[str]) -> tuple[dict[str, str], set[str], list[str]]:
    """Split argv into value flags, boolean flags and positionals (``--`` ends flags)."""
    values: dict[str, str] = {}
    booleans: set[str] = set()
    positionals: list[str] = []
    known = _VALUE_FLAGS[name]
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            positionals.extend(argv[i:])
            break
        if token.startswith("--") and "=" in token:
            key, _, value = token.partition("=")
            values[key] = value
        elif token in known:
            if i >= len(argv):
                raise UsageError(f"error: option '{token}' argument missing")
            values[token] = argv[i]
            i += 1
        elif token.startswith("-") and len(token) > 1:
            booleans.add(token)
        else:
            positionals.append(token)
    return values, booleans, positionals


def _first(values: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if key in values:
            return values[key]
    return None


def _number(flag: str, value: str | None, minimum: float) -> float | None:
    """A spending-limit flag's value, refused like the real CLI when it is not a number
    or under ``minimum``."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"error: option '{flag}' argument '{value}' is invalid") from None
    if number != number or number < minimum:
        raise UsageError(f"error: {flag} must be at least {minimum:g}")
    return number


def _read_stdin() -> str:
    """Read a piped prompt (claude); a terminal or a closed stdin gives nothing."""
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return ""
        return sys.stdin.read()
    except (OSError, ValueError):
        return ""


def _claude(argv: list[str], req: Request) -> None:
    values, flags, positionals = split_flags("claude", argv)
    if positionals[:2] == ["auth", "status"] and not flags & {"-p", "--print"}:
        req.action = "auth_status"
        return
    if not flags & {"-p", "--print"}:
        raise UsageError("convergio-sim: interactive claude is not simulated; pass -p")
    req.fmt = values.get("--output-format", "text")
    if req.fmt == "stream-json" and "--verbose" not in flags:
        raise UsageError(
            "Error: When using --print, --output-format=stream-json requires --verbose"
        )
    req.model = values.get("--model", req.model)
    req.limit = _number("--max-budget-usd", values.get("--max-budget-usd"), 0.0)
    req.prompt = " ".join(positionals) if positionals else _read_stdin()
    if not req.prompt.strip():
        raise UsageError(
            "Error: Input must be provided either through stdin or as a prompt argument "
            "when using --print"
        )


# copilot 1.0.102 when the value of -p looks like flags (a prompt starting with "-").
COPILOT_UNQUOTED = (
    "error: Invalid command format.\n\nIt looks like your prompt was not quoted, so the "
    "extra words were treated as separate arguments.\nWrap the prompt in quotes, for "
    "example: copilot -p \"your prompt here\"\n\nTry 'copilot --help' for more information."
)


def _copilot(argv: list[str], req: Request) -> None:
    for flag, value in pairwise(argv):
        if flag in ("-p", "--prompt") and value.startswith("-"):
            raise UsageError(COPILOT_UNQUOTED)
    values, _flags, _positionals = split_flags("copilot", argv)
    prompt = _first(values, "-p", "--prompt")
    if prompt is None:
        raise UsageError("convergio-sim: interactive copilot is not simulated; pass -p PROMPT")
    if not prompt.strip():
        raise UsageError("error: option '-p, --prompt <text>' argument missing")
    req.prompt = prompt
    req.fmt = values.get("--output-format", "text")
    req.model = values.get("--model", req.model)
    req.cwd = values.get("-C")
    # The real CLI refuses a session limit under 30 AI credits.
    req.limit = _number("--max-ai-credits", values.get("--max-ai-credits"), 30.0)


GEMINI_UNTRUSTED = (
    "Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, "
    "set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory "
    "in interactive mode. For more details, see "
    "https://geminicli.com/docs/cli/trusted-folders/#headless-and-automated-environments"
)


def _gemini(argv: list[str], req: Request) -> None:
    # 0.61 (yargs): a prompt after -p that starts with "-" is read as flags, never sent.
    for flag, value in pairwise(argv):
        if flag in ("-p", "--prompt") and value.startswith("-") and len(value) > 1:
            raise UsageError(f"Not enough arguments following: {flag.lstrip('-')[0]}\n"
                             "Usage: gemini [options] [command]")  # fmt: skip
    values, flags, positionals = split_flags("gemini", argv)
    # Every new folder is untrusted, and a headless run there is refused (exit 55).
    trusted = "--skip-trust" in flags or os.environ.get("GEMINI_CLI_TRUST_WORKSPACE") == "true"
    if not trusted:
        raise UsageError(GEMINI_UNTRUSTED, exit_code=55)
    prompt = _first(values, "-p", "--prompt")
    req.prompt = prompt if prompt is not None else " ".join(positionals)
    if not req.prompt.strip():
        raise UsageError(
            "No input provided via stdin. Input can be provided by piping data into gemini "
            "or using the --prompt option.",
            exit_code=42,
        )
    req.fmt = _first(values, "-o", "--output-format") or "text"
    req.model = _first(values, "-m", "--model") or req.model


def _opencode_message(words: list[str]) -> str:
    """``opencode run``'s message as 1.18.33 builds it: each argument holding a space is
    wrapped in double quotes, its own quotes escaped; then stdin, after a newline."""
    quoted = " ".join('"' + w.replace('"', '\\"') + '"' if " " in w else w for w in words)
    piped = _read_stdin()
    return f"{quoted}\n{piped}" if quoted and piped else quoted or piped


def _opencode(argv: list[str], req: Request) -> None:
    values, flags, positionals = split_flags("opencode", argv)
    req.flags = frozenset(flags)
    if not positionals or positionals[0] != "run":
        raise UsageError("convergio-sim: only `opencode run` is simulated")
    req.prompt = _opencode_message(positionals[1:])
    req.cwd = values.get("--dir")
    if not req.prompt.strip() and "--command" not in values:
        raise UsageError("Error: You must provide a message or a command")
    req.fmt = values.get("--format", "default")
    req.model = _first(values, "-m", "--model") or req.model


_PARSERS = {"claude": _claude, "copilot": _copilot, "gemini": _gemini, "opencode": _opencode}


def parse_request(name: str, argv: list[str]) -> Request:
    """Turn one tool's argv into a Request, or raise UsageError like the real tool."""
    if name not in _PARSERS:
        raise UsageError(f"convergio-sim: unknown tool {name!r}; use --as {'|'.join(NAMES)}", 2)
    _values, flags, _positionals = split_flags(name, argv)
    if flags & {"--version", "-v"}:
        return Request(name, "version")
    req = Request(name, "run")
    _PARSERS[name](argv, req)
    return req
