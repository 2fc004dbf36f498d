"""The per-project env vault: secrets encrypted at rest, one file per project.

Key material comes from ``CONVERGIO_VAULT_KEY`` (or the ``key=`` argument):

* a urlsafe-base64 string that decodes to exactly 32 bytes (``convergio vault keygen``
  prints one) is used as a raw key; each file derives its own key with HKDF-SHA256 and
  the file's random salt;
* anything else is a passphrase, stretched with scrypt (n=2**15, r=8, p=1 for new files;
  a file's own costs are accepted only within the bounds of ``vault_kdf``).

Every entry is AES-256-GCM over ``[name, value]`` (padded) with its own random nonce and
the project name as associated data, and an HMAC over the whole file (header, generation
and the ordered entry list) detects removed, replaced or reordered entries. The format
is in :mod:`convergio_tui.tools.vault_format` and ``docs/vault.md``.

Rollback: each write bumps the file's generation, and ``<project>.generation`` beside
it records the highest generation opened or written here. A vault file older than that
record (an old copy put back), or missing while the record exists, is refused. Someone
who can rewrite both files can still roll both back; see ``docs/vault.md``.

Writers take an exclusive ``fcntl`` lock on ``<project>.lock`` for the whole
read-modify-write and publish with an atomic ``os.replace``, so concurrent writers
lose nothing and readers never see a half-written file. Files are mode 0600.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from convergio_tui import paths
from convergio_tui.tools.vault_errors import (
    KEY_ENV,
    VaultError,
    VaultKeyError,
    VaultTampered,
    VaultUnavailable,
)
from convergio_tui.tools.vault_format import (
    Document,
    decrypt_entries,
    parse_document,
    render,
    verify,
)
from convergio_tui.tools.vault_kdf import Kdf, derive_master, new_kdf
from convergio_tui.tools.vault_record import GenerationRecord, atomic_write

__all__ = [
    "KEY_ENV",
    "Vault",
    "VaultError",
    "VaultKeyError",
    "VaultTampered",
    "VaultUnavailable",
    "generate_key",
    "validate_key_name",
    "validate_project",
]

log = logging.getLogger(__name__)

_PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def generate_key() -> str:
    """Return a fresh random 32-byte key, urlsafe-base64, for ``CONVERGIO_VAULT_KEY``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


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


@dataclass(frozen=True)
class _Opened:
    """A vault file read, authenticated and decrypted."""

    doc: Document
    master: bytes
    data: dict[str, str]
    seen: int  # the generation record when it was read


class Vault:
    """Encrypted per-project secrets under ``home/vault`` (default ``$CONVERGIO_HOME``)."""

    def __init__(self, home: Path | None = None, *, key: str | None = None) -> None:
        """``home`` is a Convergio home directory; ``key`` overrides the env variable."""
        self.directory = (Path(home) / "vault") if home is not None else paths.vault_dir()
        self._key_override = key
        self._derived: dict[tuple[Kdf, str], bytes] = {}

    # -- paths and key material -------------------------------------------------------

    def path_for(self, project: str) -> Path:
        """The vault file of ``project`` (it may not exist yet)."""
        return self.directory / f"{validate_project(project)}.vault"

    def record_path(self, project: str) -> Path:
        """The generation record of ``project``: the highest generation seen here."""
        return self.directory / f"{validate_project(project)}.generation"

    def exists(self, project: str) -> bool:
        """True when ``project`` has a vault file."""
        return self.path_for(project).is_file()

    def _material(self) -> str:
        material = self._key_override
        if material is None:
            material = os.environ.get(KEY_ENV)
        if not material:
            raise VaultKeyError(
                f"no vault key: set {KEY_ENV} to a passphrase or to a key from "
                "'convergio vault keygen'"
            )
        return material

    def _derive(self, kdf: Kdf, path: Path) -> bytes:
        """The master key for ``kdf`` (cached: scrypt is deliberately slow)."""
        material = self._material()
        cache_key = (kdf, material)
        if cache_key not in self._derived:
            self._derived[cache_key] = derive_master(kdf, material, path)
        return self._derived[cache_key]

    def _record(self, project: str) -> GenerationRecord:
        return GenerationRecord(self.record_path(project), project, self.path_for(project))

    def seen(self, project: str) -> int:
        """The highest generation of ``project``'s vault opened or written here (0: none)."""
        return self._record(project).read()

    # -- reading and writing ----------------------------------------------------------

    def _read(self, project: str, *, recreate: bool = False) -> _Opened:
        """Read, authenticate and decrypt ``project``'s file.

        ``FileNotFoundError`` when there is no file and none was recorded (or
        ``recreate``); ``VaultTampered`` when a recorded file is gone or older than the
        record. Entries are decrypted only after the key, the MAC and the generation hold.
        """
        path = self.path_for(project)
        seen = self.seen(project)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if seen and not recreate:
                raise VaultTampered(
                    f"{path} is missing but generation {seen} of it was recorded in "
                    f"{self.record_path(project)}: restore the file, or delete that record "
                    f"if you removed the vault on purpose ('convergio vault init {project}' "
                    "starts a new one)"
                ) from None
            raise
        except (OSError, UnicodeDecodeError) as exc:
            raise VaultError(f"{path}: cannot read the vault file ({exc})") from exc
        doc = parse_document(text, path)
        master = self._derive(doc.kdf, path)
        enc = verify(doc, master, project, path)
        if doc.generation < seen:
            raise VaultTampered(
                f"{path} is generation {doc.generation} but generation {seen} was already "
                f"seen here: an older copy was put back (rolled back); restore the newest "
                f"file, or delete {self.record_path(project)} to accept this one"
            )
        return _Opened(doc, master, decrypt_entries(doc, enc, project, path), seen)

    def _save(self, project: str, kdf: Kdf, master: bytes, data: dict[str, str],
              after: int) -> None:  # fmt: skip
        """Write ``data`` as the generation after ``after``, then raise the record.

        The file goes first: a crash in between leaves a record behind the file, which
        reads fine, never one ahead of it.
        """
        generation = after + 1
        atomic_write(self.path_for(project), render(project, kdf, master, generation, data))
        self._record(project).raise_to(generation)

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

    def _mutate(self, project: str, change: Callable[[dict[str, str]], None]) -> None:
        """Run ``change(mapping)`` under the lock and save; creates the vault if missing."""
        with self._locked(project):
            try:
                opened = self._read(project)
                kdf, master, data = opened.doc.kdf, opened.master, opened.data
                after = max(opened.doc.generation, opened.seen)
            except FileNotFoundError:
                kdf = new_kdf(self._material())
                master, data = self._derive(kdf, self.path_for(project)), {}
                after = self.seen(project)
            change(data)
            self._save(project, kdf, master, data, after)

    def _refresh(self, project: str, opened: _Opened) -> None:
        """After a read: rewrite a version-1 file as version 2 and raise the record to the
        file's generation. Best effort: a read-only vault folder is still readable."""
        if opened.doc.version == 2 and opened.doc.generation <= opened.seen:
            return
        try:
            with self._locked(project):
                again = self._read(project)
                if again.doc.version == 1:
                    self._save(project, again.doc.kdf, again.master, again.data, again.seen)
                else:
                    self._record(project).raise_to(again.doc.generation)
        except OSError as exc:  # FileNotFoundError too: removed meanwhile
            log.info("vault of %s not upgraded: %s", project, exc)

    # -- public API -------------------------------------------------------------------

    def init(self, project: str) -> bool:
        """Create ``project``'s empty vault; False when it exists (and the key opens it)."""
        with self._locked(project):
            try:
                self._read(project, recreate=True)
                return False
            except FileNotFoundError:
                # A new vault starts after any recorded generation: older copies stay refused.
                kdf = new_kdf(self._material())
                master = self._derive(kdf, self.path_for(project))
                self._save(project, kdf, master, {}, self.seen(project))
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
            with contextlib.suppress(FileNotFoundError):
                self._read(project)  # a recorded vault that is gone is tampering
            raise KeyError(f"project {project!r} has no vault")

        def change(data: dict[str, str]) -> None:
            if key not in data:
                raise KeyError(f"{key!r} is not in the vault of project {project!r}")
            del data[key]

        self._mutate(project, change)

    def items(self, project: str) -> dict[str, str]:
        """All of ``project``'s secrets; empty (no key needed) when it has no vault."""
        try:
            opened = self._read(project)
        except FileNotFoundError:
            return {}
        self._refresh(project, opened)
        return dict(opened.data)

    def list(self, project: str) -> list[str]:
        """The key names of ``project``, sorted (never the values)."""
        return sorted(self.items(project))

    def secrets_for_run(self, project: str) -> dict[str, str]:
        """The values an engine run puts into its agents' environment.

        Empty when the project has no vault (or a name no vault can have). Raises
        :class:`VaultUnavailable` when the vault exists but cannot be opened (no or
        wrong key, tampered, rolled back): a run without them would start agents
        without their secrets and leave their values unredacted in the logs.
        """
        try:
            validate_project(project)
        except VaultError:
            return {}
        try:
            return self.items(project)
        except VaultError as exc:
            raise VaultUnavailable(project, exc) from exc
