"""False alarms and detection of the calibrated monitoring checks, beside Evidently and NannyML.

    python bench/false_alarms.py [--blocks 10] [--per-block 20] [--detect 2] [--max-rows 1000000]
                                 [--anchor-detection] [--no-evidently]

The full run the docs quote (``just bench`` runs it): ``python bench/false_alarms.py
--anchor-detection`` (10 references, 200 healthy windows of 1k to 1M rows, 300 changed windows).

Each block draws a fresh 20,000-row reference from bench/_shapes.py's population (normal,
log-normal, Pareto, counts with ties, zero-inflated, bimodal, integer codes, a categorical with
rare levels, a column with 5 % missing values, labels and a calibrated model's probability) and
fits the checks once, as the cron does (drift profile with calibration, quality baseline, NannyML
+ calibrated performance limits: ``glassbox.monitoring.fit_performance``, CBPE judged against its
own noise model), and runs each window through the core functions the cron's steps call. Then:

* false alarms: ``--per-block`` windows of 1k to 1M rows drawn from the same population; per
  check, the share of windows with any alert (target: <= the configured rate, 1 %);
* detection: ``--detect`` windows per injected change and size (5k, 20k, 100k rows): a 0.2-sd
  shift, +10 points of missing values, category shares flipped, a doubled tail, labels flipped
  in a subgroup; the share of windows where the check that should fire does (target >= 95 %).

Evidently's DataDriftPreset (any column drifted) and NannyML's own thresholds (univariate drift
in any chunk; realized performance outside its band in any chunk) are judged on the same
windows up to 50,000 rows and printed beside Glassbox's: the healthy windows always, the changed
ones with ``--anchor-detection`` (one column per change).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._shapes import CATEGORICAL, CHANGES, FEATURES, NUMERIC, SHIFTED, TAILED, population

SIZES = (1_000, 5_000, 20_000, 100_000, 1_000_000)
DETECT_SIZES = (5_000, 20_000, 100_000)
REFERENCE_ROWS = 20_000
ANCHOR_MAX_ROWS = 50_000
EXPECTED = {  # the check that should fire for each change
    "shift_0.2sd": "data_drift",
    "missing_+10pts": "data_quality.missing_values",
    "shares_flipped": "data_drift",
    "tail_doubled": "data_drift",
    "labels_flipped": "performance",
}


def _stamp(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="s")
    return frame.assign(id=np.arange(start, start + len(frame)), ts=ts, y_pred=(frame.p >= 0.5))


class Block:
    """The checks fitted on one reference, as the cron fits them once per champion, and run
    on each window through the same core functions the cron's steps and ``glassbox monitor``
    call (``check_drift`` on monthly shards, ``check_window_quality``, the fitted performance
    check: CBPE judged against its own noise model)."""

    def __init__(self, rng: np.random.Generator) -> None:
        from glassbox.config import DataSettings
        from glassbox.drift import DriftCalculator
        from glassbox.monitoring import MonitoringSettings, fit_performance
        from glassbox.quality import DataContract

        self.settings = MonitoringSettings().model_copy(update={
            "nannyml": MonitoringSettings().nannyml.model_copy(
                update={"y_pred_proba": "p", "y_pred": "y_pred", "chunk_size": 5000})
        })  # fmt: skip
        self.reference = _stamp(population(rng, REFERENCE_ROWS), 0)
        self.reference["y_pred"] = self.reference["y_pred"].astype("int64")
        self.calculator = DriftCalculator(
            list(FEATURES), categorical=list(CATEGORICAL), prediction_columns=["p"],
            calibration=self.settings.calibration,
        ).fit(self.reference)  # fmt: skip
        self.contract = DataContract.infer(
            self.reference, features=list(FEATURES), categorical=list(CATEGORICAL),
            id_column="id", timestamp_column="ts", target_column="y", prediction_columns=["p"],
        )  # fmt: skip
        self.data = DataSettings(
            id_column="id", timestamp_column="ts", target_column="y",
            numeric_features=NUMERIC, categorical_features=CATEGORICAL,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.performance = fit_performance(self.reference, self.data, self.settings)

    def alerts(self, window: pd.DataFrame) -> tuple[set[str], dict[str, bool]]:
        """Glassbox's checks that raised an alert, and NannyML's own verdicts."""
        from glassbox.monitoring import (
            check_drift,
            check_window_quality,
            monthly_shards,
            quality_to_findings,
        )

        profile = self.calculator.profile
        drift = check_drift(
            self.calculator,
            monthly_shards(window, "ts", self.calculator),
            min_partition_rows=self.settings.min_partition_rows,
        )
        found = drift.findings()
        found += quality_to_findings(
            check_window_quality(window, self.contract, self.settings.quality, profile, target="y")
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checked = self.performance.check(window.astype({"y_pred": "int64"}))
        found += checked.findings
        chunks = checked.result.chunks  # ``alert``: NannyML's own (std bands of reference chunks)
        nannyml = {
            "univariate": any(c.drifted_features for c in chunks),
            "performance": any(v.alert for c in chunks for v in c.realized),
        }
        return {f.check for f in found if f.is_problem}, nannyml


def _evidently(reference: pd.DataFrame, window: pd.DataFrame) -> bool:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from glassbox.monitoring import parse_evidently_json

    cols = [*FEATURES, "p"]
    definition = DataDefinition(
        numerical_columns=[*NUMERIC, "p"], categorical_columns=list(CATEGORICAL)
    )
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(window[cols], data_definition=definition),
        Dataset.from_pandas(reference[cols], data_definition=definition),
    )
    return bool(parse_evidently_json(json.loads(snapshot.json())).drifted)


def _windows(args: argparse.Namespace, rng: np.random.Generator) -> list[tuple[int, str | None]]:
    sizes = [s for s in SIZES if s <= args.max_rows]
    healthy = [(sizes[i % len(sizes)], None) for i in range(args.per_block)]
    changed = [
        (size, change)
        for change in CHANGES
        for size in DETECT_SIZES
        if size <= args.max_rows
        for _ in range(args.detect)
    ]
    del rng
    return healthy + changed


def _column(change: str, rng: np.random.Generator) -> str | None:
    if change == "shift_0.2sd":
        return str(rng.choice(SHIFTED))
    if change == "tail_doubled":
        return str(rng.choice(TAILED))
    if change == "missing_+10pts":
        return str(rng.choice(NUMERIC))
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    healthy: dict[int, Counter[str]] = defaultdict(Counter)
    windows: Counter[int] = Counter()
    detected: dict[tuple[str, int], list[bool]] = defaultdict(list)
    anchors: dict[str, Counter[str]] = defaultdict(Counter)  # "healthy" or the change
    anchor_windows: Counter[str] = Counter()
    start = time.perf_counter()
    for block in range(args.blocks):
        fitted = Block(rng)
        for size, change in _windows(args, rng):
            column = _column(change, rng) if change else None
            window = _stamp(population(rng, size, change, column), 10_000_000)
            checks, nannyml = fitted.alerts(window)
            if change is None:
                windows[size] += 1
                healthy[size].update(checks)
            else:
                detected[(change, size)].append(EXPECTED[change] in checks)
            if size <= ANCHOR_MAX_ROWS and (change is None or args.anchor_detection):
                key = "healthy" if change is None else change
                anchor_windows[key] += 1
                anchors[key]["glassbox any check"] += bool(checks)
                anchors[key]["glassbox data_drift"] += "data_drift" in checks
                anchors[key]["nannyml univariate"] += nannyml["univariate"]
                anchors[key]["nannyml performance"] += nannyml["performance"]
                if not args.no_evidently:
                    anchors[key]["evidently DataDriftPreset"] += _evidently(
                        fitted.reference, window
                    )
        print(f"block {block + 1}/{args.blocks} done ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)  # fmt: skip
    return {"healthy": healthy, "windows": windows, "detected": detected, "anchors": anchors,
            "anchor_windows": anchor_windows}  # fmt: skip


CHECKS = ("data_drift", "prediction_drift", "data_quality.missing_values",
          "data_quality.out_of_range", "data_quality.outliers", "data_quality.unseen_categories",
          "estimated_performance", "performance", "concept_drift", "target_drift")  # fmt: skip


def report(out: dict[str, Any], rate: float) -> None:
    windows: Counter[int] = out["windows"]
    total = sum(windows.values())
    print(f"\nFalse alarms: {total} windows drawn from the reference's own distribution "
          f"(configured rate {rate:.0%} per check and window)\n")  # fmt: skip
    sizes = sorted(windows)
    print("| check | " + " | ".join(f"{s:,} rows" for s in sizes) + " | all | <= rate |")
    print("|---" * (len(sizes) + 3) + "|")
    for check in CHECKS:
        counts = [out["healthy"][s][check] for s in sizes]
        share = sum(counts) / total if total else 0.0
        cells = " | ".join(f"{c}/{windows[s]}" for c, s in zip(counts, sizes, strict=True))
        print(f"| {check} | {cells} | {share:.2%} | {'yes' if share <= rate else 'NO'} |")
    print("\nDetection (share of windows where the expected check fired)\n")
    print("| change | expected check | " + " | ".join(f"{s:,} rows" for s in DETECT_SIZES) + " |")
    print("|---" * (len(DETECT_SIZES) + 2) + "|")
    for change in CHANGES:
        cells = []
        for size in DETECT_SIZES:
            hits = out["detected"].get((change, size), [])
            cells.append(f"{sum(hits) / len(hits):.0%} ({sum(hits)}/{len(hits)})" if hits else "-")
        print(f"| {change} | {EXPECTED[change]} | " + " | ".join(cells) + " |")
    print(f"\nSame windows up to {ANCHOR_MAX_ROWS:,} rows: share of windows with any alert "
          "(healthy: false alarms; a change: detection)\n")  # fmt: skip
    keys = ["healthy", *(c for c in CHANGES if out["anchor_windows"][c])]
    print("| method | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name in sorted({n for k in keys for n in out["anchors"][k]}):
        cells = []
        for key in keys:
            n = out["anchor_windows"][key]
            cells.append(f"{out['anchors'][key][name] / n:.1%} ({n})" if n else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--blocks", type=int, default=10, help="fresh references")
    p.add_argument("--per-block", type=int, default=20, help="healthy windows per reference")
    p.add_argument("--detect", type=int, default=2, help="windows per change and size, per block")
    p.add_argument("--max-rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-evidently", action="store_true", help="skip the Evidently anchor")
    p.add_argument("--anchor-detection", action="store_true",
                   help="also run the anchors on the changed windows")  # fmt: skip
    args = p.parse_args()
    from glassbox.monitoring import MonitoringSettings

    report(run(args), MonitoringSettings().calibration.false_alarm_rate)


if __name__ == "__main__":
    main()
