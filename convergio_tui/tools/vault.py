"""The per-project env vault: secrets encrypted at rest, one file per project.

Key material comes from ``CONVERGIO_VAULT_KEY`` (or the ``key=`` argument):

* a urlsafe-base64 string that decodes to exactly 32 bytes (``convergio vault keygen``
  prints one) is used as a raw key; each file derives its own key with HKDF-SHA256 and
  the file's random salt;
* anything else is a passphrase, stretched with scrypt (n=2**15, r=8, p=1) and the
  file's random salt.

A file is JSON: format/version, the KDF name and salt, a check token, and one entry
per secret. Every entry is AES-256-GCM over ``[name, value]`` (padded) with its own
random nonce, and the project name as associated data, so neither names nor values
appear in clear and a file cannot be swapped for another project's. A wrong key fails
the check token and raises ``VaultError``; it never yields garbage.

Writers take an exclusive ``fcntl`` lock on ``<project>.lock`` for the whole
read-modify-write and publish with an atomic ``os.replace``, so concurrent writers
lose nothing and readers never see a half-written file. Files are mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from convergio_tui import paths

KEY_ENV = "CONVERGIO_VAULT_KEY"
FORMAT = "convergio-vault"
VERSION = 1
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK_PLAINTEXT = b"convergio-vault-check-v1"
# Plaintexts are padded to a multiple of this, so ciphertext sizes leak little.
_PAD = 32
_PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class VaultError(Exception):
    """The vault cannot do what was asked: no key, wrong key, corrupt file, bad name."""


def generate_key() -> str:
    """Return a fresh random 32-byte key, urlsafe-base64, for ``CONVERGIO_VAULT_KEY``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _raw_key(material: str) -> bytes | None:
    """The 32 raw bytes when ``material`` is a urlsafe-base64 32-byte key, else None."""
    text = material.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def validate_project(project: str) -> str:
    """Return ``project`` when it is a safe vault name, else raise ``VaultError``."""
    if not _PROJECT_RE.match(project):
        raise VaultError(
            f"invalid project name {project!r}: use letters, digits, '.', '_' or '-' "
            "(up to 64 characters, not starting with a dot)"
        )
    return project


def validate_key_name(name: str) -> str:
    """Return ``name`` when it is a valid environment variable name, else raise."""
    if not _NAME_RE.match(name):
        raise VaultError(
            f"invalid key name {name!r}: it becomes an environment variable, so use "
            "letters, digits and '_' and do not start with a digit"
        )
    return name


class Vault:
    """Encrypted per-project secrets under ``home/vault`` (default ``$CONVERGIO_HOME``)."""

    def __init__(self, home: Path | None = None, *, key: str | None = None) -> None:
        """``home`` is a Convergio home directory; ``key`` overrides the env variable."""
        self.directory = (Path(home) / "vault") if home is not None else paths.vault_dir()
        self._key_override = key
        self._derived: dict[tuple[str, str], bytes] = {}

    # -- paths and key material -------------------------------------------------------

    def path_for(self, project: str) -> Path:
        """The vault file of ``project`` (it may not exist yet)."""
        return self.directory / f"{validate_project(project)}.vault"

    def exists(self, project: str) -> bool:
        """True when ``project`` has a vault file."""
        return self.path_for(project).is_file()

    def _material(self) -> str:
        material = self._key_override
        if material is None:
            material = os.environ.get(KEY_ENV)
        if not material:
            raise VaultError(
                f"no vault key: set {KEY_ENV} to a passphrase or to a key from "
                "'convergio vault keygen'"
            )
        return material

    def _derive(self, kdf: dict[str, Any], path: Path) -> bytes:
        """The file key for ``kdf`` (cached per salt: scrypt is deliberately slow)."""
        material = self._material()
        name, salt_text = str(kdf.get("name")), str(kdf.get("salt", ""))
        cache_key = (name, salt_text + "\0" + material)
        if cache_key in self._derived:
            return self._derived[cache_key]
        salt = _unb64(salt_text)
        if name == "hkdf-sha256":
            raw = _raw_key(material)
            if raw is None:
                raise VaultError(
                    f"wrong vault key for {path}: it was created with a 32-byte key "
                    f"and {KEY_ENV} is not one"
                )
            key = HKDF(hashes.SHA256(), 32, salt, b"convergio-vault-v1").derive(raw)
        elif name == "scrypt":
            n, r, p = (
                int(kdf.get(k, d)) for k, d in (("n", SCRYPT_N), ("r", SCRYPT_R), ("p", SCRYPT_P))
            )
            key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(material.encode("utf-8"))
        else:
            raise VaultError(f"{path}: unknown key derivation {name!r}")
        self._derived[cache_key] = key
        return key

    def _new_kdf(self) -> dict[str, Any]:
        salt = _b64(secrets.token_bytes(16))
        if _raw_key(self._material()) is not None:
            return {"name": "hkdf-sha256", "salt": salt}
        return {"name": "scrypt", "salt": salt, "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}

    # -- file format ------------------------------------------------------------------

    @staticmethod
    def _seal(key: bytes, plaintext: bytes, aad: bytes) -> dict[str, str]:
        nonce = secrets.token_bytes(12)
        padded = plaintext + b" " * (-len(plaintext) % _PAD)
        return {"nonce": _b64(nonce), "ct": _b64(AESGCM(key).encrypt(nonce, padded, aad))}

    @staticmethod
    def _open(key: bytes, box: dict[str, str], aad: bytes) -> bytes:
        return AESGCM(key).decrypt(_unb64(box["nonce"]), _unb64(box["ct"]), aad)

    def _read(self, project: str) -> tuple[dict[str, Any], bytes, dict[str, str]]:
        """Parse and decrypt ``project``'s file: (document, file key, mapping)."""
        path = self.path_for(project)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise VaultError(f"{path}: not a version-{VERSION} Convergio vault file")
            kdf, check, entries = doc["kdf"], doc["check"], doc["entries"]
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VaultError(f"{path}: corrupt vault file ({exc})") from exc
        aad = f"convergio-vault:{project}".encode()
        try:
            key = self._derive(kdf, path)
            if self._open(key, check, aad).rstrip(b" ") != _CHECK_PLAINTEXT:
                raise InvalidTag
        except InvalidTag:
            raise VaultError(
                f"wrong vault key for project {project!r}: {KEY_ENV} does not open {path}"
            ) from None
        except (KeyError, ValueError, binascii.Error) as exc:
            raise VaultError(f"{path}: corrupt vault file ({exc})") from exc
        mapping: dict[str, str] = {}
        for box in entries:
            try:
                name, value = json.loads(self._open(key, box, aad).rstrip(b" "))
            except (InvalidTag, KeyError, ValueError, binascii.Error) as exc:
                raise VaultError(f"{path}: an entry fails authentication (tampered?)") from exc
            mapping[str(name)] = str(value)
        return doc, key, mapping

    def _write(self, project: str, kdf: dict[str, Any], key: bytes, data: dict[str, str]) -> None:
        """Encrypt ``data`` with fresh nonces and atomically replace the file."""
        path = self.path_for(project)
        aad = f"convergio-vault:{project}".encode()
        entries = [
            self._seal(key, json.dumps([name, data[name]]).encode("utf-8"), aad)
            for name in sorted(data)
        ]
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "kdf": kdf,
            "check": self._seal(key, _CHECK_PLAINTEXT, aad),
            "entries": entries,
        }
        fd, tmp = tempfile.mkstemp(prefix=f".{project}.", suffix=".tmp", dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _ensure_dir(self) -> None:
        paths.private_dir(self.directory)  # a missing Convergio home is made 0700 too
        with contextlib.suppress(PermissionError):
            os.chmod(self.directory, 0o700)

    @contextlib.contextmanager
    def _locked(self, project: str) -> Iterator[None]:
        """Hold the project's exclusive write lock (blocks other writers, not readers)."""
        self._ensure_dir()
        lock_path = self.directory / f"{validate_project(project)}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _mutate(self, project: str, change: Any) -> None:
        """Run ``change(mapping)`` under the lock and save; creates the vault if missing."""
        with self._locked(project):
            try:
                doc, key, data = self._read(project)
                kdf = doc["kdf"]
            except FileNotFoundError:
                kdf = self._new_kdf()
                key, data = self._derive(kdf, self.path_for(project)), {}
            change(data)
            self._write(project, kdf, key, data)

    # -- public API -------------------------------------------------------------------

    def init(self, project: str) -> bool:
        """Create ``project``'s empty vault; False when it exists (and the key opens it)."""
        with self._locked(project):
            try:
                self._read(project)
                return False
            except FileNotFoundError:
                kdf = self._new_kdf()
                self._write(project, kdf, self._derive(kdf, self.path_for(project)), {})
                return True

    def set(self, project: str, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (creating the project's vault when needed)."""
        validate_key_name(key)

        def change(data: dict[str, str]) -> None:
            data[key] = value

        self._mutate(project, change)

    def get(self, project: str, key: str) -> str:
        """The value of ``key``; ``KeyError`` when the project or key is missing."""
        try:
            return self.items(project)[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the vault of project {project!r}") from None

    def remove(self, project: str, key: str) -> None:
        """Delete ``key``; ``KeyError`` when it is not there."""
        if not self.exists(project):
            raise KeyError(f"project {project!r} has no vault")

        def change(data: dict[str, str]) -> None:
            if key not in data:
                raise KeyError(f"{key!r} is not in the vault of project {project!r}")
            del data[key]

        self._mutate(project, change)

    def items(self, project: str) -> dict[str, str]:
        """All of ``project``'s secrets; empty (no key needed) when it has no vault."""
        try:
            return dict(self._read(project)[2])
        except FileNotFoundError:
            return {}

    def list(self, project: str) -> list[str]:
        """The key names of ``project``, sorted (values are not decrypted for the caller)."""
        return sorted(self.items(project))
