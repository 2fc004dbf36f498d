"""The simulated agent CLI: ``claude``, ``copilot``, ``gemini`` or ``opencode``.

Test and demo instrument (convergio-sim), not a real agent. The tool is chosen by the
basename of argv[0] or by ``--as NAME``; it accepts that tool's headless argv (see
docs/providers.md), does what the prompt's ``SIM:`` directives and the ``CONVERGIO_SIM_*``
environment ask (see ``behaviour``), and prints the tool's real output format.

Environment: ``CONVERGIO_SIM_MODE``, ``_DELAY``, ``_LINES``, ``_FLOOD_MB``, ``_COST``,
``_INPUT_TOKENS``, ``_OUTPUT_TOKENS`` (each also as ``CONVERGIO_SIM_<NAME>_<KEY>``),
``CONVERGIO_SIM_AUTH=fail`` (version and auth checks fail, runs fail authentication),
``CONVERGIO_SIM_<NAME>_MODELS`` (comma list of accepted models),
``CONVERGIO_SIM_LOG=<file>`` (one JSON line per call).

Only the standard library is imported so a run starts in a few tens of milliseconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping

from convergio_tui.sim.behaviour import Behaviour, SimError, allowed_models, env_value, resolve
from convergio_tui.sim.cli_args import NAMES, VERSIONS, Request, UsageError, parse_request
from convergio_tui.sim.host import Host
from convergio_tui.sim.speaker import PlainSpeaker, Speaker

SIM_LABEL = "[convergio-sim]"
JSON_FORMATS = {  # each CLI's JSON output formats; the first streams events
    "claude": ("stream-json", "json"),
    "copilot": ("json",),
    "gemini": ("stream-json", "json"),
    "opencode": ("json",),
}


def _take_as(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove ``--as NAME`` / ``--as=NAME`` from argv."""
    for i, token in enumerate(argv):
        if token == "--":
            break
        if token == "--as" and i + 1 < len(argv):
            return argv[:i] + argv[i + 2 :], argv[i + 1]
        if token.startswith("--as="):
            return argv[:i] + argv[i + 1 :], token.partition("=")[2]
    return argv, None


def _log(env: Mapping[str, str], name: str, argv: list[str], record: dict[str, object]) -> None:
    """Append one JSON line to CONVERGIO_SIM_LOG under an exclusive lock."""
    path = env.get("CONVERGIO_SIM_LOG")
    if not path:
        return
    import fcntl

    entry = {"name": name, "argv": argv, "cwd": os.getcwd(), "pid": os.getpid()}
    entry.update(record)
    entry["ts"] = time.time()
    data = (json.dumps(entry) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def speaker_for(req: Request, beh: Behaviour, host: Host | None = None) -> Speaker:
    """The speaker of ``req``'s tool and output format, on ``host`` (the real machine
    when None); only the chosen tool's module is imported."""
    if req.fmt not in JSON_FORMATS[req.name]:
        return PlainSpeaker(req, beh, host)
    if req.name == "claude":
        from convergio_tui.sim.fmt_claude import ClaudeSpeaker

        return ClaudeSpeaker(req, beh, host)
    if req.name == "copilot":
        from convergio_tui.sim.fmt_copilot import CopilotSpeaker

        return CopilotSpeaker(req, beh, host)
    if req.name == "gemini":
        from convergio_tui.sim.fmt_gemini import GeminiSpeaker

        return GeminiSpeaker(req, beh, host)
    from convergio_tui.sim.fmt_opencode import OpencodeSpeaker

    return OpencodeSpeaker(req, beh, host)


def _auth_failing(env: Mapping[str, str], name: str) -> bool:
    auth = (env_value(env, name, "AUTH") or "").lower()
    return auth == "fail" or env_value(env, name, "MODE") == "auth"


def _version(env: Mapping[str, str], name: str) -> int:
    if _auth_failing(env, name):
        sys.stderr.write(f"{name}: not authenticated {SIM_LABEL}\n")
        return 1
    sys.stdout.write(f"{VERSIONS[name]} {SIM_LABEL}\n")
    return 0


def _auth_status(env: Mapping[str, str]) -> int:
    # As claude 2.1.332 prints it: pretty JSON, no network, exit 1 when no credential.
    ok = not _auth_failing(env, "claude")
    keyed = ok and bool(env.get("ANTHROPIC_API_KEY"))
    status = {
        "loggedIn": ok,
        "authMethod": "api_key" if keyed else ("claude.ai" if ok else "none"),
        "apiKeySource": "ANTHROPIC_API_KEY" if keyed else None,
    }
    sys.stdout.write(json.dumps(status, indent=2) + "\n")
    return 0 if ok else 1


def _run(env: Mapping[str, str], name: str, argv: list[str]) -> int:
    req = parse_request(name, argv)
    if req.cwd:
        os.chdir(req.cwd)
    if req.action == "version":
        _log(env, name, argv, {"kind": "version", "prompt": None, "model": None})
        return _version(env, name)
    if req.action == "auth_status":
        _log(env, name, argv, {"kind": "auth_status", "prompt": None, "model": None})
        return _auth_status(env)
    beh = resolve(req.prompt, name, env)
    models = allowed_models(name, env)
    if models is not None and req.model not in models:
        beh.mode = "model_not_found"
    record = {"kind": "run", "prompt": req.prompt, "model": req.model}
    record.update({"mode": beh.mode, "round": beh.round})
    _log(env, name, argv, record)
    return perform_run(req, beh)


def perform_run(req: Request, beh: Behaviour) -> int:
    """Print the run's output in the tool's format; returns the exit code."""
    from convergio_tui.sim.scenario import perform

    return perform(speaker_for(req, beh), beh)


def main(argv: list[str] | None = None, name: str | None = None) -> int:
    """Entry point: ``main(["-p", ...], name="claude")`` or argv[0]'s basename."""
    args = list(sys.argv[1:] if argv is None else argv)
    args, as_name = _take_as(args)
    tool = as_name or name or os.path.basename(sys.argv[0])
    if tool.endswith(".py"):
        tool = tool[:-3]
    if tool not in NAMES:
        sys.stderr.write(f"convergio-sim: unknown tool {tool!r}; use --as {'|'.join(NAMES)}\n")
        return 2
    try:
        return _run(os.environ, tool, args)
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    except SimError as exc:
        sys.stderr.write(f"convergio-sim: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader went away: silence the interpreter's final flush of stdout too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
