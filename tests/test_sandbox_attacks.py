"""An agent gone bad, run through the real engine: inside the real sandbox every attack
fails and the honest work still lands; unsandboxed (``sandbox.mode: off``) the integrity
check catches what the agent changed, puts the refs, hooks and config back, and nothing of
that run is merged."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from engine_fixtures import dump, engine_config, git, import_spec, task, uid

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine import gitops, worktrees
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.ownership import Owner
from convergio_tui.store.models import Event, Ledger, Task, database_identity
from convergio_tui.tools.vault import Vault

ATTACK = Path(__file__).with_name("attack_agent.py")
WRAPPER = ["sh", "-c", '"$ATTACK_PY" "$ATTACK_SCRIPT" && exec opencode "$@"', "sh",
           "run", "--format", "json", "-m", "{model}", "{prompt}"]  # fmt: skip
VAULT_KEY = "the engine's vault key, never an agent's"


@pytest.fixture(autouse=True)
def no_daemon_left() -> Iterator[None]:
    yield
    for proc in psutil.process_iter(["cmdline"]):
        if "convergio-attack-daemon" in (proc.info["cmdline"] or []):
            proc.kill()


def _daemons() -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if "convergio-attack-daemon" in (p.info["cmdline"] or [])]  # fmt: skip


def _setup(repo: Path, sim_bin: Path, ollama: str, db: Path, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch, mode: str, skip: str = "") -> tuple[Config, int, Path, Path]:  # fmt: skip
    """A plan whose T1 runs the attack agent (on opencode) beside an idle sibling T2."""
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", VAULT_KEY)
    Vault().set("demo", "API_TOKEN", "tok-a-vault-value-123")
    home = Path(os.environ["HOME"])
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    out = sim_bin.parent / "attack.json"
    # The plan first: its uid names the sibling's worktree and branch the attack aims at.
    plan = import_spec(engine_config(repo, ollama), tmp_path, [
        [task("T1", "Tidy up.\nSIM: write tidy.txt <<<tidy\\n>>>", type="bulk", priority="P3")],
        [task("T2", "Next.\nSIM: write next.txt <<<next\\n>>>", priority="P1")],
    ])  # fmt: skip
    root = repo.parent / "wt"
    sibling = root / uid(plan) / "T2"
    sibling_branch = gitops.task_branch_name(uid(plan), "T2")
    env = {
        "ATTACK_OUT": str(out), "ATTACK_REPO": str(repo), "ATTACK_SIBLING": str(sibling),
        "ATTACK_SIBLING_REF": f"refs/heads/{sibling_branch}",
        "ATTACK_DB": str(db), "ATTACK_VAULT": str(paths.vault_dir()),
        "ATTACK_LOGS": str(paths.logs_dir()), "ATTACK_ENGINE_PID": str(os.getpid()),
        "ATTACK_PY": sys.executable, "ATTACK_SCRIPT": str(ATTACK), "ATTACK_SKIP": skip,
    }  # fmt: skip
    config = engine_config(
        repo, ollama, sandbox={"mode": mode},
        providers={"opencode": {"cli": WRAPPER, "env": env}},
    )  # fmt: skip
    paths.logs_dir().mkdir(parents=True, exist_ok=True)
    # T2 (wave 2) already has its worktree, idle: the attacker's sibling.
    worktrees.ensure_worktree(repo, sibling, sibling_branch, "main", root=root,
                              owner=Owner(database_identity(), uid(plan)), task="T2")  # fmt: skip
    return config, plan, out, sibling


def _results(out: Path) -> dict[str, Any]:
    return json.loads(out.read_text())


def test_sandboxed_attacks_fail_and_honest_work_lands(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config, plan, out, sibling = _setup(
        repo, sim_bin, ollama, engine_db, tmp_path, monkeypatch, "auto"
    )
    main_before = git(repo, "rev-parse", "main")
    config_before = (repo / ".git" / "config").read_bytes()

    summary = Executor(config, plan).run()

    seen = _results(out)
    # Seen from inside: nothing of ours to find, nothing to reach.
    for name in ("env_leak", "proc_leak", "engine_visible", "db_read", "db_tamper", "vault_read",
                 "logs_read", "ssh_read", "plant_hook", "git_config", "move_main",
                 "move_sibling_ref"):  # fmt: skip
        assert seen[name].startswith("denied"), (name, seen[name])
    # Seen from outside: nothing changed that the agent must not change, nothing lost.
    assert summary.status == "done", dump()
    assert not (repo / "evil.txt").exists() and not (sibling / "evil.txt").exists()
    assert not (Path(os.environ["HOME"]) / "evil.txt").exists()
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()
    assert (repo / ".git" / "config").read_bytes() == config_before
    assert git(repo, "rev-parse", "main") == main_before
    assert Ledger.select().count() > 0
    assert Task.get(Task.code == "T2").validated_by == "thor"  # it ran and passed honestly
    assert _daemons() == []  # the daemon died with the run
    # The honest part: a file, a commit on its own branch, its provider's state.
    final = f"convergio/{uid(plan)}/wave-2"
    assert git(repo, "show", f"{final}:honest.txt") == "honest work\n"
    assert git(repo, "show", f"{final}:committed.txt") == "committed by the agent\n"
    assert git(repo, "show", f"{final}:next.txt") == "next\n"
    assert "evil.txt" not in git(repo, "ls-tree", "-r", "--name-only", final)
    state = Path(os.environ["HOME"], ".local", "share", "opencode", "session.json")
    assert state.read_text() == "{}"
    assert not Event.select().where(Event.kind == "integrity.violation").exists()


def test_unsandboxed_attacks_are_caught_restored_and_not_merged(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Unsandboxed, the database and processes are the user's own: the integrity check
    # guards the repository (the README says what mode off gives up).
    config, plan, out, sibling = _setup(repo, sim_bin, ollama, engine_db, tmp_path, monkeypatch,
                                        "off", skip="db_tamper,daemon")  # fmt: skip
    main_before = git(repo, "rev-parse", "main")
    sibling_ref = f"refs/heads/{gitops.task_branch_name(uid(plan), 'T2')}"
    sibling_before = git(repo, "rev-parse", sibling_ref)
    config_before = (repo / ".git" / "config").read_bytes()

    summary = Executor(config, plan).run()

    seen = _results(out)
    for name in ("write_main", "write_sibling", "plant_hook", "git_config", "move_main",
                 "move_sibling_ref"):  # fmt: skip
        assert seen[name] == "ok", (name, seen[name])  # nothing stopped it while it ran...
    t1 = Task.get(Task.code == "T1")
    assert (summary.status, t1.status) != ("done", "done"), dump()
    assert t1.status == "blocked", dump()
    reason = t1.blocked_reason
    for fragment in ("integrity check failed", "ref refs/heads/main moved", sibling_ref,
                     "main checkout changed", "git hook post-checkout was planted",
                     "config changed", f"sibling worktree {sibling} changed"):  # fmt: skip
        assert fragment in reason, (fragment, reason)
    # ...and afterwards the refs, the hook and the config are back; nothing was merged.
    assert git(repo, "rev-parse", "main") == main_before
    assert git(repo, "rev-parse", sibling_ref) == sibling_before
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()
    assert (repo / ".git" / "config").read_bytes() == config_before
    wave = git(repo, "ls-tree", "-r", "--name-only", f"convergio/{uid(plan)}/wave-1")
    assert "honest.txt" not in wave and "committed.txt" not in wave
    assert git(repo, "rev-parse", f"convergio/{uid(plan)}/wave-1") == main_before
    assert Event.select().where(Event.kind == "integrity.violation").count() == 1
    assert t1.validated_by is None


def test_a_ref_beside_its_own_branch_is_caught_even_in_the_sandbox(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
) -> None:  # fmt: skip
    # The folder of a task's own ref is writable in the sandbox: a second ref made there
    # is the one thing the integrity check must catch with the sandbox on.
    script = (  # beside its own ref refs/heads/convergio/<uid>/T1/work
        'git update-ref "$(git symbolic-ref HEAD | sed s#/work\\$#/extra#)" HEAD '
        '&& exec opencode "$@"'
    )
    config = engine_config(
        repo, ollama, providers={"opencode": {"cli": ["sh", "-c", script, "sh", *WRAPPER[4:]]}}
    )
    plan = import_spec(config, tmp_path, [[task("T1", "x\nSIM: write a.txt <<<a>>>",
                                                type="bulk", priority="P3")]])  # fmt: skip
    Executor(config, plan).run()
    t1, extra = Task.get(Task.code == "T1"), f"refs/heads/convergio/{uid(plan)}/T1/extra"
    assert t1.status == "blocked", dump()
    assert f"ref {extra} was created" in (t1.blocked_reason or "")
    assert f"deleted {extra}" in (t1.blocked_reason or "")
    assert git(repo, "for-each-ref", extra) == ""


def test_thor_runs_the_code_an_agent_wrote_inside_the_sandbox(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The agent writes a script; the task's verify command runs it under Thor. Outside
    # the sandbox it would read the vault key from Thor's environment and the database.
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", VAULT_KEY)
    check = (
        "import os, sys\\n"
        "leaks = [k for k in ('CONVERGIO_VAULT_KEY', 'CONVERGIO_DB', 'CONVERGIO_HOME') if k in os.environ]\\n"
        f"try:\\n    leaks.append(open({str(engine_db)!r}, 'rb').read(15).decode())\\n"
        "except OSError:\\n    pass\\n"
        "print('leaked:', leaks)\\n"
        "sys.exit(1 if leaks else 0)\\n"
    )
    config = engine_config(repo, ollama)
    plan = import_spec(config, tmp_path, [[task(
        "T1", f"Add a check.\nSIM: write leak_check <<<{check}>>>", type="bulk", priority="P3",
        verify=[f"{sys.executable} leak_check"],  # not *.py: gate 8 would ask for tests
    )]])  # fmt: skip
    assert Executor(config, plan).run().status == "done", dump()
    assert Task.get(Task.code == "T1").validated_by == "thor"
