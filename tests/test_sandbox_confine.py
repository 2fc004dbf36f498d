"""The sandbox itself: what an agent sees and may write, its environment, its network,
and what happens where no sandbox can be made. Real bubblewrap, real processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config, engine_config_dict, import_spec, task, write_config

from convergio_tui.config.schema import Config
from convergio_tui.engine.context import EngineContext
from convergio_tui.engine.events import Bus
from convergio_tui.providers import run_process
from convergio_tui.sandbox.confine import RunRequest, confine, relaying
from convergio_tui.sandbox.envpolicy import agent_env
from convergio_tui.sandbox.macos import profile
from convergio_tui.sandbox.policy import Access, Mount, SandboxSpec, bwrap_argv, ordered
from convergio_tui.store.models import Run

PROBE = r"""
import json, os, socket, sys, urllib.request
def attempt(fn):
    try:
        fn()
        return "ok"
    except Exception as exc:
        return "denied: " + type(exc).__name__
def write(path):
    with open(path, "w") as handle:
        handle.write("x")
checks = json.loads(sys.argv[1])
out = {}
for name, (kind, arg) in checks.items():
    if kind == "read":
        out[name] = attempt(lambda: open(arg, "rb").read())
    elif kind == "write":
        out[name] = attempt(lambda: write(arg))
    elif kind == "http":
        out[name] = attempt(lambda: urllib.request.urlopen(arg, timeout=5).read())
    elif kind == "tcp":
        out[name] = attempt(lambda: socket.create_connection(("127.0.0.1", int(arg)), timeout=3).close())
out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["env"] = sorted(os.environ)
print(json.dumps(out))
"""


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside /tmp (the sandbox's /tmp is private: everything there is hidden
    anyway), so read-only, hidden and writable are each really put to the test."""
    root = Path("/var/tmp") / f"convergio-sandbox-test-{uuid.uuid4().hex[:8]}"
    for sub in ("ro", "hidden/allowed", "rw"):
        (root / sub).mkdir(parents=True)
    (root / "ro" / "readme.txt").write_text("readable\n")
    (root / "hidden" / "secret.txt").write_text("secret\n")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _probe(config: Config, workdir: Path, checks: dict[str, tuple[str, str]], *,
           privacy: str = "internal", db: Path | None = None, env: dict[str, str] | None = None,
           secrets: dict[str, str] | None = None) -> dict[str, object]:  # fmt: skip
    run_dir = workdir.parent / "run"
    run_dir.mkdir(exist_ok=True, mode=0o700)
    request = RunRequest(
        provider="opencode", argv=[sys.executable, "-c", PROBE, json.dumps(checks)],
        workdir=workdir, privacy=privacy, run_dir=run_dir, db_file=db,
        secrets=secrets or {}, markers={"CONVERGIO_RUN_TAG": "db#1"},
    )  # fmt: skip
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        confined = confine(config, request)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert confined.spec is not None
    with relaying(confined):
        outcome = run_process(
            confined.argv, cwd=workdir, env=confined.env, timeout_s=60, log_path=None
        )
    assert outcome.exit_code == 0, outcome.stderr_lines
    return json.loads(outcome.stdout_lines[-1])


def test_mounts_apply_parents_first_and_writable_wins_on_one_path() -> None:
    mounts = (
        Mount("/home/u/.config/opencode", Access.WRITE),
        Mount("/home/u", Access.WRITE),
        Mount("/home/u/.config", Access.HIDDEN_DIR),
        Mount("/home/u/.ssh", Access.HIDDEN_DIR),
        Mount("/home/u/.ssh", Access.WRITE),
    )
    assert [(m.path, m.access) for m in ordered(mounts)] == [
        ("/home/u", Access.WRITE),
        ("/home/u/.config", Access.HIDDEN_DIR),
        ("/home/u/.ssh", Access.WRITE),
        ("/home/u/.config/opencode", Access.WRITE),
    ]
    argv = bwrap_argv(SandboxSpec("/w", mounts, network=False), ["agent"])
    assert argv.index("--unshare-net") < argv.index("--chdir")
    assert argv[-2:] == ["--", "agent"] and argv[6:8] == ["--cap-drop", "ALL"]


def test_environment_is_an_allow_list() -> None:
    source = {
        "PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "EDITOR": "vim",
        "CONVERGIO_VAULT_KEY": "k", "CONVERGIO_DB": "/db", "CONVERGIO_HOME": "/c",
        "ANTHROPIC_API_KEY": "a", "GEMINI_API_KEY": "g", "GITHUB_TOKEN": "t",
    }  # fmt: skip
    env = agent_env(
        source, provider_env={"X": "1"}, env_pass=("ANTHROPIC_*", "CLAUDE_*", "*_DB"),
        secrets={"API_TOKEN": "v", "CONVERGIO_VAULT_KEY": "from the vault"},
        markers={"CONVERGIO_RUN_TAG": "db#3", "CONVERGIO_OTHER": "no"},
    )  # fmt: skip
    assert env == {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "ANTHROPIC_API_KEY": "a",
                   "X": "1", "API_TOKEN": "v", "CONVERGIO_RUN_TAG": "db#3"}  # fmt: skip


def test_agent_sees_read_only_world_hidden_paths_and_only_its_own_processes(
    tmp_path: Path, outside: Path, isolated_home: Path
) -> None:  # fmt: skip
    data = engine_config_dict(tmp_path / "repo", "http://127.0.0.1:9")
    data["sandbox"] = {"mode": "auto", "hidden": [str(outside / "hidden")],
                       "writable": [str(outside / "rw"), str(outside / "hidden" / "allowed")]}  # fmt: skip
    config = Config.model_validate(data)
    workdir = tmp_path / "work"
    workdir.mkdir()
    db = isolated_home / "convergio.db"
    isolated_home.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"SQLite format 3\x00")
    seen = _probe(config, workdir, {
        "read_ro": ("read", str(outside / "ro" / "readme.txt")),
        "write_ro": ("write", str(outside / "ro" / "new.txt")),
        "read_hidden": ("read", str(outside / "hidden" / "secret.txt")),
        "write_allowed": ("write", str(outside / "hidden" / "allowed" / "ok.txt")),
        "write_rw": ("write", str(outside / "rw" / "ok.txt")),
        "write_cwd": ("write", str(workdir / "ok.txt")),
        "read_db": ("read", str(db)),
        "write_etc": ("write", "/etc/convergio-was-here"),
    }, db=db, env={"CONVERGIO_VAULT_KEY": "key!", "GEMINI_API_KEY": "g"}, secrets={"TOKEN": "t"})  # fmt: skip
    assert seen["read_ro"] == "ok" and seen["write_ro"].startswith("denied")  # type: ignore[union-attr]
    assert seen["read_hidden"].startswith("denied")  # type: ignore[union-attr]
    assert seen["read_db"].startswith("denied")  # type: ignore[union-attr]
    assert seen["write_etc"].startswith("denied")  # type: ignore[union-attr]
    assert (seen["write_allowed"], seen["write_rw"], seen["write_cwd"]) == ("ok", "ok", "ok")
    assert (outside / "hidden" / "allowed" / "ok.txt").exists() and (workdir / "ok.txt").exists()
    assert not (outside / "ro" / "new.txt").exists()
    assert len(seen["pids"]) <= 3  # type: ignore[arg-type]  # bwrap's init, the agent, nothing else
    env = set(seen["env"])  # type: ignore[arg-type]
    assert {"TOKEN", "CONVERGIO_RUN_TAG"} <= env
    assert not {"CONVERGIO_VAULT_KEY", "CONVERGIO_HOME", "GEMINI_API_KEY"} & env


def _listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def test_a_sensitive_run_reaches_its_local_endpoint_and_nothing_else(
    tmp_path: Path, ollama: str
) -> None:
    config = engine_config(tmp_path / "repo", ollama)
    workdir = tmp_path / "work"
    workdir.mkdir()
    other = _listener()
    try:
        port = other.getsockname()[1]
        checks = {"endpoint": ("http", f"{ollama}/api/version"), "other": ("tcp", str(port))}
        sensitive = _probe(config, workdir, checks, privacy="sensitive")
        internal = _probe(config, workdir, checks, privacy="internal")
    finally:
        other.close()
    assert sensitive["endpoint"] == "ok" and str(sensitive["other"]).startswith("denied")
    assert internal["endpoint"] == "ok" and internal["other"] == "ok"


def test_runs_refuse_where_no_sandbox_can_be_made(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path
) -> None:
    # A PATH with everything of /usr/bin but bwrap: a machine without bubblewrap.
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    for tool in Path("/usr/bin").iterdir():
        if tool.name != "bwrap":
            (bare / tool.name).symlink_to(tool)
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    db = tmp_path / "c.db"
    spec = tmp_path / "plan.yaml"
    spec.write_text("name: p\nproject: demo\nwaves:\n- name: w1\n  tasks:\n"
                    "  - {code: T1, title: t, prompt: 'SIM: write a.txt <<<a>>>', type: coding}\n")  # fmt: skip
    base = ["--config", str(cfg), "--db", str(db)]
    assert run_cli(*base, "plan", "import", str(spec)).returncode == 0
    env = {"PATH": f"{sim_bin.parent.parent / 'bin'}:{Path(sys.executable).parent}:{bare}"}
    proc = run_cli(*base, "run", "1", env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bwrap is not installed" in lines[0]
    assert "apt-get install bubblewrap" in lines[0] and "mode: off" in lines[0]
    assert run_cli(*base, "health", env=env).stdout.count("bwrap is not installed") == 1
    from convergio_tui.store.db import open_database

    open_database(db)
    assert Run.select().count() == 0


def test_unsandboxed_mode_is_said_and_runs_one_agent_at_a_time(
    repo: Path, ollama: str, tmp_path: Path, engine_db: Path
) -> None:
    config = engine_config(repo, ollama, sandbox={"mode": "off"},
                           execution={"max_parallel": 4})  # fmt: skip
    plan = import_spec(config, tmp_path, [[task("T1", "x")]])
    ctx = EngineContext.for_plan(config, plan, Bus(None), __import__("threading").Event(), 4)
    assert ctx.parallel == 1
    cfg = write_config(
        tmp_path / "off.yaml", engine_config_dict(repo, ollama, sandbox={"mode": "off"})
    )
    out = run_cli("--config", str(cfg), "--db", str(tmp_path / "h.db"), "health").stdout
    assert "agents unsandboxed" in out


def test_macos_profile_follows_the_same_rules() -> None:
    spec = SandboxSpec("/w", (
        Mount("/Users/u/.ssh", Access.HIDDEN_DIR), Mount("/w", Access.WRITE),
        Mount("/Users/u/.convergio/c.db", Access.HIDDEN_FILE), Mount("/repo/.git", Access.READ),
    ), network=False)  # fmt: skip
    text = profile(spec, ("127.0.0.1", 11434))
    assert '(deny file-read* file-write* (subpath "/Users/u/.ssh"))' in text
    assert '(deny file-read* file-write* (literal "/Users/u/.convergio/c.db"))' in text
    assert '(allow file-read* file-write* (subpath "/w"))' in text
    assert text.index('(deny file-write* (subpath "/"))') < text.index('(subpath "/w")')
    assert "(deny network*)" in text and "localhost:11434" in text
