"""Where a run may go, as Ray resources. Pure.

A node's operator advertises what it offers when starting it (docs/cluster.md):
``provider:<name>`` for each provider CLI installed and logged in there (its amount: how
many runs of it the node takes at once) and ``privacy:local`` when the node may take
sensitive work (a local model on the node itself). A run asks for one unit of its
provider's resource; a sensitive run also for ``privacy:local``. Ray then places it only
on a node that has both, and never more runs on a node than it advertised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PROVIDER_PREFIX = "provider:"
PRIVACY_LOCAL = "privacy:local"


def run_resources(provider: str, privacy: str) -> dict[str, float]:
    """The Ray resources one run of ``provider`` at ``privacy`` asks for."""
    wanted = {f"{PROVIDER_PREFIX}{provider}": 1.0}
    if privacy == "sensitive":
        wanted[PRIVACY_LOCAL] = 1.0
    return wanted


@dataclass(frozen=True)
class NodeOffer:
    """One node of the cluster as Convergio reads it."""

    node_id: str
    name: str
    alive: bool
    providers: dict[str, float]  # provider -> runs it takes at once
    privacy_local: bool
    address: str


def offer_of(node: Mapping[str, object]) -> NodeOffer:
    """A node as ``ray.nodes()`` describes it."""
    resources = node.get("Resources") or {}
    assert isinstance(resources, Mapping)
    node_id = str(node.get("NodeID", ""))
    providers = {
        str(key)[len(PROVIDER_PREFIX) :]: float(value)
        for key, value in resources.items()
        if str(key).startswith(PROVIDER_PREFIX)
    }
    name = str(node.get("NodeManagerHostname") or "")
    return NodeOffer(
        node_id=node_id, name=f"{name}/{node_id[:8]}" if name else node_id[:8],
        alive=bool(node.get("Alive")), providers=providers,
        privacy_local=float(resources.get(PRIVACY_LOCAL, 0) or 0) >= 1,
        address=str(node.get("NodeManagerAddress", "")),
    )  # fmt: skip


def can_place(wanted: Mapping[str, float], offers: Iterable[NodeOffer]) -> bool:
    """Whether some live node has every resource ``wanted`` (at any amount it advertised)."""
    for offer in offers:
        if not offer.alive:
            continue
        have = {f"{PROVIDER_PREFIX}{p}": n for p, n in offer.providers.items()}
        if offer.privacy_local:
            have[PRIVACY_LOCAL] = 1.0
        if all(have.get(key, 0.0) >= amount for key, amount in wanted.items()):
            return True
    return False


def missing_words(provider: str, privacy: str) -> str:
    """What no node offers, as the refusal says it."""
    need = f"{PROVIDER_PREFIX}{provider}"
    return f"{need} and {PRIVACY_LOCAL}" if privacy == "sensitive" else need
