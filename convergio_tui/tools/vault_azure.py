"""Optional sync of a project's vault to Azure Key Vault (the ``[azure]`` extra).

The Azure SDK is imported only here and only when a sync runs, so the rest of
Convergio never needs it. Azure secret names allow only letters, digits and dashes,
so a local key ``API_TOKEN`` of project ``web`` becomes ``convergio-web--API-TOKEN``
and the original name travels in the secret's tags (``convergio_key``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from convergio_tui.tools.vault import Vault, VaultError

INSTALL_HINT = "install with: pip install 'convergio-tui[azure]'"


class AzureExtraMissing(VaultError):
    """The ``[azure]`` extra (azure-keyvault-secrets, azure-identity) is not installed."""


@dataclass
class SyncReport:
    """What a sync did: names pushed to Azure and names pulled from it."""

    pushed: list[str] = field(default_factory=list)
    pulled: list[str] = field(default_factory=list)


def azure_secret_name(project: str, key: str) -> str:
    """The Azure Key Vault name for ``key`` of ``project`` (letters, digits, dashes)."""
    return re.sub(r"[^0-9A-Za-z-]", "-", f"convergio-{project}--{key}")[:127]


def _client(vault_name: str) -> Any:
    """A ``SecretClient`` for ``https://<vault_name>.vault.azure.net``."""
    try:
        from azure.identity import DefaultAzureCredential
        from azure.keyvault.secrets import SecretClient
    except ImportError as exc:
        raise AzureExtraMissing(
            f"Azure Key Vault sync needs the [azure] extra; {INSTALL_HINT}"
        ) from exc
    url = (
        vault_name if vault_name.startswith("https://") else f"https://{vault_name}.vault.azure.net"
    )
    return SecretClient(vault_url=url, credential=DefaultAzureCredential())


def sync_project(vault: Vault, project: str, vault_name: str, *, pull: bool = False) -> SyncReport:
    """Push ``project``'s secrets to Azure Key Vault ``vault_name``, or pull them back.

    Raises ``AzureExtraMissing`` when the SDK is not installed.
    """
    client = _client(vault_name)
    report = SyncReport()
    if pull:
        prefix = f"convergio-{project}--"
        for props in client.list_properties_of_secrets():
            tags = props.tags or {}
            if not str(props.name).startswith(prefix) or "convergio_key" not in tags:
                continue
            secret = client.get_secret(props.name)
            vault.set(project, tags["convergio_key"], secret.value or "")
            report.pulled.append(tags["convergio_key"])
        return report
    for key, value in vault.items(project).items():
        client.set_secret(
            azure_secret_name(project, key),
            value,
            tags={"convergio_project": project, "convergio_key": key},
        )
        report.pushed.append(key)
    return report
