"""Configuration rules that keep the privacy promise: what ``local`` may mean, who may see
sensitive work, and one project per directory. See docs/privacy-config.md.

Pure apart from resolving project paths (symlinks decide which directory a path names);
each rule yields a located :class:`Problem`, reported by ``config check`` and every load.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from convergio_tui.config.errors import Problem
from convergio_tui.config.schema import Config, ProviderConfig
from convergio_tui.config.yaml_lines import LocatedYaml

# CLIs that send everything they see to their vendor's cloud, whatever the config says.
CLOUD_CLIS = frozenset({"claude", "copilot", "gemini"})
# Commands that run another one: the CLI is what follows them.
_LAUNCHERS = frozenset({"env", "npx", "bunx", "pnpx", "nice", "nohup", "stdbuf", "timeout"})
LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
              "fc00::/7", "169.254.0.0/16", "fe80::/10")
)  # fmt: skip
LOCAL_NAMES = frozenset({"localhost", "localhost."})


def cli_name(cli: list[str]) -> str:
    """The program a provider's argv runs, by basename, past launchers like ``env``/``npx``
    and ``VAR=value`` assignments (``.exe``/``.cmd`` dropped, lower case)."""
    for element in cli:
        base = Path(element).name.lower().removesuffix(".exe").removesuffix(".cmd")
        if base in _LAUNCHERS or element.startswith("-") or "=" in element:
            continue
        if base.isdigit():  # timeout's duration
            continue
        return base.split("@")[0]  # npx claude@latest
    return ""


# npm packages of the cloud CLIs, as `npx`/`bunx` name them.
CLOUD_PACKAGES = {
    "@anthropic-ai/claude-code": "claude", "@github/copilot": "copilot",
    "@google/gemini-cli": "gemini",
}  # fmt: skip
_WORD = re.compile(r"[^\s'\"`;&|()<>$]+")


def cloud_cli_in(cli: list[str]) -> str | None:
    """The cloud CLI anywhere in a provider's argv, or None: any word of any element (a
    ``sh -c 'claude -p …'`` script, a wrapper like ``timeout 30s claude``, ``npx
    @google/gemini-cli``), by basename or npm package name, ``@version`` dropped."""
    for element in cli:
        for word in _WORD.findall(element):
            scoped = word.startswith("@")
            name = word[1:] if scoped else word
            name = ("@" if scoped else "") + name.split("@", 1)[0]  # pkg@1.2 -> pkg
            lowered = name.lower()
            if lowered in CLOUD_PACKAGES:
                return CLOUD_PACKAGES[lowered]
            base = Path(lowered).name.removesuffix(".exe").removesuffix(".cmd")
            if base in CLOUD_CLIS:
                return base
    return None


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` is not on this machine or a private network, or None."""
    url = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
    if "@" in url.netloc or "\\" in endpoint:
        # URL parsers disagree on `http://evil\@127.0.0.1`: accept only a plain host.
        return f"endpoint {endpoint!r} carries a user name or a backslash: write a plain URL"
    try:
        host = url.hostname
    except ValueError:
        host = None
    if not host:
        return f"endpoint {endpoint!r} names no host"
    if host.lower() in LOCAL_NAMES:
        return None
    try:
        address = ipaddress.ip_address(host.split("%")[0])  # fe80::1%eth0
    except ValueError:
        return (
            f"endpoint host {host!r} is a name, and a name can point anywhere: use localhost "
            "or a loopback/private IP address, or declare the provider privacy_level: cloud"
        )
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in LOCAL_NETWORKS):
        return None
    return (
        f"endpoint {host} is neither loopback nor a private address, so a `local` provider "
        "would send sensitive code off the machine: point it at 127.0.0.1 or a private "
        "network (10/8, 172.16/12, 192.168/16, fc00::/7, link-local), or declare it cloud"
    )


def _provider_problems(name: str, provider: ProviderConfig) -> Iterable[tuple[str, str]]:
    if provider.privacy_level != "local":
        return
    program = cloud_cli_in(provider.cli)
    if program is not None:
        yield (
            "privacy_level",
            (
                f"{program} is a cloud CLI: it sends what it sees to its vendor, so it cannot "
                "be privacy_level: local (declare it cloud)"
            ),
        )
    if provider.endpoint is not None:
        why = endpoint_problem(provider.endpoint)
        if why is not None:
            yield "endpoint", why


def _resolve(path: str) -> str:
    # As the planner resolves a configured project's path.
    return str(Path(path).expanduser().resolve())


def check_privacy(
    config: Config, located: LocatedYaml, resolve: Callable[[str], str] = _resolve
) -> Iterable[Problem]:
    """Every privacy rule broken by ``config``, located in ``located``."""
    for name, provider in config.providers.items():
        for key, message in _provider_problems(name, provider):
            yield located.problem(("providers", name, key), message)
    sensitive = config.routing.by_privacy.get("sensitive")
    for i, name in enumerate(sensitive.allowed_providers if sensitive else []):
        allowed = config.providers.get(name)
        if allowed is not None and allowed.privacy_level == "cloud":
            yield located.problem(
                ("routing", "by_privacy", "sensitive", "allowed_providers", i),
                f"{name} is a cloud provider: sensitive work may only go to local ones "
                "(remove it here, or make the provider local if it really is)",
            )
    first_of: dict[str, str] = {}
    for name, project in config.projects.items():
        try:
            where = resolve(project.path)
        except (OSError, RuntimeError, ValueError):
            continue  # unresolvable: the planner reports it when a plan names it
        if where in first_of:
            yield located.problem(
                ("projects", name, "path"),
                f"same directory as project {first_of[where]!r} ({where}): a project is its "
                "directory, so keep one entry for it",
            )
        else:
            first_of[where] = name
