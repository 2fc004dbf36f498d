"""The vault's key derivation: parameters read from a file, bounded before any work.

A 32-byte raw key (urlsafe base64) goes through HKDF-SHA256; anything else is a
passphrase stretched with scrypt. The scrypt costs are read from the vault file, so they
are checked against fixed bounds first: a tampered header must not be able to ask for
terabytes of memory (a ``MemoryError``) or hours of work before the key check can fail.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from convergio_tui.tools.vault_errors import KEY_ENV, VaultError, VaultKeyError, VaultTampered

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # what new passphrase vaults use (32 MiB)
# Accepted scrypt costs. The default sits well inside; the floor keeps a passphrase
# stretched even if someone lowered the costs in the header.
SCRYPT_N_MIN, SCRYPT_N_MAX = 2**14, 2**20
SCRYPT_R_MAX, SCRYPT_P_MAX = 32, 16
SCRYPT_MAX_MEMORY = 256 * 2**20  # bytes: scrypt needs about 128·n·r
SCRYPT_MAX_WORK = 2**22  # n·r·p: 16 times the default
SALT_MIN, SALT_MAX = 16, 64  # bytes
_FIELDS = {"scrypt": {"name", "salt", "n", "r", "p"}, "hkdf-sha256": {"name", "salt"}}


@dataclass(frozen=True)
class Kdf:
    """Validated key-derivation parameters of one vault file."""

    name: str  # "scrypt" or "hkdf-sha256"
    salt: bytes
    n: int = 0
    r: int = 0
    p: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form written to the file (and covered by its MAC)."""
        out: dict[str, Any] = {"name": self.name, "salt": b64(self.salt)}
        if self.name == "scrypt":
            out.update(n=self.n, r=self.r, p=self.p)
        return out


def b64(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    """Bytes of a base64 string (raises ``ValueError`` on anything else)."""
    if not isinstance(text, str):
        raise ValueError("expected a base64 string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def strict_int(value: object) -> int:
    """``value`` when it is a JSON integer (not a bool), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, not {value!r}")
    return value


def raw_key(material: str) -> bytes | None:
    """The 32 raw bytes when ``material`` is a urlsafe-base64 32-byte key, else None."""
    text = material.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def scrypt_cost_ok(n: int, r: int, p: int) -> bool:
    """Whether scrypt ``n``/``r``/``p`` are inside the documented bounds."""
    return (
        SCRYPT_N_MIN <= n <= SCRYPT_N_MAX
        and n & (n - 1) == 0
        and 1 <= r <= SCRYPT_R_MAX
        and 1 <= p <= SCRYPT_P_MAX
        and 128 * n * r <= SCRYPT_MAX_MEMORY
        and n * r * p <= SCRYPT_MAX_WORK
    )


def parse_kdf(raw: object, path: Path) -> Kdf:
    """Validate a file's ``kdf`` header, scrypt costs within the bounds above."""
    if not isinstance(raw, dict):
        raise VaultError(f"{path}: corrupt vault file (kdf is not an object)")
    name = raw.get("name")
    if name not in _FIELDS:
        raise VaultError(f"{path}: unknown key derivation {name!r}")
    if set(raw) != _FIELDS[str(name)]:
        raise VaultError(f"{path}: corrupt vault file (kdf fields {sorted(raw)})")
    try:
        salt = unb64(raw["salt"])
        n, r, p = (strict_int(raw[k]) for k in "nrp") if name == "scrypt" else (0, 0, 0)
    except (ValueError, binascii.Error) as exc:
        raise VaultError(f"{path}: corrupt vault file (kdf: {exc})") from exc
    if not SALT_MIN <= len(salt) <= SALT_MAX:
        raise VaultTampered(f"{path}: the vault header was altered (a {len(salt)}-byte salt)")
    if name == "scrypt" and not scrypt_cost_ok(n, r, p):
        raise VaultTampered(
            f"{path}: refusing scrypt cost n={n} r={r} p={p}: accepted are n a power of two "
            f"from 2**14 to 2**20, r 1-{SCRYPT_R_MAX}, p 1-{SCRYPT_P_MAX}, at most 256 MiB and "
            "16x the default work; the vault header was altered, restore the file from a backup"
        )
    return Kdf(str(name), salt, n, r, p)


def new_kdf(material: str) -> Kdf:
    """Fresh parameters: HKDF for a 32-byte key, scrypt at the default cost otherwise."""
    salt = secrets.token_bytes(16)
    if raw_key(material) is not None:
        return Kdf("hkdf-sha256", salt)
    return Kdf("scrypt", salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)


def derive_master(kdf: Kdf, material: str, path: Path) -> bytes:
    """The file's master key from the key material (``kdf`` must come from parse/new)."""
    if kdf.name == "hkdf-sha256":
        raw = raw_key(material)
        if raw is None:
            raise VaultKeyError(
                f"wrong vault key for {path}: it was created with a 32-byte key "
                f"and {KEY_ENV} is not one"
            )
        return HKDF(hashes.SHA256(), 32, kdf.salt, b"convergio-vault-v1").derive(raw)
    if not scrypt_cost_ok(kdf.n, kdf.r, kdf.p):  # belt and braces: never derive unbounded
        raise VaultTampered(f"{path}: refusing scrypt cost n={kdf.n} r={kdf.r} p={kdf.p}")
    return Scrypt(salt=kdf.salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(
        material.encode("utf-8")
    )
