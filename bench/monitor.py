"""``glassbox monitor`` benchmark: the in-process checks against Evidently's DataDriftPreset.

Same seeded data for both (bench/_data.py: 20 numeric columns, three of them drifted), same
process, same run. Glassbox times ``glassbox.check.check`` without the Evidently report: column
layout, drift on every row (PSI, JS, KL, exact KS, Wasserstein, chi-squared, BH-adjusted
p-values, severities), the data-quality checks against a contract inferred from the reference
and the alert list. Evidently times ``Report([DataDriftPreset()]).run(current, reference)``
alone (its drift tests only: no summary preset, no HTML). Imports happen before the clock
starts; each contender's time is the best of ``--repeat`` runs (the machine is shared).
Glassbox's "flagged" counts drift *and* quality findings (docs/monitor.md, "Speed").

    python bench/monitor.py                  # 100k x 20 and 1M x 20
    python bench/monitor.py --quick          # smoke run: 10k x 20 and 50k x 20
    python bench/monitor.py --json out.json  # also write the results
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import glassbox  # noqa: E402, F401  (telemetry off before evidently is imported)
from bench._data import DRIFTED, make_frame  # noqa: E402

REFERENCE_SEED, CURRENT_SEED = 1, 2
FULL, QUICK = (100_000, 1_000_000), (10_000, 50_000)


def _best_of(repeat: int, function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        result = None  # release the previous result first
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def glassbox_monitor(reference: Any, current: Any) -> dict[str, Any]:
    from glassbox.check import MonitorOptions, check

    report = check(reference, current, MonitorOptions.create(report=False))
    return {"flagged": report.flagged_features, "timings": report.document["timings"]}


def evidently_drift(reference: Any, current: Any) -> dict[str, Any]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    for metric in snapshot.dict()["metrics"]:
        if metric["config"]["type"].endswith("DriftedColumnsCount"):
            return {"drifted": int(metric["value"]["count"])}
    return {"drifted": None}


def run(sizes: tuple[int, ...], repeat: int) -> list[dict[str, Any]]:
    for module in ("evidently.presets", "glassbox.check"):  # imported before timing
        importlib.import_module(module)

    rows_out = []
    for rows in sizes:
        reference = make_frame(rows, REFERENCE_SEED)
        current = make_frame(rows, CURRENT_SEED, drifted=True)
        ours, detail = _best_of(repeat, glassbox_monitor, reference, current)
        theirs, evidently = _best_of(repeat, evidently_drift, reference, current)
        rows_out.append(
            {
                "rows": rows,
                "columns": reference.shape[1],
                "glassbox_seconds": ours,
                "evidently_seconds": theirs,
                "ratio": theirs / ours,
                "glassbox_flagged": detail["flagged"],
                "glassbox_stages": detail["timings"],
                "evidently_drifted_columns": evidently["drifted"],
            }
        )
        print(_line(rows_out[-1]), flush=True)
    return rows_out


HEADER = (
    f"{'rows x cols':>14}  {'glassbox monitor':>17}  {'Evidently drift':>16}  "
    f"{'Evidently / glassbox':>21}  flagged (glassbox | Evidently)"
)


def _line(r: dict[str, Any]) -> str:
    shape = f"{r['rows']:,} x {r['columns']}"
    flagged = ",".join(r["glassbox_flagged"]) or "-"
    return (
        f"{shape:>14}  {r['glassbox_seconds']:>16.2f}s  {r['evidently_seconds']:>15.2f}s  "
        f"{r['ratio']:>20.1f}x  {flagged} | {r['evidently_drifted_columns']} column(s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (best kept)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"glassbox monitor vs Evidently DataDriftPreset ({cores} cores; drifted: "
          f"{', '.join(DRIFTED)})")  # fmt: skip
    print(HEADER, flush=True)
    results = run(QUICK if args.quick else FULL, args.repeat)
    for r in results:
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in r["glassbox_stages"].items())
        print(f"  glassbox {r['rows']:,} rows: {stages}")
    if args.json:
        args.json.write_text(json.dumps({"cores": cores, "results": results}, indent=2))


if __name__ == "__main__":
    main()
