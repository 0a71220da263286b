"""Benchmark: whole training pipeline wall time and per-step cold start, on the default data.

    python bench/pipeline.py [--skip-pipeline] [--repeat N]

Cold start = ``python -m steps.<name> --help`` in a fresh process (what every Argo pod pays
before doing work). The pipeline runs on a throwaway embedded store (GLASSBOX_HOME in a temp
dir), exactly as ``glassbox run training`` does. Goals: pipeline <= 90 s on 2 cores, cold start
<= 2 s. Prints a table and writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEPS = sorted(p.stem for p in (REPO / "steps").glob("*.py") if not p.stem.startswith("_"))
GOALS = {"pipeline_seconds": 90.0, "cold_start_seconds": 2.0}


def cold_start(step: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", f"steps.{step}", "--help"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pipeline() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as home:
        env = os.environ | {"GLASSBOX_HOME": home}
        env.pop("MLFLOW_TRACKING_URI", None)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "glassbox"), "run", "training"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
    return elapsed, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-pipeline", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args, _ = ap.parse_known_args()
    results: dict[str, object] = {"cores": os.cpu_count()}
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'step':<12} {'cold start (s)':>15}")
    starts = {s: cold_start(s, args.repeat) for s in STEPS}
    for s, t in starts.items():
        print(f"{s:<12} {t:>15.3f}")
    worst = max(starts.values())
    print(
        f"worst cold start {worst:.3f} s (goal <= {GOALS['cold_start_seconds']} s): "
        f"{'OK' if worst <= GOALS['cold_start_seconds'] else 'MISSED'}"
    )
    results["cold_start_seconds"] = starts
    ok = worst <= GOALS["cold_start_seconds"]
    if not args.skip_pipeline:
        seconds, code = pipeline()
        print(
            f"training pipeline: {seconds:.1f} s, exit {code} "
            f"(goal <= {GOALS['pipeline_seconds']} s): "
            f"{'OK' if code == 0 and seconds <= GOALS['pipeline_seconds'] else 'MISSED'}"
        )
        results["pipeline_seconds"] = seconds
        results["pipeline_exit_code"] = code
        ok = ok and code == 0
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
