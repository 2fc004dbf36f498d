"""Check one provider now: its CLI, its credentials and its endpoint (the I/O of health).

Everything runs with the environment an agent of this provider would get (its ``env``,
its ``env_pass`` variables, the vault values the caller passes) and every command runs in
the same sandbox as a run, so a check sees what a run will see. Each step is bounded by
``health.check_timeout_s``, long enough for a CLI's cold start. The verdicts come from
:mod:`.health_verdict`; which credentials a CLI would use from :mod:`.health_creds`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine import health_creds as creds
from convergio_tui.engine.health_verdict import (
    PACKAGES,
    Verdict,
    command_verdict,
    first_line,
    http_verdict,
    install_hint,
    network_verdict,
    ok,
    parse_version,
    problem,
)
from convergio_tui.sandbox.confine import RunRequest, SandboxUnavailable, confine, run_folder
from convergio_tui.store.db import database_file

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_versions: dict[tuple[str, int, int], str] = {}  # (real path, mtime, size) -> version
_versions_lock = threading.Lock()


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one provider now."""

    provider: str
    state: str  # up | down | cooldown
    latency_ms: float
    detail: str
    version: str | None = None
    reason: str | None = None  # None when up (health_verdict.REASON_STATES)


class _Room:
    """Where one provider's probes run: a private folder as the working directory and
    the agent's environment, each command confined like a run."""

    def __init__(self, config: Config, name: str, folder: Path, secrets: Mapping[str, str],
                 timeout_s: float) -> None:  # fmt: skip
        self.config, self.name, self.folder = config, name, folder
        self.secrets, self.timeout_s = dict(secrets), timeout_s
        self.env = self.confined(["true"])[1]

    def confined(self, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        """``argv`` in the provider's sandbox, and its environment."""
        request = RunRequest(provider=self.name, argv=argv, workdir=self.folder, privacy="internal",
                             run_dir=self.folder, secrets=self.secrets, db_file=database_file())  # fmt: skip
        try:
            done = confine(self.config, request)
        except SandboxUnavailable:
            # Runs refuse to start (and `convergio health` says so); the probe still
            # answers, with the same environment, outside a sandbox.
            sandbox = self.config.sandbox.model_copy(update={"mode": "off"})
            done = confine(self.config.model_copy(update={"sandbox": sandbox}), request)
        return done.argv, done.env

    def run(self, argv: list[str]) -> tuple[int | None, str]:
        """Exit code (None on timeout) and combined output of ``argv``, confined."""
        wrapped, env = self.confined(argv)
        try:
            proc = subprocess.Popen(
                wrapped, cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            return 127, str(exc)
        try:
            out, _ = proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            with suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)  # the whole tree, not just the wrapper
            with suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=5)
            return None, ""
        return proc.returncode, out.decode("utf-8", "replace")

    def timed_out(self, argv: list[str]) -> Verdict:
        """The verdict on a command that outlived the timeout."""
        return problem("timeout", f"`{' '.join(argv)}` took longer than {self.timeout_s:g}s",
                       "raise health.check_timeout_s (a CLI's first start can be slow)")  # fmt: skip


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1_000_000)
    except OSError:
        return None


def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _opener(url: str, env: Mapping[str, str]) -> urllib.request.OpenerDirector:
    """No proxy for this machine; otherwise the proxies the agent would use."""
    if _loopback(url):
        return _NO_PROXY
    proxies = {}
    for scheme in ("http", "https"):
        value = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
        if value:
            proxies[scheme] = value
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies))


def http_check(check: creds.HttpCheck, env: Mapping[str, str], timeout_s: float) -> Verdict:
    """Send ``check``'s GET and judge the answer."""
    if urllib.parse.urlsplit(check.url).scheme not in ("http", "https"):
        return problem("unreachable", f"{check.where} is not an http(s) URL", "fix the base URL")
    request = urllib.request.Request(check.url, headers=check.headers, method="GET")
    try:
        with _opener(check.url, env).open(request, timeout=timeout_s) as resp:
            status, body = resp.status, resp.read(65536)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(65536) if exc.fp else b""
    except TimeoutError as exc:
        return network_verdict(check.where, str(exc), timeout_s, timed_out=True)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        timed_out = isinstance(reason, TimeoutError)
        return network_verdict(check.where, str(reason), timeout_s, timed_out)
    return http_verdict(status, body, what=check.what, where=check.where, fix=check.fix)


def endpoint_check(url: str, models: list[str], timeout_s: float) -> Verdict:
    """Ask an Ollama endpoint for its version and pulled models."""
    base = url.rstrip("/")
    try:
        with _NO_PROXY.open(f"{base}/api/version", timeout=timeout_s) as resp:
            version = json.loads(resp.read() or b"{}").get("version", "?")
        with _NO_PROXY.open(f"{base}/api/tags", timeout=timeout_s) as resp:
            tags = json.loads(resp.read() or b"{}").get("models", [])
    except (OSError, ValueError) as exc:
        return problem("unreachable", f"endpoint {base} not answering ({exc})",
                       "start Ollama (`ollama serve`) or fix the provider's endpoint")  # fmt: skip
    pulled = {str(t.get("name", "")).split(":", 1)[0] for t in tags if isinstance(t, dict)}
    wanted = [m.split("/", 1)[-1].split(":", 1)[0] for m in models]
    missing = [m for m in wanted if m not in pulled]
    detail = f"ollama {version} at {base}"
    if missing:
        detail += f"; models not pulled: {', '.join(missing)} (ollama pull {missing[0]})"
    return ok(detail)


def _version(room: _Room, exe: str, argv: list[str]) -> tuple[str | None, Verdict | None]:
    """The CLI's version (cached per executable file), or the verdict that stops here."""
    real = os.path.realpath(exe)
    try:
        stat = os.stat(real)
        key = (real, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    with _versions_lock:
        if key in _versions:
            return _versions[key], None
    code, out = room.run(argv)
    if code is None:
        return None, room.timed_out(argv)
    if code != 0:
        said = first_line(out)
        return None, problem("broken", f"`{' '.join(argv)}` exited {code}" + (f": {said}" if said else ""),
                             "reinstall the CLI or fix its path")  # fmt: skip
    version = parse_version(out) or first_line(out, 40) or None
    if key is not None and version:
        with _versions_lock:
            _versions[key] = version
    return version, None


def _credentials(room: _Room, kind: str, auth_check: list[str], version_argv: list[str],
                 endpoint: str | None) -> Verdict:  # fmt: skip
    """The CLI's own way to prove its credentials, or the configured ``auth_check``
    command (exit 0 = logged in) when it is something else."""
    hint = creds.LOGIN_HINTS.get(kind, "log the CLI in")
    claude_status = [version_argv[0], "auth", "status"]
    if auth_check and not (kind == "claude" and auth_check == claude_status):
        if auth_check == version_argv:
            return ok(f"`{' '.join(auth_check)}` exited 0")  # already run for the version
        code, out = room.run(auth_check)
        if code is None:
            return room.timed_out(auth_check)
        return command_verdict(auth_check, code, out, hint)
    if kind == "claude":
        code, out = room.run(claude_status)
        if code is None:
            return room.timed_out(claude_status)
        verdict = command_verdict(claude_status, code, out, hint)
        check = creds.claude_key_check(room.env) if verdict.up else None
        return verdict if check is None else http_check(check, room.env, room.timeout_s)
    if kind in ("copilot", "gemini"):
        found = (creds.copilot if kind == "copilot" else creds.gemini)(room.env, _read)
        return found if isinstance(found, Verdict) else http_check(found, room.env, room.timeout_s)
    if kind == "opencode" and endpoint:
        return ok("a local model: no credentials needed")
    return ok("credentials not checked (set the provider's auth_check)")


def check_provider(
    config: Config, name: str, secrets: Mapping[str, str] | None = None
) -> CheckResult:
    """Check provider ``name`` now: CLI present and answering, credentials accepted,
    endpoint answering. Takes up to a few ``health.check_timeout_s``."""
    started = time.monotonic()
    provider = config.providers[name]
    cli = provider.cli[0]
    kind = Path(cli).name
    timeout_s = config.health.check_timeout_s
    version: str | None = None

    def result(verdict: Verdict) -> CheckResult:
        elapsed = (time.monotonic() - started) * 1000
        return CheckResult(name, verdict.state, elapsed, verdict.detail, version, verdict.reason)

    with run_folder(
        paths.run_dirs(), f"health-{name}-{os.getpid()}-{threading.get_ident()}"
    ) as folder:
        room = _Room(config, name, folder, secrets or {}, timeout_s)
        exe = shutil.which(cli, path=room.env.get("PATH"))
        if exe is None:
            return result(problem("missing", f"`{cli}` not found on PATH", install_hint(kind, cli)))
        version_argv = [cli, "--version"]
        auth_check = list(provider.auth_check)
        if auth_check == version_argv:
            # The configured check is the version command: its failure is a login failure.
            code, out = room.run(version_argv)
            if code is None:
                return result(room.timed_out(version_argv))
            if code != 0:
                return result(
                    command_verdict(version_argv, code, out, creds.LOGIN_HINTS.get(kind, ""))
                )
            version = parse_version(out) or first_line(out, 40) or None
        else:
            version, stop = _version(room, exe, version_argv)
            if stop is not None and (stop.reason == "timeout" or kind in PACKAGES):
                return result(stop)  # a wrapper (`sh -c ...`) may not know --version
        verdict = _credentials(room, kind, auth_check, version_argv, provider.endpoint)
    if not verdict.up:
        return result(verdict)
    detail = f"{kind} {version or '?'}; {verdict.detail}"
    if provider.endpoint:
        reached = endpoint_check(
            provider.endpoint, [m.id for m in provider.models if m.enabled], timeout_s
        )
        if not reached.up:
            return result(reached)
        detail += f"; {reached.detail}"
    return result(ok(detail))
