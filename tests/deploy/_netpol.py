"""Evaluate Kubernetes NetworkPolicies for one namespace: may pod A open a connection to B:port?

The rules of the NetworkPolicy API: a pod is isolated for a direction once any policy with that
policy type selects it; then a connection needs an egress rule of the source's policies *and* an
ingress rule of the destination's policies to allow it. An empty ``to``/``from`` allows every
peer, empty ``ports`` every port. ``ipBlock`` peers are taken to match addresses outside the
cluster only (``None`` below), which is how the policies use them.
"""

from __future__ import annotations

from typing import Any

Labels = dict[str, str]


def selects(selector: dict[str, Any], labels: Labels) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
    return True


def _peer_matches(peer: dict[str, Any], other: Labels | None) -> bool:
    if "ipBlock" in peer:
        return other is None
    if "namespaceSelector" in peer:
        return False  # a pod of another namespace: never one of the labels asked about here
    return other is not None and selects(peer.get("podSelector", {}), other)


def _port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def _direction_allows(
    policies: list[dict[str, Any]],
    pod: Labels,
    other: Labels | None,
    *,
    port: int,
    protocol: str,
    direction: str,
) -> bool:
    kind, peers_key = ("Egress", "to") if direction == "egress" else ("Ingress", "from")
    isolating = [
        p["spec"]
        for p in policies
        if selects(p["spec"]["podSelector"], pod) and kind in p["spec"].get("policyTypes", [])
    ]
    if not isolating:
        return True
    for spec in isolating:
        for rule in spec.get(direction, []):
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(peer, other) for peer in peers)) and _port_matches(
                rule, port, protocol
            ):
                return True
    return False


def allowed(
    policies: list[dict[str, Any]],
    source: Labels | None,
    destination: Labels | None,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """``None`` as source or destination is an address outside the cluster."""
    if source is not None and not _direction_allows(
        policies, source, destination, port=port, protocol=protocol, direction="egress"
    ):
        return False
    return destination is None or _direction_allows(
        policies, destination, source, port=port, protocol=protocol, direction="ingress"
    )
