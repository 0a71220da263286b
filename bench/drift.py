"""Drift engine benchmark: Glassbox against Evidently, NannyML, scipy and a plain numpy floor.

Every contender runs in a fresh subprocess (``--worker``) that generates the same seeded data
(bench/_data.py), times only the contender's own work and reports its peak RSS
(``ru_maxrss`` of that process, data included), so no contender inherits another's memory.

* numpy floor — per column: sort both samples, KS via searchsorted of both sorted samples over
  their concatenation (scipy's algorithm without its overhead), 10-bin PSI on reference deciles.
* scipy — per column ``scipy.stats.ks_2samp`` + the same PSI with ``np.histogram``.
* NannyML — ``UnivariateDriftCalculator`` (KS + Jensen-Shannon, one chunk), fit + calculate.
* Evidently — ``Report([DataDriftPreset()]).run(current, reference)``.
* Glassbox — ``fit`` (reference → profile, saved), then ``calculate`` in a new process that loads
  the profile (as the nightly job does), with the default thread pool and with one thread.
* Glassbox sharded — each shard generated, profiled and written by its own process (an Argo pod),
  then one reduce process merges the shard profiles and calculates.

    python bench/drift.py                     # 100k and 1M rows, 10M rows sharded
    python bench/drift.py --quick             # smoke run with small sizes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import glassbox  # noqa: E402, F401  (telemetry off before nannyml/evidently are imported)
from bench._data import column_names, make_frame  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REFERENCE_SEED, CURRENT_SEED, SHARD_SEED = 1, 2, 3


# -- contenders (run inside a worker process) -----------------------------------------------------


def _psi_from_sorted(reference, current) -> float:  # type: ignore[no-untyped-def]
    import numpy as np

    edges = np.quantile(reference, np.arange(1, 10) / 10)
    shares = []
    for values in (reference, current):
        cut = np.searchsorted(values, edges, side="left")
        counts = np.diff(np.concatenate(([0], cut, [values.size])))
        p = counts / values.size
        shares.append(np.where(p > 0, p, 1e-4))
    p, q = shares
    return float(np.sum((q - p) * np.log(q / p)))


def numpy_floor(reference, current, columns) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    import numpy as np

    ks, psi = [], []
    for name in columns:
        r = np.sort(reference[name].to_numpy())
        c = np.sort(current[name].to_numpy())
        both = np.concatenate((r, c))
        cdf_r = np.searchsorted(r, both, "right") / r.size
        diff = cdf_r - np.searchsorted(c, both, "right") / c.size
        ks.append(float(np.abs(diff).max()))
        psi.append(_psi_from_sorted(r, c))
    return {"ks": ks, "psi": psi}


def scipy_per_column(reference, current, columns) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy import stats

    ks, psi = [], []
    for name in columns:
        r, c = reference[name].to_numpy(), current[name].to_numpy()
        ks.append(float(stats.ks_2samp(r, c).statistic))
        edges = np.concatenate(([-np.inf], np.quantile(r, np.arange(1, 10) / 10), [np.inf]))
        p = np.histogram(r, edges)[0] / r.size
        q = np.histogram(c, edges)[0] / c.size
        p, q = np.where(p > 0, p, 1e-4), np.where(q > 0, q, 1e-4)
        psi.append(float(np.sum((q - p) * np.log(q / p))))
    return {"ks": ks, "psi": psi}


def nannyml(reference, current, columns) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    import nannyml as nml

    calculator = nml.UnivariateDriftCalculator(
        column_names=list(columns),
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        chunk_number=1,
    )
    calculator.fit(reference)
    result = calculator.calculate(current)
    return {"rows": len(result.to_df())}


def evidently(reference, current, columns) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset(columns=list(columns))]).run(
        current_data=current, reference_data=reference
    )
    return {"metrics": len(snapshot.dict()["metrics"])}


CONTENDERS = {
    "numpy floor": numpy_floor,
    "scipy": scipy_per_column,
    "nannyml": nannyml,
    "evidently": evidently,
}

# Imported before the clock starts (import time is reported separately, never timed).
PRELOAD = {
    "numpy floor": ["numpy"],
    "scipy": ["scipy.stats"],
    "nannyml": ["nannyml"],
    "evidently": ["evidently", "evidently.presets"],
    "glassbox fit": ["glassbox.drift"],
    "glassbox": ["glassbox.drift", "scipy.special"],
    "shard": ["glassbox.drift", "datasketches"],
    "reduce": ["glassbox.drift", "datasketches", "scipy.special"],
}


# -- workers --------------------------------------------------------------------------------------


def _best_of(repeat: int, function: Any) -> tuple[float, Any]:
    """Fastest of ``repeat`` runs (the machine is shared) and the last run's result."""
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        result = None  # release the previous result before the next run
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def _work(spec: dict[str, Any]) -> dict[str, Any]:
    import importlib

    mode, rows, work = spec["mode"], spec.get("rows", 0), Path(spec.get("work", "."))
    repeat = spec.get("repeat", 1)
    begin = time.perf_counter()
    for module in PRELOAD[mode]:
        importlib.import_module(module)
    out: dict[str, Any] = {"import_seconds": time.perf_counter() - begin}
    from glassbox.drift import DriftCalculator, ReferenceProfile, ShardProfile, merge, profile_shard

    columns = column_names()
    if mode in CONTENDERS:
        reference = make_frame(rows, REFERENCE_SEED)
        current = make_frame(rows, CURRENT_SEED, drifted=True)
        contender = CONTENDERS[mode]
        out["seconds"], out["detail"] = _best_of(
            repeat, lambda: contender(reference, current, columns)
        )
    elif mode == "glassbox fit":
        reference = make_frame(rows, REFERENCE_SEED)
        out["seconds"], calculator = _best_of(
            repeat, lambda: DriftCalculator(columns).fit(reference)
        )
        calculator.profile.save(work / f"profile-{rows}")
    elif mode == "glassbox":
        load = time.perf_counter()
        calculator = DriftCalculator.from_profile(
            ReferenceProfile.load(work / f"profile-{rows}"), threads=spec.get("threads")
        )
        out["load_seconds"] = time.perf_counter() - load
        current = make_frame(rows, CURRENT_SEED, drifted=True)
        out["seconds"], result = _best_of(repeat, lambda: calculator.calculate(current))
        out["detail"] = {
            "ks": [f.ks_statistic for f in result],
            "psi": [f.psi for f in result],
            "flagged": [f.name for f in result.flagged()],
        }
    elif mode == "shard":
        profile = ReferenceProfile.load(work / f"profile-{spec['reference_rows']}")
        shard = make_frame(rows, SHARD_SEED, drifted=True, part=spec["part"])
        out["seconds"], data = _best_of(1, lambda: profile_shard(shard, profile).to_bytes())
        (work / f"shard-{spec['part']}.bin").write_bytes(data)
        out["bytes"] = len(data)
    elif mode == "reduce":
        start = time.perf_counter()
        profile = ReferenceProfile.load(work / f"profile-{spec['reference_rows']}")
        shards = [ShardProfile.from_bytes(p.read_bytes()) for p in sorted(work.glob("shard-*.bin"))]
        out["load_seconds"] = time.perf_counter() - start
        merged = merge(shards)
        out["merge_seconds"] = time.perf_counter() - start - out["load_seconds"]
        result = DriftCalculator.from_profile(profile).calculate_from_profile(merged)
        out["seconds"] = time.perf_counter() - start
        out["detail"] = {
            "n_rows": result.n_current_rows,
            "flagged": [f.name for f in result.flagged()],
            "ks_error_bound": merged.ks_error_bound,
        }
    else:
        raise SystemExit(f"unknown worker mode {mode!r}")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _spawn(spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ, NML_DISABLE_USAGE_LOGGING="1", DO_NOT_TRACK="true")
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=3600,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


# -- orchestration --------------------------------------------------------------------------------


def run(
    sizes: list[int],
    *,
    sharded_rows: int,
    shard_rows: int,
    skip_evidently_above: int,
    only: set[str] | None = None,
    repeat: int = 1,
) -> dict:
    work = RESULTS / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows_out: list[dict[str, Any]] = []
    notes: list[str] = []

    def record(contender: str, rows: int, res: dict[str, Any]) -> dict[str, Any]:
        entry = {"contender": contender, "rows": rows, **res}
        rows_out.append(entry)
        flagged = res.get("detail", {}).get("flagged")
        print(
            f"  {contender:<22} {rows:>11,} rows {res['seconds']:8.2f} s "
            f"{res['peak_rss_mb']:8.0f} MB" + (f"  flagged: {flagged}" if flagged else ""),
            flush=True,
        )
        return entry

    for rows in sizes:
        print(f"{rows:,} rows x 20 columns", flush=True)
        spec = {"rows": rows, "work": str(work), "repeat": repeat}
        record("glassbox fit", rows, _spawn({"mode": "glassbox fit", **spec}))
        gb = record("glassbox", rows, _spawn({"mode": "glassbox", **spec}))
        record("glassbox 1 thread", rows, _spawn({"mode": "glassbox", "threads": 1, **spec}))
        for name in CONTENDERS:
            if only is not None and name not in only:
                continue
            if name == "evidently" and rows > skip_evidently_above:
                notes.append(
                    f"evidently skipped at {rows:,} rows (--skip-evidently-above "
                    f"{skip_evidently_above:,})"
                )
                print(f"  evidently skipped at {rows:,} rows", flush=True)
                continue
            times = 1 if name == "evidently" else repeat  # one Evidently run is minutes
            entry = record(name, rows, _spawn({"mode": name, "rows": rows, "repeat": times}))
            if "ks" in entry.get("detail", {}):
                pairs = zip(entry["detail"]["ks"], gb["detail"]["ks"], strict=True)
                entry["max_abs_ks_difference_vs_glassbox"] = max(abs(a - b) for a, b in pairs)
    if sharded_rows:
        reference_rows = max(sizes)
        parts = -(-sharded_rows // shard_rows)
        print(
            f"{sharded_rows:,} rows sharded into {parts} x {shard_rows:,} "
            f"(reference profile of {reference_rows:,} rows)",
            flush=True,
        )
        shards = [
            _spawn(
                {
                    "mode": "shard",
                    "rows": min(shard_rows, sharded_rows - i * shard_rows),
                    "part": i,
                    "work": str(work),
                    "reference_rows": reference_rows,
                }
            )
            for i in range(parts)
        ]
        record(
            "glassbox sharded: shards",
            sharded_rows,
            {
                "seconds": sum(s["seconds"] for s in shards),
                "peak_rss_mb": max(s["peak_rss_mb"] for s in shards),
                "per_shard_peak_rss_mb": [round(s["peak_rss_mb"]) for s in shards],
                "per_shard_seconds": [round(s["seconds"], 3) for s in shards],
                "shard_profile_bytes": max(s["bytes"] for s in shards),
            },
        )
        reduce = {"mode": "reduce", "work": str(work), "reference_rows": reference_rows}
        record("glassbox sharded: reduce", sharded_rows, _spawn(reduce))
    shutil.rmtree(work, ignore_errors=True)
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "results": rows_out,
        "notes": notes,
    }


def table(report: dict[str, Any]) -> str:
    base = {(r["rows"]): r for r in report["results"] if r["contender"] == "glassbox"}
    floor = {(r["rows"]): r for r in report["results"] if r["contender"] == "numpy floor"}
    lines = [
        f"cores: {report['cores']}  python: {report['python']}",
        f"{'contender':<26}{'rows':>12}{'seconds':>10}{'peak RSS MB':>13}"
        f"{'time / glassbox':>17}{'RSS / floor':>13}",
    ]
    for r in report["results"]:
        gb, fl = base.get(r["rows"]), floor.get(r["rows"])
        ratio = f"{r['seconds'] / gb['seconds']:.2f}x" if gb else "-"
        rss = f"{r['peak_rss_mb'] / fl['peak_rss_mb']:.2f}x" if fl else "-"
        lines.append(
            f"{r['contender']:<26}{r['rows']:>12,}{r['seconds']:>10.2f}"
            f"{r['peak_rss_mb']:>13.0f}{ratio:>17}{rss:>13}"
        )
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--sharded-rows", type=int, default=10_000_000)
    parser.add_argument("--shard-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-evidently-above", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k rows, 200k sharded")
    parser.add_argument(
        "--contenders", help=f"comma-separated subset of: {', '.join(CONTENDERS)} (default: all)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="time the best of N runs (Evidently: always 1)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(_work(json.loads(args.worker))), flush=True)
        return
    if args.quick:
        sizes, sharded, shard_rows = [20_000], 200_000, 50_000
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        sharded, shard_rows = args.sharded_rows, args.shard_rows
    only = set(args.contenders.split(",")) if args.contenders else None
    report = run(
        sizes,
        sharded_rows=sharded,
        shard_rows=shard_rows,
        skip_evidently_above=args.skip_evidently_above,
        only=only,
        repeat=args.repeat,
    )
    report["repeat"] = args.repeat
    text = table(report)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "drift.json").write_text(json.dumps(report | {"table": text}, indent=2) + "\n")


if __name__ == "__main__":
    main()
