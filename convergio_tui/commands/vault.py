"""``convergio vault``: the encrypted per-project env vault (docs/cli.md).

Exit codes: 0 done; 1 ``get``/``rm`` of a missing key; 2 bad input (no key, wrong key,
invalid names, a secret on the command line, a corrupt, tampered or rolled-back vault
file, missing Azure extra). See docs/vault.md.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from convergio_tui.tools.vault import (
    KEY_ENV,
    Vault,
    VaultError,
    generate_key,
    validate_key_name,
)

F = TypeVar("F", bound=Callable[..., Any])


def _die(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _vault_errors(func: F) -> F:
    """Map ``VaultError`` to exit 2 with its message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VaultError as exc:
            _die(str(exc), 2)

    return wrapper  # type: ignore[return-value]


def _open_vault(*, confirm: bool = False) -> Vault:
    """A vault using ``CONVERGIO_VAULT_KEY``, or a passphrase typed at a terminal."""
    if os.environ.get(KEY_ENV) or not sys.stdin.isatty():
        return Vault()
    passphrase = click.prompt(
        "Vault passphrase", hide_input=True, confirmation_prompt=confirm, err=True
    )
    return Vault(key=passphrase)


@click.group()
def vault() -> None:
    """The encrypted per-project env vault.

    The key comes from CONVERGIO_VAULT_KEY: a 32-byte urlsafe-base64 key (see
    'convergio vault keygen') or any passphrase (stretched with scrypt).
    """


@vault.command()
def keygen() -> None:
    """Print a new random key for CONVERGIO_VAULT_KEY."""
    click.echo(generate_key())


@vault.command()
@click.argument("project")
@_vault_errors
def init(project: str) -> None:
    """Create PROJECT's empty vault."""
    v = _open_vault(confirm=True)
    created = v.init(project)
    state = "created" if created else "already exists"
    click.echo(f"vault for {project} {state}: {v.path_for(project)}")


@vault.command("set")
@click.argument("project")
@click.argument("key")
@click.argument("value", required=False, metavar="[-]")
@_vault_errors
def set_(project: str, key: str, value: str | None) -> None:
    """Store a secret under KEY, read from stdin or typed at a hidden prompt.

    The value never goes on the command line, where 'ps' and the shell history would
    show it: pipe it in (printf %s "$TOKEN" | convergio vault set P KEY) or type it when
    asked. A trailing '-' (stdin, the old form) is accepted.
    """
    if value not in (None, "-"):
        _die(
            "refusing a secret on the command line (other users see it in 'ps', and it stays "
            f"in your shell history): run 'convergio vault set {project} {key}' and type it "
            "at the prompt, or pipe it on stdin",
            2,
        )
    validate_key_name(key)
    v = _open_vault()
    v.list(project)  # a wrong key fails here, before the secret is typed
    v.set(project, key, _read_secret(key))
    click.echo(f"stored {key} in the vault of {project}", err=True)


def _read_secret(key: str) -> str:
    """The value of ``key`` from a hidden prompt (a terminal) or all of stdin."""
    if sys.stdin.isatty():
        return str(
            click.prompt(f"Value for {key}", hide_input=True, confirmation_prompt=True, err=True)
        )
    value = sys.stdin.read()
    # One trailing newline comes from `echo`/heredocs, not from the secret.
    value = value[:-1] if value.endswith("\n") else value
    value = value[:-1] if value.endswith("\r") else value
    if not value:
        _die(f"no value for {key} on stdin: pipe the secret in, or run at a terminal", 2)
    return value


@vault.command()
@click.argument("project")
@click.argument("key")
@_vault_errors
def get(project: str, key: str) -> None:
    """Print the value of KEY (exit 1 when missing)."""
    try:
        click.echo(_open_vault().get(project, key))
    except KeyError as exc:
        _die(str(exc.args[0]), 1)


@vault.command("list")
@click.argument("project")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_vault_errors
def list_(project: str, as_json: bool) -> None:
    """List PROJECT's key names (never the values)."""
    names = _open_vault().list(project)
    if as_json:
        click.echo(json.dumps({"project": project, "keys": names}))
        return
    for name in names:
        click.echo(name)


@vault.command()
@click.argument("project")
@click.argument("key")
@_vault_errors
def rm(project: str, key: str) -> None:
    """Delete KEY (exit 1 when missing)."""
    try:
        _open_vault().remove(project, key)
    except KeyError as exc:
        _die(str(exc.args[0]), 1)
    click.echo(f"removed {key} from the vault of {project}", err=True)


@vault.command()
@click.argument("project")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@_vault_errors
def export(project: str, as_json: bool) -> None:
    """Print KEY=value lines, quoted for a POSIX shell (eval "$(convergio vault export P)")."""
    items = _open_vault().items(project)
    if as_json:
        click.echo(json.dumps(items))
        return
    for name in sorted(items):
        click.echo(f"{name}={shlex.quote(items[name])}")


@vault.command()
@click.argument("project")
@click.option("--vault-name", help="Azure Key Vault name (default: vault.azure_vault_name).")
@click.option("--pull", is_flag=True, help="Copy from Azure into the local vault instead.")
@click.pass_context
@_vault_errors
def sync(ctx: click.Context, project: str, vault_name: str | None, pull: bool) -> None:
    """Sync PROJECT with Azure Key Vault (needs the [azure] extra)."""
    from convergio_tui.tools.vault_azure import sync_project

    if not vault_name:
        vault_name = ctx.obj.config.vault.azure_vault_name if ctx.obj is not None else None
    if not vault_name:
        _die("no Azure Key Vault name: pass --vault-name or set vault.azure_vault_name", 2)
    report = sync_project(_open_vault(), project, vault_name, pull=pull)
    moved = report.pulled if pull else report.pushed
    direction = "from" if pull else "to"
    click.echo(f"synced {len(moved)} secret(s) of {project} {direction} {vault_name}")
