"""Where a run may go on a Ray cluster, as resources (engine/cluster/resources.py) and as
``convergio health`` shows the nodes (engine/cluster/nodes.py). Pure; the privacy rule is
checked with hypothesis: a sensitive run can only be placed on a ``privacy:local`` node."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from convergio_tui.engine.cluster.nodes import ClusterView, cluster_lines
from convergio_tui.engine.cluster.resources import (
    NodeOffer,
    can_place,
    offer_of,
    run_resources,
)
from convergio_tui.providers import PROVIDERS

PRIVACY = ("public", "internal", "sensitive")

nodes = st.lists(
    st.builds(
        NodeOffer,
        node_id=st.text("0123456789abcdef", min_size=8, max_size=8),
        name=st.just("n"),
        alive=st.booleans(),
        providers=st.dictionaries(st.sampled_from(PROVIDERS), st.sampled_from([0.5, 1.0, 4.0])),
        privacy_local=st.booleans(),
        address=st.just("10.0.0.1"),
    ),
    max_size=5,
)


@given(provider=st.sampled_from(PROVIDERS), privacy=st.sampled_from(PRIVACY), offers=nodes)
def test_a_run_is_placed_only_on_a_live_node_with_its_provider_and_for_sensitive_work_privacy_local(
    provider: str, privacy: str, offers: list[NodeOffer]
) -> None:
    wanted = run_resources(provider, privacy)
    placed = can_place(wanted, offers)
    fits = [
        n for n in offers
        if n.alive and n.providers.get(provider, 0) >= 1
        and (privacy != "sensitive" or n.privacy_local)
    ]  # fmt: skip
    assert placed == bool(fits)
    if privacy == "sensitive":
        assert wanted["privacy:local"] == 1.0
        assert not can_place(wanted, [NodeOffer(n.node_id, n.name, n.alive, n.providers, False,
                                                n.address) for n in offers])  # fmt: skip


def test_a_node_reads_as_what_it_offers() -> None:
    node = offer_of({
        "NodeID": "62b475ca" + "0" * 48, "Alive": True, "NodeManagerHostname": "gpu-box",
        "NodeManagerAddress": "10.0.0.7",
        "Resources": {"CPU": 8.0, "provider:opencode": 2.0, "privacy:local": 1.0, "memory": 1e9},
    })  # fmt: skip
    assert node == NodeOffer("62b475ca" + "0" * 48, "gpu-box/62b475ca", True,
                             {"opencode": 2.0}, True, "10.0.0.7")  # fmt: skip
    lines = cluster_lines(ClusterView("10.0.0.1:6379", [node]), ["claude", "opencode"])
    assert lines[0] == "cluster    ray       10.0.0.1:6379: 1 node(s) alive"
    assert "gpu-box/62b475ca" in lines[1] and "opencode×2 privacy:local" in lines[1]
    assert lines[-1] == "  not offered by any live node: claude"


def test_an_unreachable_cluster_is_one_line_saying_so() -> None:
    view = ClusterView("ray://nowhere:10001", error="cannot reach the Ray cluster at x: refused")
    assert cluster_lines(view, ["claude"]) == [
        "cluster    down      cannot reach the Ray cluster at x: refused"
    ]
