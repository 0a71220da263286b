"""What shadow mode costs the champion's callers: ``glassbox serve`` with the @challenger in
shadow against the same server with shadow off (the anchor, measured in the same run).

Both servers serve the same store's champion (a copy of the store: the challenger alias may be
set on it), on their own audit directories, driven by ``hey`` in alternating rounds: single-row
requests at concurrency 1 and 8, 100-row requests at concurrency 4. Printed per load: requests/s,
p50 and p99 of each, the ratios shadow/off, and how many predictions the challenger scored and
dropped (the bounded queue drops rather than slowing the champion).

    python bench/shadow.py [--home STORE] [--seconds 10] [--rounds 2]

Without ``--home`` a store is trained (``glassbox run training`` twice: champion, challenger).
Needs ``hey`` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from serve import BIN, ROOT, free_port, hey, sample_records, wait_http

LOADS = (("1 row, c=1", 1, 1), ("1 row, c=8", 1, 8), ("100 rows, c=4", 100, 4))


def store(home: Path | None) -> Path:
    """A copy of ``home`` (or a fresh store) whose model has @champion and @challenger."""
    copy = Path(tempfile.mkdtemp(prefix="glassbox-bench-shadow-")) / "home"
    env = os.environ | {"GLASSBOX_HOME": str(copy)}
    env.pop("MLFLOW_TRACKING_URI", None)
    if home is not None:
        shutil.copytree(home, copy, ignore=shutil.ignore_patterns("serving", "runs"))
    else:
        for seed in ("42", "7"):
            print(f"training seed {seed} into {copy} ...", flush=True)
            subprocess.run([str(BIN / "glassbox"), "run", "training", "-p", f"seed={seed}"],
                           cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                           timeout=3600)  # fmt: skip
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{copy / 'mlflow.db'}")
    model = client.get_registered_model("car-loan-default")
    aliases = {k: str(v) for k, v in model.aliases.items()}
    if "challenger" not in aliases:
        versions = [v.version for v in client.search_model_versions("name='car-loan-default'")]
        others = sorted((int(v) for v in versions if str(v) != aliases["champion"]), reverse=True)
        if not others:
            raise SystemExit(f"{home}: one model version only; a challenger needs another")
        client.set_registered_model_alias("car-loan-default", "challenger", str(others[0]))
    return copy


def start(home: Path, workdir: Path, shadow: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    name = "shadow" if shadow else "off"
    env = os.environ | {
        "GLASSBOX_HOME": str(home),
        "GLASSBOX_SERVING__SHADOW__ENABLED": str(shadow).lower(),
        "GLASSBOX_SERVING__AUDIT__DIR": str(workdir / f"audit-{name}"),
        "GLASSBOX_SERVING__ACCESS_LOG": "false",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.Popen(
        [str(BIN / "glassbox"), "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=(workdir / f"{name}.log").open("wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/ready", 300, proc)
    return proc, base


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=None, help="a store with a champion")
    parser.add_argument("--seconds", type=float, default=10.0, help="per hey run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per load")
    args = parser.parse_args()
    home = store(args.home.resolve() if args.home else None)
    workdir = home.parent
    bodies = {}
    for rows in {rows for _, rows, _ in LOADS}:
        records = sample_records(rows)
        bodies[rows] = workdir / f"body-{rows}.json"
        bodies[rows].write_text(json.dumps(records[0] if rows == 1 else records))
    servers = {"off": start(home, workdir, False), "shadow": start(home, workdir, True)}
    try:
        shadow = wait_shadowing(servers["shadow"][1])
        print(f"challenger in shadow: {shadow.get('challenger')} ({shadow.get('state')})")
        results = [measure(servers, name, bodies[rows], c, args) for name, rows, c in LOADS]
        shadow = httpx.get(servers["shadow"][1] + "/shadow", timeout=10).json()
    finally:
        for proc, _ in servers.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
    print_table(results, shadow)


def wait_shadowing(base: str, timeout: float = 300.0) -> dict[str, Any]:
    """/shadow once the challenger is loaded (it loads after /ready, off the request path)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = dict(httpx.get(base + "/shadow", timeout=10).json())
        if found.get("state") == "scoring":
            return found
        time.sleep(0.5)
    raise SystemExit(f"the challenger was not loaded within {timeout:g} s: {found}")


def measure(servers: dict[str, Any], load: str, body: Path, c: int, args: Any) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "shadow": []}
    for _ in range(args.rounds):
        for name in ("off", "shadow"):
            runs[name].append(hey(servers[name][1] + "/predict", body, c, args.seconds))
    return {"load": load} | {name: best(found) for name, found in runs.items()}


def best(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the highest throughput (the least disturbed by the machine's load)."""
    return max(found, key=lambda r: r["rps"])


def print_table(results: list[dict[str, Any]], shadow: dict[str, Any]) -> None:
    head = ("load", "off rps", "shadow rps", "ratio", "off p50", "shadow p50", "off p99",
            "shadow p99", "ratio")  # fmt: skip
    print("\n{:15} {:>9} {:>10} {:>6}  {:>9} {:>10}  {:>9} {:>10} {:>6}".format(*head))
    row_format = "{:15} {:9.0f} {:10.0f} {:6.2f}  {:7.1f}ms {:8.1f}ms  {:7.1f}ms {:8.1f}ms {:6.2f}"
    for row in results:
        off, on = row["off"], row["shadow"]
        p99_ratio = (on["p99_ms"] or 0) / (off["p99_ms"] or 1)
        cells = (row["load"], off["rps"], on["rps"], on["rps"] / off["rps"], off["p50_ms"],
                 on["p50_ms"], off["p99_ms"], on["p99_ms"], p99_ratio)  # fmt: skip
        print(row_format.format(*cells))
        if off["bad"] or on["bad"]:
            print(f"  non-200 answers: off {off['codes']}, shadow {on['codes']}")
    scored, dropped = shadow.get("records"), shadow.get("dropped")
    print(f"\nshadow: {scored} predictions scored by the challenger, {dropped} dropped "
          f"(queue full), {shadow.get('errors')} errors")  # fmt: skip


if __name__ == "__main__":
    main()
