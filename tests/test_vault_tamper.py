"""The vault under attack: removed, reordered or replayed entries, an older file put back,
a deleted vault, an edited scrypt cost, version-1 files, and a run with a vault it
cannot open (the real `convergio run`, a real plan, the simulated agents)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli
from engine_fixtures import engine_config_dict, sim_calls, write_config

from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Plan, Run
from convergio_tui.tools.vault import Vault, VaultError, VaultTampered, generate_key

V1_DIR = Path(__file__).parent / "vault_v1"
V1_RAW_KEY = "Hjnv5R8e_Wu-2TUmJJmmg3KqoKcNeLk8bmXd20SugvM="  # made these fixtures (format 1)
V1_PASSPHRASE = "legacy passphrase for the v1 fixture"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", value)
    return value


def vault_file(home: Path, project: str = "p") -> Path:
    return home / "vault" / f"{project}.vault"


def edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_removing_reordering_or_swapping_entries_is_detected(isolated_home: Path, key: str) -> None:
    vault = Vault()
    for name in ("A", "B", "C"):
        vault.set("p", name, f"value-{name}")
    path = vault_file(isolated_home)
    original = path.read_text()
    older_entry = json.loads(original)["entries"][0]
    vault.set("p", "A", "changed")  # re-sealed: the old entry is a valid ciphertext
    good = path.read_text()
    attacks = {
        "drop an entry": lambda d: d["entries"].pop(1),
        "reorder": lambda d: d["entries"].reverse(),
        "replay an old entry": lambda d: d["entries"].__setitem__(0, older_entry),
        "duplicate an entry": lambda d: d["entries"].append(d["entries"][0]),
        "raise the generation": lambda d: d.__setitem__("generation", d["generation"] + 5),
        "drop every entry": lambda d: d.__setitem__("entries", []),
    }
    for label, attack in attacks.items():
        path.write_text(good)
        edit(path, attack)
        with pytest.raises(VaultTampered, match="fail authentication") as caught:
            Vault().items("p")
        assert str(path) in str(caught.value), label
    path.write_text(good)
    assert Vault().items("p") == {"A": "changed", "B": "value-B", "C": "value-C"}


def test_an_older_copy_put_back_is_refused(isolated_home: Path, key: str) -> None:
    vault = Vault()
    vault.set("p", "TOKEN", "old-token")
    vault.set("p", "REVOKED", "still-here")
    path = vault_file(isolated_home)
    old_copy = path.read_text()
    vault.remove("p", "REVOKED")
    vault.set("p", "TOKEN", "new-token")
    path.write_text(old_copy)  # a complete, validly signed, older file
    with pytest.raises(VaultTampered, match="rolled back") as caught:
        Vault().items("p")
    assert str(path) in str(caught.value) and "generation 2" in str(caught.value)
    with pytest.raises(VaultTampered):  # a write does not paper over it either
        Vault().set("p", "OTHER", "x")
    # The documented way out: delete the record to accept the file as it is.
    Vault().record_path("p").unlink()
    assert Vault().items("p") == {"TOKEN": "old-token", "REVOKED": "still-here"}


def test_a_deleted_vault_is_not_taken_for_no_vault(isolated_home: Path, key: str) -> None:
    vault = Vault()
    vault.set("p", "TOKEN", "t")
    path = vault_file(isolated_home)
    old_copy = path.read_text()
    path.unlink()
    with pytest.raises(VaultTampered, match="missing"):
        Vault().items("p")
    with pytest.raises(VaultTampered, match="missing"):
        Vault().set("p", "OTHER", "x")
    with pytest.raises(VaultTampered, match="missing"):
        Vault().remove("p", "TOKEN")
    # `vault init` starts a new vault on purpose, after every recorded generation ...
    assert Vault().init("p") is True
    assert Vault().items("p") == {}
    # ... so the deleted file put back later is still an older copy.
    path.write_text(old_copy)
    with pytest.raises(VaultTampered, match="rolled back"):
        Vault().items("p")


def test_an_unreadable_generation_record_says_what_to_do(isolated_home: Path, key: str) -> None:
    Vault().set("p", "A", "1")
    Vault().record_path("p").write_text("{garbage")
    with pytest.raises(VaultTampered, match="delete it to accept"):
        Vault().items("p")


@pytest.mark.parametrize(
    "kdf_change",
    [
        {"n": 2**40},  # the MemoryError of the issue
        {"n": 2**20, "r": 32},  # 4 GiB
        {"p": 10**6},
        {"n": 2**10},  # too cheap to stretch a passphrase
        {"n": 3 * 2**14},  # not a power of two
        {"r": 0},
        {"n": True},
        {"n": "32768"},
    ],
)
def test_scrypt_cost_outside_the_bounds_is_refused(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, kdf_change: dict[str, Any]
) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", "a passphrase, so scrypt")
    Vault().set("p", "A", "1")
    path = vault_file(isolated_home)
    edit(path, lambda d: d["kdf"].update(kdf_change))
    with pytest.raises(VaultError) as caught:
        Vault().items("p")
    message = str(caught.value)
    assert str(path) in message
    assert "refusing scrypt cost" in message or "corrupt vault file" in message


def test_scrypt_cost_inside_the_bounds_is_still_authenticated(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", "a passphrase, so scrypt")
    Vault().set("p", "A", "1")
    path = vault_file(isolated_home)
    edit(path, lambda d: d["kdf"].update(n=2**14))  # accepted cost, but not this file's
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault().items("p")


def test_cli_names_the_file_and_exits_2_on_tampering(isolated_home: Path, key: str) -> None:
    Vault().set("p", "A", "secret-value-1")
    Vault().set("p", "B", "secret-value-2")
    path = vault_file(isolated_home)
    edit(path, lambda d: d["entries"].pop())
    got = run_cli("vault", "export", "p", env={"CONVERGIO_VAULT_KEY": key})
    assert got.returncode == 2
    assert str(path) in got.stderr and "fail authentication" in got.stderr
    assert got.stdout == "" and "Traceback" not in got.stderr
    edit(path, lambda d: d["kdf"].update(name="scrypt", n=2**40, r=8, p=1))
    got = run_cli("vault", "list", "p", env={"CONVERGIO_VAULT_KEY": key})
    assert got.returncode == 2 and "Traceback" not in got.stderr and str(path) in got.stderr
    path.write_text("[" * 100_000 + "]" * 100_000)  # nested past any parser's recursion
    got = run_cli("vault", "list", "p", env={"CONVERGIO_VAULT_KEY": key})
    assert got.returncode == 2 and "Traceback" not in got.stderr and str(path) in got.stderr


@pytest.mark.parametrize(
    ("project", "material", "expected"),
    [
        ("legacy-raw", V1_RAW_KEY, {"API_TOKEN": "tok-legacy-1", "DB_PASSWORD": "pw legacy ✓"}),
        ("legacy-pass", V1_PASSPHRASE, {"API_TOKEN": "tok-legacy-2"}),
    ],
)
def test_version_1_files_open_and_are_upgraded(
    isolated_home: Path, project: str, material: str, expected: dict[str, str]
) -> None:
    (isolated_home / "vault").mkdir(parents=True)
    path = vault_file(isolated_home, project)
    shutil.copy(V1_DIR / f"{project}.vault", path)
    assert Vault(key=material).items(project) == expected
    upgraded = json.loads(path.read_text())
    assert (upgraded["version"], upgraded["generation"]) == (2, 1) and upgraded["mac"]
    assert Vault(key=material).items(project) == expected
    # The old file put back is a downgrade: refused like any older copy.
    shutil.copy(V1_DIR / f"{project}.vault", path)
    with pytest.raises(VaultTampered, match="rolled back"):
        Vault(key=material).items(project)
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault(key=generate_key()).items(project)


# -- `convergio run` with a vault it cannot open ------------------------------------------


def setup_run(repo: Path, ollama: str, tmp_path: Path) -> tuple[list[str], int]:
    """The engine test config and a one-task plan of project demo, imported via the CLI."""
    cfg = write_config(tmp_path / "orchestrator.yaml", engine_config_dict(repo, ollama))
    spec = tmp_path / "plan.yaml"
    task = {
        "code": "T1",
        "title": "do T1",
        "type": "coding",
        "prompt": "SIM: write a.txt <<<a\\n>>>",
    }
    spec.write_text(yaml.safe_dump({"name": "feature", "project": "demo",
                                    "waves": [{"name": "only", "tasks": [task]}]}))  # fmt: skip
    opts = ["--config", str(cfg), "--db", str(tmp_path / "c.db")]
    proc = run_cli(*opts, "plan", "import", str(spec), "--json")
    assert proc.returncode == 0, proc.stderr
    return opts, int(json.loads(proc.stdout)["plan_id"])


def runs_and_status(db: Path, plan: int) -> tuple[int, str]:
    open_database(db)
    try:
        return Run.select().count(), Plan.get_by_id(plan).status
    finally:
        close_database()


def test_run_stops_when_the_vault_cannot_be_opened(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path, isolated_home: Path
) -> None:
    right = generate_key()
    Vault(key=right).set("demo", "API_TOKEN", "tok-for-agents")
    opts, plan = setup_run(repo, ollama, tmp_path)
    path = vault_file(isolated_home, "demo")
    older = path.read_text()
    Vault(key=right).set("demo", "SECOND", "two")

    def refused(env: dict[str, str], *needles: str) -> None:
        proc = run_cli(*opts, "run", str(plan), env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "vault of project 'demo' cannot be opened, so nothing was started" in lines[0]
        for needle in needles:
            assert needle in lines[0], lines[0]
        assert "running" not in proc.stdout
        assert runs_and_status(tmp_path / "c.db", plan) == (0, "todo")
        assert sim_calls(sim_bin) == []

    refused({"CONVERGIO_VAULT_KEY": generate_key()}, "wrong vault key", "set CONVERGIO_VAULT_KEY")
    refused({}, "no vault key", "set CONVERGIO_VAULT_KEY")  # the fixture unset it
    path.write_text(older)
    refused({"CONVERGIO_VAULT_KEY": right}, "rolled back", str(path))
    Vault(key=right).record_path("demo").unlink()  # accept the older file on purpose
    done = run_cli(*opts, "run", str(plan), env={"CONVERGIO_VAULT_KEY": right})
    assert done.returncode == 0, done.stdout + done.stderr
    assert runs_and_status(tmp_path / "c.db", plan) == (1, "done")
    assert len(sim_calls(sim_bin)) == 1
