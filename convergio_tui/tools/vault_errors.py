"""What can go wrong with a vault, as exception types (all are ``VaultError``)."""

from __future__ import annotations

KEY_ENV = "CONVERGIO_VAULT_KEY"


class VaultError(Exception):
    """The vault cannot do what was asked: no key, wrong key, corrupt file, bad name."""


class VaultKeyError(VaultError):
    """No key material, or a key that does not open the vault."""


class VaultTampered(VaultError):
    """The vault file was altered, rolled back or removed behind Convergio's back."""


class VaultUnavailable(VaultError):
    """A project's vault exists but cannot be opened for a run; the message says what to do."""

    def __init__(self, project: str, cause: VaultError) -> None:
        """One line: the project, the cause, and what to do about it."""
        hint = (
            f"set {KEY_ENV} to the key this vault was made with "
            f"(try: convergio vault list {project}), then run again"
            if isinstance(cause, VaultKeyError)
            else "fix or restore the vault file (see docs/vault.md), then run again"
        )
        super().__init__(
            f"the vault of project {project!r} cannot be opened, so nothing was started: "
            f"{cause}; {hint}"
        )
