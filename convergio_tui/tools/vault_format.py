"""The vault file format: parsing, per-file keys, the whole-file MAC, sealing entries.

Pure functions (no file I/O; key derivation is in ``vault_kdf``); ``vault`` does the
files. See ``docs/vault.md`` for the format and what it protects against.

Version 2 (written now) is JSON::

    {"format": "convergio-vault", "version": 2,
     "kdf": {"name": "scrypt", "salt": B64, "n": N, "r": R, "p": P}   # or hkdf-sha256
     "generation": G,                         # +1 on every write
     "check": {"nonce": B64, "ct": B64},      # AES-GCM of a constant: tells a wrong key
     "entries": [{"nonce": B64, "ct": B64}, ...],   # AES-GCM of [name, value], padded
     "mac": B64}                              # HMAC-SHA256 over all of the above

The KDF output (the master key) is split with HKDF into an encryption key and a MAC key.
The MAC covers the project name, the format, version, KDF parameters, generation, check
token and the ordered entry list, so removing, reordering, replaying or swapping entries
and editing the header are all detected. Version 1 (no generation, no MAC, the master key
used directly for AES-GCM) is still read and is rewritten as version 2 on first open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from convergio_tui.tools.vault_errors import KEY_ENV, VaultError, VaultKeyError, VaultTampered
from convergio_tui.tools.vault_kdf import Kdf, b64, parse_kdf, strict_int, unb64

FORMAT = "convergio-vault"
VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_GENERATION = 2**62
CHECK_PLAINTEXT = b"convergio-vault-check-v1"
PAD = 32  # plaintexts are padded to a multiple of this, so sizes leak little
_V2_TOP = {"format", "version", "kdf", "generation", "check", "entries", "mac"}
_V1_TOP = {"format", "version", "kdf", "check", "entries"}

Box = tuple[bytes, bytes]  # (nonce, ciphertext)


@dataclass(frozen=True)
class Document:
    """A parsed vault file; nothing in it is decrypted or trusted yet."""

    version: int
    kdf: Kdf
    generation: int  # 0 for version 1
    check: Box
    entries: tuple[Box, ...]
    mac: bytes | None  # None for version 1


def file_keys(master: bytes, version: int) -> tuple[bytes, bytes]:
    """(encryption key, MAC key). Version 1 used the master key for AES-GCM directly."""
    if version == 1:
        return master, b""
    enc, mac = (
        HKDF(hashes.SHA256(), 32, None, info).derive(master)
        for info in (b"convergio-vault-v2 encryption", b"convergio-vault-v2 mac")
    )
    return enc, mac


def _box(raw: object) -> Box:
    if not isinstance(raw, dict) or set(raw) != {"nonce", "ct"}:
        raise ValueError("an entry is not {nonce, ct}")
    return unb64(raw["nonce"]), unb64(raw["ct"])


def parse_document(text: str, path: Path) -> Document:
    """Parse and shape-check a vault file (no key needed, nothing decrypted)."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise VaultError(f"{path}: corrupt vault file ({exc})") from exc
    version = doc.get("version")
    if doc.get("format") != FORMAT or version not in READABLE_VERSIONS:
        raise VaultError(f"{path}: not a Convergio vault file of version 1 or 2")
    if set(doc) != (_V1_TOP if version == 1 else _V2_TOP):
        raise VaultError(f"{path}: corrupt vault file (fields {sorted(doc)})")
    kdf = parse_kdf(doc["kdf"], path)
    try:
        if not isinstance(doc["entries"], list):
            raise ValueError("entries is not a list")
        check, entries = _box(doc["check"]), tuple(_box(e) for e in doc["entries"])
        generation, mac = 0, None
        if version == 2:
            generation, mac = strict_int(doc["generation"]), unb64(doc["mac"])
            if not 1 <= generation <= MAX_GENERATION:
                raise ValueError(f"generation {generation} out of range")
    except ValueError as exc:  # binascii.Error included
        raise VaultError(f"{path}: corrupt vault file ({exc})") from exc
    return Document(int(version), kdf, generation, check, entries, mac)


def _mac(key: bytes, project: str, kdf: Kdf, generation: int, check: Box,
         entries: tuple[Box, ...]) -> bytes:  # fmt: skip
    """HMAC-SHA256 over a canonical rendering of everything but the MAC itself."""
    body = {
        "project": project,
        "format": FORMAT,
        "version": VERSION,
        "kdf": kdf.as_dict(),
        "generation": generation,
        "check": [b64(x) for x in check],
        "entries": [[b64(n), b64(c)] for n, c in entries],
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, b"convergio-vault-mac\0" + canonical.encode(), hashlib.sha256).digest()


def aad(project: str) -> bytes:
    """AES-GCM associated data: an entry cannot be moved to another project's file."""
    return f"convergio-vault:{project}".encode()


def seal(key: bytes, plaintext: bytes, associated: bytes) -> Box:
    """AES-256-GCM of ``plaintext`` (space-padded) under a fresh random nonce."""
    nonce = secrets.token_bytes(12)
    padded = plaintext + b" " * (-len(plaintext) % PAD)
    return nonce, AESGCM(key).encrypt(nonce, padded, associated)


def verify(doc: Document, master: bytes, project: str, path: Path) -> bytes:
    """Check the key and (version 2) the whole-file MAC; return the encryption key.

    Nothing but the constant check token is decrypted before both hold.
    """
    enc, mac_key = file_keys(master, doc.version)
    try:
        nonce, ct = doc.check
        if AESGCM(enc).decrypt(nonce, ct, aad(project)).rstrip(b" ") != CHECK_PLAINTEXT:
            raise InvalidTag
    except (InvalidTag, ValueError):
        raise VaultKeyError(
            f"wrong vault key for project {project!r}: {KEY_ENV} does not open {path}"
        ) from None
    if doc.version == 2:
        want = _mac(mac_key, project, doc.kdf, doc.generation, doc.check, doc.entries)
        if doc.mac is None or not hmac.compare_digest(want, doc.mac):
            raise VaultTampered(
                f"{path}: the vault's contents fail authentication: entries were removed, "
                "replaced or reordered, or the header was edited; restore the file from a backup"
            )
    return enc


def decrypt_entries(doc: Document, enc: bytes, project: str, path: Path) -> dict[str, str]:
    """The name→value mapping of a verified document."""
    mapping: dict[str, str] = {}
    for nonce, ct in doc.entries:
        try:
            name, value = json.loads(AESGCM(enc).decrypt(nonce, ct, aad(project)).rstrip(b" "))
            name, value = str(name), str(value)
        except (InvalidTag, ValueError, TypeError) as exc:
            raise VaultTampered(f"{path}: an entry fails authentication (tampered?)") from exc
        if name in mapping:  # only reachable in a version-1 file (no MAC)
            raise VaultTampered(f"{path}: the entry {name!r} appears twice (tampered?)")
        mapping[name] = value
    return mapping


def render(project: str, kdf: Kdf, master: bytes, generation: int, data: dict[str, str]) -> str:
    """A version-2 file holding ``data``, sealed with fresh nonces, as JSON text."""
    enc, mac_key = file_keys(master, VERSION)
    associated = aad(project)
    check = seal(enc, CHECK_PLAINTEXT, associated)
    entries = tuple(
        seal(enc, json.dumps([name, data[name]]).encode("utf-8"), associated)
        for name in sorted(data)
    )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": kdf.as_dict(),
        "generation": generation,
        "check": {"nonce": b64(check[0]), "ct": b64(check[1])},
        "entries": [{"nonce": b64(n), "ct": b64(c)} for n, c in entries],
        "mac": b64(_mac(mac_key, project, kdf, generation, check, entries)),
    }
    return json.dumps(doc)
