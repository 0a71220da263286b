"""``glassbox serve`` against MLflow's own scoring server, same model, same load, one run.

Both servers serve the same registered model version from the same store: MLflow with
``mlflow models serve --env-manager local`` (its defaults: one uvicorn worker), Glassbox with
``glassbox serve`` and everything on — contract validation, durable audit (write-ahead log,
group commit, fdatasync before each answer), Prometheus metrics, live drift, an OpenTelemetry
span per request exported over OTLP/HTTP (to a sink in this process) and the JSON access log.
The same load generator (``hey``) drives both, scenario by scenario, alternating servers
(``--rounds`` times; the median round is shown). Every answer must be a 200.

    python bench/serve.py                      # trains a model into a temp store first
    python bench/serve.py --home .glassbox     # reuse a store where `just pipeline` ran
    python bench/serve.py --duration 20 --rounds 3 --json out.json

The machine is shared while this runs on a laptop or CI: numbers are relative (ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import glassbox  # noqa: E402, F401  (telemetry off in this process and its children)

BIN = Path(sys.executable).parent
MODEL = "car-loan-default"
# name, rows per request, concurrency
SCENARIOS = (
    ("1 row, c=1", 1, 1),
    ("1 row, c=8", 1, 8),
    ("1 row, c=32", 1, 32),
    ("100 rows, c=4", 100, 4),
)


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that accepts and counts span batches."""

    batches = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).batches += 1
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode} (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def ensure_model(home: Path | None) -> Path:
    """A store with a registered champion: the one given, else a fresh training run."""
    if home is not None:
        return home.resolve()
    home = Path(tempfile.mkdtemp(prefix="glassbox-bench-serve-"))
    print(f"training a model into {home} (glassbox run training) ...", flush=True)
    env = os.environ | {"GLASSBOX_HOME": str(home)}
    env.pop("MLFLOW_TRACKING_URI", None)
    subprocess.run(
        [str(BIN / "glassbox"), "run", "training"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=1800,
    )
    return home


def sample_records(n: int) -> list[dict[str, Any]]:
    """Real rows of the car-loan data (the model's feature columns, categoricals as labels)."""
    import nannyml

    from glassbox.config import settings

    data = settings().data
    _, analysis, _ = nannyml.load_synthetic_car_loan_dataset()
    rows = analysis.loc[: n - 1, list(data.features)]
    out = []
    for row in rows.to_dict("records"):
        for name in data.categorical_features:
            row[name] = str(row[name])
        for name in data.numeric_features:
            row[name] = float(row[name])
        out.append(row)
    return out


class Servers:
    def __init__(self, home: Path, workdir: Path) -> None:
        self.home, self.workdir = home, workdir
        self.uri = f"sqlite:///{home / 'mlflow.db'}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.run_id = ""
        self.ports = {"mlflow": free_port(), "glassbox": free_port()}
        self.sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=self.sink.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GLASSBOX_"))}
        path = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # mlflow execs `uvicorn` from PATH
        return env | {
            "GLASSBOX_HOME": str(self.home),
            "MLFLOW_TRACKING_URI": self.uri,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "PATH": path,
        }

    def version(self) -> str:
        import mlflow

        client = mlflow.MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return str(client.get_model_version_by_alias(MODEL, "champion").version)

    def start(self, mlflow_threads: int | None, glassbox_threads: int) -> None:
        version = self.version()
        mlflow_env = self.env()
        if mlflow_threads is not None:  # the model call's OpenMP threads, as glassbox sets them
            mlflow_env["OMP_NUM_THREADS"] = str(mlflow_threads)
        mlflow_cmd = [
            str(BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            f"models:/{MODEL}/{version}",
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.ports["mlflow"]),
        ]
        glassbox_env = self.env() | {
            "GLASSBOX_SERVING__MODEL_THREADS": str(glassbox_threads),
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.sink.server_port}",
            "GLASSBOX_SERVING__AUDIT__DIR": str(self.workdir / "audit"),
        }
        glassbox_cmd = [
            str(BIN / "glassbox"),
            "serve",
            "--model",
            f"models:/{MODEL}@champion",
            "--port",
            str(self.ports["glassbox"]),
        ]
        for name, cmd, env in (
            ("mlflow", mlflow_cmd, mlflow_env),
            ("glassbox", glassbox_cmd, glassbox_env),
        ):
            log = (self.workdir / f"{name}.log").open("wb")
            self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
        wait_http(f"http://127.0.0.1:{self.ports['mlflow']}/health", 300, self.procs["mlflow"])
        wait_http(f"http://127.0.0.1:{self.ports['glassbox']}/ready", 300, self.procs["glassbox"])
        ready = urllib.request.urlopen(
            f"http://127.0.0.1:{self.ports['glassbox']}/ready", timeout=5
        )
        self.run_id = json.loads(ready.read())["run_id"]

    def url(self, name: str) -> str:
        path = "invocations" if name == "mlflow" else "predict"
        return f"http://127.0.0.1:{self.ports[name]}/{path}"

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.sink.shutdown()


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) of a server process and everything it started."""
    import psutil

    root = psutil.Process(proc.pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measure(
    servers: Servers, name: str, body: Path, concurrency: int, seconds: float
) -> dict[str, Any]:
    """One hey run against one server, with the server's CPU time per answered request."""
    before = cpu_seconds(servers.procs[name])
    found = hey(servers.url(name), body, concurrency, seconds)
    used = cpu_seconds(servers.procs[name]) - before
    return found | {"cpu_ms_per_request": used * 1e3 / max(1, found["ok"])}


def hey(url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    exe = shutil.which("hey")
    if exe is None:
        raise SystemExit("hey not found: install it (Debian package `hey`)")
    out = subprocess.run(
        [
            exe,
            "-z",
            f"{seconds}s",
            "-c",
            str(concurrency),
            "-m",
            "POST",
            "-T",
            "application/json",
            "-D",
            str(body),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    ).stdout
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    pct = {int(p): float(v) * 1e3 for p, v in re.findall(r"(\d+)% in ([\d.]+) secs", out)}
    pct.pop(0, None)  # hey prints "0% in 0" for percentiles it has too few samples for
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.findall(r"Error distribution:(.*)", out, re.S)
    return {
        "rps": rps,
        "p50_ms": pct.get(50),
        "p99_ms": pct.get(99),
        "codes": codes,
        "ok": codes.get(200, 0),
        "bad": sum(n for c, n in codes.items() if c != 200),
        "errors": errors[0].strip()[:300] if errors else "",
    }


def bodies(workdir: Path, rows: int) -> dict[str, Path]:
    records = sample_records(rows)
    payloads = {
        "mlflow": {"dataframe_records": records},
        "glassbox": records[0] if rows == 1 else records,
    }
    out = {}
    for name, payload in payloads.items():
        out[name] = workdir / f"{name}-{rows}.json"
        out[name].write_text(json.dumps(payload))
    return out


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    home = ensure_model(args.home)
    workdir = Path(tempfile.mkdtemp(prefix="glassbox-bench-serve-run-"))
    servers = Servers(home, workdir)
    servers.start(None if args.mlflow_default_threads else args.model_threads, args.model_threads)
    results = []
    try:
        for name, rows, concurrency in SCENARIOS:
            files = bodies(workdir, rows)
            for server in ("mlflow", "glassbox"):  # warm both up
                hey(servers.url(server), files[server], concurrency, 2)
            rounds: dict[str, list[dict[str, Any]]] = {"mlflow": [], "glassbox": []}
            for _ in range(args.rounds):
                for server in ("mlflow", "glassbox"):
                    rounds[server].append(
                        measure(servers, server, files[server], concurrency, args.duration)
                    )
            row = {"scenario": name, "rows": rows, "concurrency": concurrency}
            for server, found in rounds.items():
                median = sorted(found, key=lambda r: r["rps"])[len(found) // 2]
                row[server] = median | {
                    "all_rps": [r["rps"] for r in found],
                    "ok_all_rounds": sum(r["ok"] for r in found),
                }
            results.append(row)
            print_row(row)
    finally:
        servers.stop()
    audited = audited_records(servers)
    answered = sum(r["glassbox"]["ok_all_rounds"] * r["rows"] for r in results)
    print(
        f"\nglassbox audit: {audited} records logged to its serving run (the measured 200 "
        f"answers alone carry {answered} predictions; warm-ups add more); OTLP span batches "
        f"received: {_Sink.batches}; logs in {workdir}"
    )
    return results


def audited_records(servers: Servers) -> int:
    """Records the benchmarked server's run logged (its audit, checked against its anchor)."""
    import mlflow

    from glassbox.audit import load_segment_tables

    mlflow.set_tracking_uri(servers.uri)
    return sum(len(table) for _, table, _ in load_segment_tables(run_ids=[servers.run_id]))


def _ms(value: float | None) -> str:
    return f"{value:>7.1f}" if value is not None else f"{'n/a':>7}"


def print_row(row: dict[str, Any]) -> None:
    m, g = row["mlflow"], row["glassbox"]
    rows = row["rows"]
    print(
        f"{row['scenario']:<14} {m['rps']:>9.1f} {_ms(m['p50_ms'])} {_ms(m['p99_ms'])}   "
        f"{g['rps']:>9.1f} {_ms(g['p50_ms'])} {_ms(g['p99_ms'])}   "
        f"{g['rps'] / m['rps']:>6.2f}x {g['rps'] * rows:>9.0f} {m['rps'] * rows:>9.0f}"
        f"   {m['cpu_ms_per_request']:>6.2f} {g['cpu_ms_per_request']:>6.2f}"
        + ("   NON-200!" if m["bad"] or g["bad"] else ""),
        flush=True,
    )


def verdict(results: list[dict[str, Any]]) -> list[str]:
    by = {(r["rows"], r["concurrency"]): r for r in results}
    c32, c1, big = by[(1, 32)], by[(1, 1)], by[(100, 4)]
    checks = [
        (
            "throughput at c=32, 1 row >= 5x MLflow",
            c32["glassbox"]["rps"] / c32["mlflow"]["rps"],
            5.0,
            ">=",
        ),
        (
            "p99 at c=1 <= MLflow's (ratio)",
            (c1["glassbox"]["p99_ms"] or float("inf")) / (c1["mlflow"]["p99_ms"] or float("nan")),
            1.0,
            "<=",
        ),
        (
            "rows/s with 100-row requests >= 2x MLflow",
            big["glassbox"]["rps"] / big["mlflow"]["rps"],
            2.0,
            ">=",
        ),
    ]
    lines = []
    for label, value, target, op in checks:
        ok = value >= target if op == ">=" else value <= target
        lines.append(f"{'PASS' if ok else 'FAIL'}  {label}: {value:.2f} (target {op} {target:g})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="GLASSBOX_HOME with a trained champion")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per scenario")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--model-threads",
        type=int,
        default=1,
        help="OpenMP threads of the model call in both servers (glassbox: "
        "serving.model_threads; MLflow: OMP_NUM_THREADS)",
    )
    parser.add_argument(
        "--mlflow-default-threads",
        action="store_true",
        help="leave MLflow's OpenMP threads at its default (one per core)",
    )
    args = parser.parse_args()
    import mlflow

    threads = "MLflow's default" if args.mlflow_default_threads else str(args.model_threads)
    print(
        f"MLflow {mlflow.__version__} scoring server vs glassbox serve; hey; "
        f"{os.cpu_count()} CPUs; {args.duration:g} s x {args.rounds} round(s) per cell; "
        f"model-call OpenMP threads: {threads}\n"
    )
    print(f"{'':<14} {'MLflow':>25}   {'glassbox serve (all on)':>25}{'':<37}ml     gb")
    print(
        f"{'scenario':<14} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7}   {'req/s':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7}   {'ratio':>7} {'rows/s gb':>9} {'rows/s ml':>9}"
        f"   {'CPU ms/request':>13}"
    )
    results = run(args)
    print()
    for line in verdict(results):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
