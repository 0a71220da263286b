"""NetworkPolicies judged by a published evaluator: IBM's network-config-analyzer (NP-Guard).

``nca --connectivity`` computes, from the NetworkPolicies and the workloads of a rendered
overlay, which connections the Kubernetes NetworkPolicy semantics allow between every pair of
endpoints (pods grouped by workload, and address ranges outside the cluster). This module only
runs it and reads its pairwise report (``txt_no_fw_rules``); the policy semantics are the tool's.

network-config-analyzer pins its own dependencies exactly (PyYAML 6.0.2, networkx 3.2.1...),
which the project's lock cannot share, so it runs in its own environment through ``uvx`` (as
checkov does), at a pinned version.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NCA = "network-config-analyzer==2.1.0"
#: A public address standing for "outside the cluster" (TEST-NET-3: documentation only; it is
#: never contacted, the analysis is offline).
OUTSIDE = "outside"
_OUTSIDE_IP = ipaddress.ip_address("203.0.113.10")
_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")
_RANGE = re.compile(r"^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$")
_CONN = re.compile(r"^protocols:(?P<protocols>[A-Z, ]+)(?:,dst_ports:(?P<ports>[0-9,-]+))?$")

Ports = list[tuple[int, int]] | None  # None: every port


@dataclass
class Connectivity:
    """Allowed connections: (source, destination) → protocol → port ranges (None: all)."""

    allowed: dict[tuple[str, str], dict[str, Ports]] = field(default_factory=dict)
    endpoints: set[str] = field(default_factory=set)

    def allows(self, source: str, destination: str, port: int, protocol: str = "TCP") -> bool:
        for endpoint in (source, destination):
            assert endpoint == OUTSIDE or endpoint in self.endpoints, (
                f"{endpoint} is not an endpoint of the analysed overlay ({sorted(self.endpoints)})"
            )
        conns = self.allowed.get((source, destination), {})
        if protocol not in conns:
            return False
        ranges = conns[protocol]
        return ranges is None or any(low <= port <= high for low, high in ranges)

    def pairs(self) -> set[tuple[str, str]]:
        return set(self.allowed)


def analyse(objects: list[dict[str, Any]], extra: list[dict[str, Any]], work: Path) -> Connectivity:
    """Run nca on rendered ``objects`` plus ``extra`` (pods and namespaces Argo or others make)."""
    uvx = shutil.which("uvx")
    assert uvx, "network-config-analyzer runs through uvx (CI installs uv)"
    work.mkdir(parents=True, exist_ok=True)
    rendered, others = work / "rendered.yaml", work / "extra.yaml"
    rendered.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    others.write_text(yaml.safe_dump_all(extra, sort_keys=False))
    cmd = [uvx, "--from", NCA, "nca", "--connectivity", str(rendered)]
    cmd += ["--resource_list", str(rendered), "--resource_list", str(others)]
    cmd += ["--output_format", "txt_no_fw_rules", "--output_endpoints", "deployments"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return parse(done.stdout)


def parse(report: str) -> Connectivity:
    """Read nca's ``SRC => DST : CONNECTIONS`` lines; anything unexpected fails loudly."""
    out = Connectivity()
    for line in report.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        src, dst = _endpoint(match["src"]), _endpoint(match["dst"])
        out.endpoints |= {e for e in (src, dst) if e and e != OUTSIDE}
        if src is None or dst is None:
            continue  # an address range that does not hold the outside address
        conns = out.allowed.setdefault((src, dst), {})
        for protocol, ports in _connections(match["conns"]):
            if protocol in conns and (conns[protocol] is None or ports is None):
                conns[protocol] = None
            else:
                conns[protocol] = (conns.get(protocol) or []) + (ports or [])
    assert out.endpoints, f"nca reported no endpoint:\n{report}"
    return out


def _endpoint(text: str) -> str | None:
    span = _RANGE.match(text)
    if span is None:
        return text
    low, high = (ipaddress.ip_address(part) for part in span.groups())
    return OUTSIDE if low <= _OUTSIDE_IP <= high else None


def _connections(text: str) -> list[tuple[str, Ports]]:
    if text == "All connections":
        return [(protocol, None) for protocol in ("TCP", "UDP", "SCTP")]
    found: list[tuple[str, Ports]] = []
    for part in re.findall(r"\{([^}]*)\}", text):
        match = _CONN.match(part)
        assert match, f"unexpected nca connection set: {text}"
        ports: Ports = None
        if match["ports"]:
            ports = []
            for item in match["ports"].split(","):
                low, _, high = item.partition("-")
                ports.append((int(low), int(high or low)))
        found += [(p.strip(), ports) for p in match["protocols"].split(",") if p.strip()]
    assert found, f"unexpected nca connection set: {text}"
    return found
