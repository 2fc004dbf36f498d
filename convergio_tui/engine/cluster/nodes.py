"""The Ray cluster as ``convergio health`` shows it: each node, what it offers, and the
configured providers no live node offers (their runs would be refused)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from convergio_tui.config.schema import RayConfig
from convergio_tui.engine.cluster.resources import NodeOffer


@dataclass(frozen=True)
class ClusterView:
    """The nodes at ``address``, or why they could not be read (``error``)."""

    address: str
    nodes: list[NodeOffer] = field(default_factory=list)
    error: str | None = None


def read_cluster(cfg: RayConfig) -> ClusterView:
    """Join the cluster (once per process) and list its nodes; never raises."""
    try:
        from convergio_tui.engine.cluster.ray_backend import connect, nodes
    except ImportError:
        return ClusterView(
            cfg.address, error="Ray is not installed: pip install 'convergio-tui[ray]'"
        )
    try:
        connect(cfg)
        return ClusterView(cfg.address, nodes())
    except Exception as exc:  # Ray's own words, first line: the address is what to check
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return ClusterView(
            cfg.address, error=f"cannot reach the Ray cluster at {cfg.address}: {first}"
        )


def _offers(node: NodeOffer) -> str:
    parts = [f"{name}×{amount:g}" for name, amount in sorted(node.providers.items())]
    if node.privacy_local:
        parts.append("privacy:local")
    return " ".join(parts) or "no provider (start it with --resources, docs/cluster.md)"


def cluster_lines(view: ClusterView, providers: Iterable[str]) -> list[str]:
    """The health lines of the cluster. Pure."""
    if view.error is not None:
        return [f"cluster    down      {view.error}"]
    alive = [n for n in view.nodes if n.alive]
    lines = [f"cluster    ray       {view.address}: {len(alive)} node(s) alive"]
    for node in sorted(view.nodes, key=lambda n: (not n.alive, n.name)):
        state = "alive" if node.alive else "dead"
        lines.append(f"  {node.name:<24} {state:<5} {node.address:<15} {_offers(node)}")
    offered = {p for n in alive for p in n.providers}
    missing = [p for p in providers if p not in offered]
    if missing:
        lines.append(f"  not offered by any live node: {', '.join(missing)}")
    if not any(n.privacy_local for n in alive):
        lines.append("  no live node has privacy:local: sensitive tasks cannot run")
    return lines


def cluster_document(view: ClusterView) -> dict[str, Any]:
    """The cluster for ``convergio health --json``."""
    return {
        "address": view.address, "error": view.error,
        "nodes": [
            {"node_id": n.node_id, "name": n.name, "alive": n.alive, "address": n.address,
             "providers": n.providers, "privacy_local": n.privacy_local}
            for n in view.nodes
        ],
    }  # fmt: skip
