"""The env vault library: encryption at rest, wrong keys, locking, file modes."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convergio_tui.tools.vault import Vault, VaultError, generate_key

SECRET = "s3cr3t-Valu3 with spaces & 'quotes' ✓"


@pytest.fixture
def raw_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = generate_key()
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", key)
    return key


def test_round_trip_with_raw_key(tmp_path: Path, raw_key: str) -> None:
    vault = Vault(tmp_path)
    assert vault.init("webapp") is True
    assert vault.init("webapp") is False
    vault.set("webapp", "DB_PASSWORD", SECRET)
    vault.set("webapp", "API_TOKEN", "tok-123")
    # A fresh instance (no cached key) reads the same values back.
    again = Vault(tmp_path)
    assert again.get("webapp", "DB_PASSWORD") == SECRET
    assert again.list("webapp") == ["API_TOKEN", "DB_PASSWORD"]
    assert again.items("webapp") == {"API_TOKEN": "tok-123", "DB_PASSWORD": SECRET}
    again.remove("webapp", "API_TOKEN")
    assert Vault(tmp_path).list("webapp") == ["DB_PASSWORD"]


def test_round_trip_with_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", "correct horse battery staple")
    Vault(tmp_path).set("p", "K", "v1")
    doc = json.loads((tmp_path / "vault" / "p.vault").read_text())
    assert doc["kdf"]["name"] == "scrypt"
    assert Vault(tmp_path).get("p", "K") == "v1"


def test_file_bytes_hold_no_plaintext(tmp_path: Path, raw_key: str) -> None:
    vault = Vault(tmp_path)
    vault.set("proj", "STRIPE_SECRET_KEY_NAME", "value-ZXQW-plaintext-9911")
    vault.set("proj", "OTHER", "value-ZXQW-plaintext-9911")
    data = (tmp_path / "vault" / "proj.vault").read_bytes()
    for needle in ("STRIPE_SECRET_KEY_NAME", "OTHER", "value-ZXQW-plaintext-9911", "ZXQW"):
        assert needle.encode() not in data
        assert base64.b64encode(needle.encode()) not in data
    assert raw_key.encode() not in data
    # Same value twice, fresh nonce per entry: no two ciphertexts are equal.
    entries = json.loads(data)["entries"]
    assert len({e["ct"] for e in entries}) == 2
    assert len({e["nonce"] for e in entries}) == 2


def test_files_are_private(tmp_path: Path, raw_key: str) -> None:
    vault = Vault(tmp_path)
    vault.set("proj", "A", "1")
    vault.set("proj", "B", "2")  # rewritten file keeps the mode
    mode = stat.S_IMODE((tmp_path / "vault" / "proj.vault").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((tmp_path / "vault").stat().st_mode) == 0o700


def test_wrong_key_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", generate_key())
    Vault(tmp_path).set("proj", "A", "1")
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", generate_key())
    with pytest.raises(VaultError, match="wrong vault key for project 'proj'"):
        Vault(tmp_path).get("proj", "A")
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault(tmp_path).set("proj", "B", "2")
    # A passphrase cannot open a vault made with a raw key.
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault(tmp_path, key="a passphrase").list("proj")


def test_wrong_passphrase(tmp_path: Path) -> None:
    Vault(tmp_path, key="first passphrase").set("p", "A", "1")
    with pytest.raises(VaultError, match="wrong vault key"):
        Vault(tmp_path, key="second passphrase").items("p")


def test_missing_key_material(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVERGIO_VAULT_KEY", raising=False)
    with pytest.raises(VaultError, match="CONVERGIO_VAULT_KEY"):
        Vault(tmp_path).set("p", "A", "1")
    # A project without a vault needs no key: the engine asks every project.
    assert Vault(tmp_path).items("p") == {}


def test_tampered_entry_is_rejected(tmp_path: Path, raw_key: str) -> None:
    Vault(tmp_path).set("p", "A", "1")
    path = tmp_path / "vault" / "p.vault"
    doc = json.loads(path.read_text())
    ct = bytearray(base64.b64decode(doc["entries"][0]["ct"]))
    ct[0] ^= 1
    doc["entries"][0]["ct"] = base64.b64encode(bytes(ct)).decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(VaultError, match="authentication"):
        Vault(tmp_path).items("p")
    path.write_text("{not json")
    with pytest.raises(VaultError, match="corrupt"):
        Vault(tmp_path).items("p")


def test_a_file_cannot_be_moved_to_another_project(tmp_path: Path, raw_key: str) -> None:
    Vault(tmp_path).set("alpha", "A", "1")
    (tmp_path / "vault" / "alpha.vault").rename(tmp_path / "vault" / "beta.vault")
    with pytest.raises(VaultError):
        Vault(tmp_path).items("beta")


def test_missing_and_invalid_names(tmp_path: Path, raw_key: str) -> None:
    vault = Vault(tmp_path)
    vault.init("p")
    with pytest.raises(KeyError):
        vault.get("p", "NOPE")
    with pytest.raises(KeyError):
        vault.remove("p", "NOPE")
    with pytest.raises(VaultError, match="invalid key name"):
        vault.set("p", "1BAD-NAME", "x")
    with pytest.raises(VaultError, match="invalid project name"):
        vault.set("../escape", "A", "x")


def test_concurrent_writers_lose_nothing(tmp_path: Path, raw_key: str) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from convergio_tui.tools.vault import Vault
        home, worker = Path(sys.argv[1]), sys.argv[2]
        vault = Vault(home)
        for i in range(12):
            vault.set("shared", f"W{worker}_K{i}", f"value-{worker}-{i}")
        """
    )
    env = {**os.environ, "CONVERGIO_VAULT_KEY": raw_key}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(w)], env=env)
        for w in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    items = Vault(tmp_path).items("shared")
    assert len(items) == 48
    assert items["W3_K11"] == "value-3-11"
    leftovers = [p.name for p in (tmp_path / "vault").iterdir() if p.suffix == ".tmp"]
    assert leftovers == []
