"""Turn a provider CLI's command into a confined one: the one door every agent process
goes through (task runs and Thor's cross-review alike).

It decides the environment (an allow-list), the sandbox (bubblewrap on Linux,
sandbox-exec on macOS, nothing with ``sandbox.mode: off``) and, for a run without
network, the relay that carries the local provider's endpoint into the sandbox.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui import paths
from convergio_tui.config.schema import Config, ProviderConfig
from convergio_tui.sandbox import defaults
from convergio_tui.sandbox.available import unavailable_reason
from convergio_tui.sandbox.envpolicy import agent_env
from convergio_tui.sandbox.layout import RunScope, build_spec, home_of, protected_paths
from convergio_tui.sandbox.policy import SandboxSpec, bwrap_argv


class SandboxUnavailable(Exception):
    """``sandbox.mode: auto`` and no sandbox can be made here; the message says what to do."""


@dataclass(frozen=True)
class Confined:
    """A ready command: ``argv`` and ``env`` for the runner, the spec it runs in (None
    when unsandboxed) and the endpoint relayed into it (None for none)."""

    argv: list[str]
    env: dict[str, str]
    spec: SandboxSpec | None
    relay_endpoint: tuple[str, int] | None = None
    relay_socket: Path | None = None


@dataclass(frozen=True)
class RunRequest:
    """What the caller knows about one agent run."""

    provider: str
    argv: list[str]
    workdir: Path
    privacy: str
    run_dir: Path  # private per-run folder the engine owns (the relay's socket lives here)
    task_ref: str | None = None
    invocation_env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    markers: Mapping[str, str] = field(default_factory=dict)
    db_file: Path | None = None
    read_only: bool = False  # the workdir is read, never written (the planner's run)


def log_header(argv: Sequence[str], confined: Confined) -> str:
    """A run log's first line: the agent's own command (without the sandbox around it)
    and whether it runs confined."""
    return f"$ {shlex.join(argv)}" + (
        " [sandboxed]" if confined.spec is not None else " [UNSANDBOXED]"
    )


def sandboxed(config: Config) -> bool:
    """Whether agents run in a sandbox under this configuration."""
    return config.sandbox.mode == "auto"


def require_sandbox(config: Config) -> None:
    """Raise :class:`SandboxUnavailable` when the configuration wants a sandbox and this
    machine cannot make one (a run must refuse rather than start an agent unconfined)."""
    if sandboxed(config):
        reason = unavailable_reason()
        if reason is not None:
            raise SandboxUnavailable(reason)


def state_dirs(provider: ProviderConfig) -> tuple[str, ...]:
    """The provider's ``state_dirs``, else the shipped default for its CLI."""
    if provider.state_dirs is not None:
        return tuple(provider.state_dirs)
    return defaults.STATE_DIRS.get(Path(provider.cli[0]).name, ())


def env_pass(provider: ProviderConfig) -> tuple[str, ...]:
    """The provider's ``env_pass``, else the shipped default for its CLI."""
    if provider.env_pass is not None:
        return tuple(provider.env_pass)
    return defaults.ENV_PASS.get(Path(provider.cli[0]).name, ())


def loopback_endpoint(url: str | None) -> tuple[str, int] | None:
    """``(host, port)`` of a local provider's endpoint when it is on this machine."""
    if not url:
        return None
    from convergio_tui.sandbox.relay import parse_endpoint

    try:
        host, port = parse_endpoint(url)
    except ValueError:
        return None
    if host == "localhost":
        return "127.0.0.1", port
    try:
        return (host, port) if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


def _tmpdir(config: Config) -> dict[str, str]:
    """``TMPDIR`` pointed at the sandbox's private ``/tmp`` (Linux, sandbox on)."""
    return {"TMPDIR": "/tmp"} if sandboxed(config) and sys.platform.startswith("linux") else {}


def _spec(config: Config, env: Mapping[str, str], *, workdir: Path, executable: str,
          db_file: Path | None, network: bool, task_ref: str | None = None,
          state: tuple[str, ...] = (), extra_writable: tuple[Path, ...] = (),
          read_only: bool = False) -> SandboxSpec:  # fmt: skip
    """The sandbox of one process: Convergio's own files (home, database, vaults, logs, the
    worktree root) hidden, plus the configuration's ``writable`` and ``hidden``."""
    protected = protected_paths(
        paths.home_dir(), db_file,
        (paths.vault_dir(), paths.logs_dir(), paths.worktrees_dir(config.execution.worktree_root)),
    )  # fmt: skip
    return build_spec(RunScope(
        workdir=workdir, executable=executable, path_env=env.get("PATH", ""), home=home_of(env),
        task_ref=task_ref, state_dirs=state, writable=tuple(config.sandbox.writable),
        hidden=tuple(config.sandbox.hidden), protected=protected,
        extra_writable=extra_writable, network=network, read_only=read_only,
    ))  # fmt: skip


def _wrapped(spec: SandboxSpec, argv: list[str], endpoint: tuple[str, int] | None) -> list[str]:
    """``argv`` inside ``spec``: sandbox-exec on macOS, bubblewrap elsewhere."""
    if sys.platform == "darwin":
        from convergio_tui.sandbox.macos import sandbox_exec_argv

        return sandbox_exec_argv(spec, argv, endpoint)
    return bwrap_argv(spec, argv, shutil.which("bwrap") or "bwrap")


def confine(config: Config, request: RunRequest) -> Confined:
    """The confined command for ``request`` (raises :class:`SandboxUnavailable`)."""
    provider = config.providers[request.provider]
    overrides = {**request.invocation_env, **_tmpdir(config)}
    if sandboxed(config):
        overrides["IS_SANDBOX"] = "1"  # claude refuses to skip permissions as root without it
    env = agent_env(
        os.environ, provider_env=provider.env, env_pass=env_pass(provider),
        secrets=request.secrets, markers=request.markers, overrides=overrides,
    )  # fmt: skip
    if not sandboxed(config):
        return Confined(list(request.argv), env, None)
    require_sandbox(config)
    network = request.privacy != "sensitive"
    endpoint = None if network else loopback_endpoint(provider.endpoint)
    spec = _spec(
        config, env, workdir=request.workdir, executable=request.argv[0],
        db_file=request.db_file, network=network, task_ref=request.task_ref,
        state=state_dirs(provider), extra_writable=(request.run_dir,) if endpoint else (),
        read_only=request.read_only,
    )  # fmt: skip
    argv = list(request.argv)
    socket = None
    if endpoint is not None and sys.platform != "darwin":  # macOS: the profile allows it
        from convergio_tui.sandbox.relay import relay_argv

        socket = request.run_dir / "relay.sock"
        argv = relay_argv(sys.executable, endpoint[0], endpoint[1], str(socket), argv)
    return Confined(_wrapped(spec, argv, endpoint), env, spec, endpoint, socket)


def confine_command(config: Config, argv: list[str], workdir: Path, *, network: bool,
                    db_file: Path | None) -> tuple[list[str], dict[str, str]]:  # fmt: skip
    """Thor's configured commands run code an agent wrote (a test, a build script): the
    same sandbox and base allow-list, without provider state or secrets; no network at
    all for sensitive work. Returns the argv and environment."""
    env = agent_env(os.environ, provider_env={}, env_pass=(), secrets={}, markers={},
                    overrides=_tmpdir(config))  # fmt: skip
    if not sandboxed(config):
        return list(argv), env
    require_sandbox(config)
    spec = _spec(config, env, workdir=workdir, executable=argv[0], db_file=db_file,
                 network=network)  # fmt: skip
    return _wrapped(spec, list(argv), None), env


@contextmanager
def relaying(confined: Confined) -> Iterator[None]:
    """Serve the relay's host side for the length of the run (a no-op without one)."""
    if confined.relay_endpoint is None or confined.relay_socket is None:
        yield
        return
    from convergio_tui.sandbox.relay import HostRelay

    host, port = confined.relay_endpoint
    with HostRelay(host, port, confined.relay_socket):
        yield


@contextmanager
def run_folder(base: Path, name: str) -> Iterator[Path]:
    """A private (0700) per-run folder under ``base``, removed afterwards."""
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    try:
        yield folder
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
