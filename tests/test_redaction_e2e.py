"""Vault values stay masked end to end: an agent leaks one every way it can, then the
value is nowhere in the database file, the logs, the escalation or the next argv.

The real executor, Thor, git worktrees and the simulated claude as a real subprocess.
The agent gets the values from its environment (the engine injects the vault), writes
one into a file and prints both as they are, JSON-escaped and over several lines; the
task's verify command prints the file the same ways, so Thor's gate evidence, the
rejection appended to the next prompt and the escalation all quote it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config, engine_config_dict, import_spec, sim_calls, task
from engine_fixtures import write_config as write_config_file

from convergio_tui import paths
from convergio_tui.engine.executor import Executor
from convergio_tui.store.models import Escalation, GateResult, Task
from convergio_tui.tools.vault import Vault, generate_key

# A multi-line value with a quote, a backslash and non-ASCII text, and a plain one.
MULTI = 'Zq9-vault-"quoted"-\\back-ünïcode\nsecond-line-Xy7Wq-of-it'
PLAIN = "tok-Plain-7781-never-shown"
LEAK = (
    "Use the credentials from the environment.\n"
    "SIM: write leak.txt <<<${env:DB_SECRET}>>>\n"
    "SIM: print <<<plain: ${env:DB_SECRET} and ${env:API_TOKEN}>>>\n"
    "SIM: print <<<json: ${json:DB_SECRET}>>>\n"
    "SIM: say <<<said: ${env:DB_SECRET} / ${env:API_TOKEN}>>>\n"
)
# Prints the file as it is (several lines), JSON-escaped both ways, and fails.
VERIFY = (
    "python -c \"import json,sys; t=open('leak.txt').read(); print(t); "
    'print(json.dumps(t)); print(json.dumps(t, ensure_ascii=False)); sys.exit(1)"'
)


def needles(value: str) -> set[bytes]:
    """Every form a leak of ``value`` could take in bytes: the value, each of its lines,
    and each of those JSON-escaped with and without ``ensure_ascii``."""
    pieces = {value, *value.splitlines()}
    forms = set(pieces)
    for piece in pieces:
        forms.add(json.dumps(piece)[1:-1])
        forms.add(json.dumps(piece, ensure_ascii=False)[1:-1])
    return {form.encode() for form in forms}


NEEDLES = needles(MULTI) | needles(PLAIN)


def leaks(data: bytes) -> list[bytes]:
    """The needles found in ``data``."""
    return sorted(n for n in NEEDLES if n in data)


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo project's vault holds both values."""
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", generate_key())
    Vault().set("demo", "DB_SECRET", MULTI)
    Vault().set("demo", "API_TOKEN", PLAIN)


# gemini takes the prompt in argv, claude on stdin: both must get it masked.
@pytest.mark.parametrize("agent", ["gemini", "claude"])
def test_a_leaked_vault_value_is_masked_everywhere_it_could_be_stored_or_passed_on(
    agent: str, tmp_path: Path, repo: Path, engine_db: Path, sim_bin: Path, ollama: str,
    vault: None,
) -> None:  # fmt: skip
    config = engine_config(repo, ollama, thor={"max_rounds": 2})
    leaky = task("L1", LEAK, provider=agent, files=["leak.txt"], verify=[VERIFY])
    plan_id = import_spec(config, tmp_path, [[leaky]])

    Executor(config, plan_id).run()

    escalated = Task.get(Task.plan == plan_id)
    assert escalated.status == "escalated", escalated.blocked_reason
    runs = sim_calls(sim_bin)
    assert [r["round"] for r in runs] == [1, 2]
    second = runs[1]
    assert not leaks("\0".join(second["argv"]).encode()), "a vault value in the next argv"
    assert not leaks(second["prompt"].encode()), "a vault value in the next prompt"
    assert not leaks(json.dumps(Escalation.get().summary).encode())

    for path in sorted(engine_db.parent.glob(engine_db.name + "*")):  # the db, -wal, -shm
        assert not leaks(path.read_bytes()), f"a vault value in {path.name}"
    logs = [p for p in paths.logs_dir().rglob("*") if p.is_file()]
    assert logs, "the runs wrote no log"
    for path in logs:
        assert not leaks(path.read_bytes()), f"a vault value in {path}"

    # What a person reads: the escalation through the real CLI.
    config_file = write_config_file(
        tmp_path / "cfg.yaml", engine_config_dict(repo, ollama, thor={"max_rounds": 2})
    )
    shown = run_cli("--config", str(config_file), "--db", str(engine_db), "escalations",
                    "show", str(Escalation.get().id))  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert not leaks(shown.stdout.encode())

    # The leak really happened, and what was masked is still there to read.
    assert (Path(escalated.worktree) / "leak.txt").read_text() == MULTI
    evidence = "\n".join(g.evidence for g in GateResult.select() if g.verdict == "fail")
    assert "***REDACTED***" in evidence and "***REDACTED***" in shown.stdout
    assert "THOR-REJECTION round 1" in second["prompt"] and "***REDACTED***" in second["prompt"]
