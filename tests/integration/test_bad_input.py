"""Bad input stops the validate step with a message naming the column and the expectation;
the records of earlier runs stay intact."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from glassbox.data import resolve
from tests.integration._pipeline import PipelineRun, glassbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean() -> dict[str, pd.DataFrame]:
    ref = pd.read_csv(resolve("nannyml:car_loan", "reference")).head(3000)
    prod = pd.read_csv(resolve("nannyml:car_loan", "production")).head(1000)
    return {
        "reference": ref.drop(columns=["y_pred_proba", "y_pred"]),
        "production": prod.drop(columns=["y_pred_proba", "y_pred"]),
    }


def _write(where: Path, frames: dict[str, pd.DataFrame], suffix: str = ".csv") -> list[str]:
    args = []
    for part, df in frames.items():
        path = where / f"{part}{suffix}"
        if suffix == ".csv":
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
        args += ["-p", f"{part}={path}"]
    return args


def _snapshot(home: Path) -> dict[str, tuple[str, int]]:
    run = PipelineRun(home, 0, "", "")
    client = run.client()
    exp = client.get_experiment_by_name("glassbox-car-loan")
    return {
        r.info.run_id: (r.info.status, len(r.data.metrics))
        for r in client.search_runs([exp.experiment_id])
    }


def _bad_missing_column(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return c | {"reference": c["reference"].drop(columns=["car_value"])}


def _bad_wrong_dtype(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    prod = c["production"].astype({"loan_length": object})
    prod.loc[17, "loan_length"] = "twelve"
    return c | {"production": prod}


def _bad_empty(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return c | {"production": c["production"].head(0)}


def _bad_nan(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    prod = c["production"].copy()
    prod.loc[5, "debt_to_income_ratio"] = np.nan
    return c | {"production": prod}


def _bad_inf(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    ref = c["reference"].copy()
    ref.loc[9, "driver_tenure"] = np.inf
    return c | {"reference": ref}


def _bad_category(c: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    prod = c["production"].copy()
    prod.loc[3, "salary_range"] = "1M+ €"
    return c | {"production": prod}


Snapshot = dict[str, tuple[str, int]]
Outcome = tuple[PipelineRun, Snapshot, Snapshot]

CASES = {
    "missing-column": (_bad_missing_column, ["car_value", "missing"]),
    "wrong-dtype": (_bad_wrong_dtype, ["loan_length", "numeric", "twelve"]),
    "empty-file": (_bad_empty, ["production", "empty"]),
    "nan-in-feature": (_bad_nan, ["debt_to_income_ratio", "NaN"]),
    "inf-in-feature": (_bad_inf, ["driver_tenure", "inf"]),
    "unknown-category": (_bad_category, ["salary_range", "1M+ €"]),
}


@pytest.fixture(scope="module")
def outcomes(
    trained: PipelineRun,
    clean: dict[str, pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Outcome]:
    """Every bad case run against a copy of a store that holds an earlier good run, two at a
    time: (result, runs before, runs after)."""

    def one(
        case: str,
    ) -> tuple[PipelineRun, dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
        where = tmp_path_factory.mktemp(case)
        home = where / "home"
        shutil.copytree(trained.home, home)
        before = _snapshot(home)
        make, _ = CASES[case]
        result = glassbox(home, "run", "training", *_write(where, make(clean)))
        return result, before, _snapshot(home)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(sorted(CASES), pool.map(one, sorted(CASES)), strict=True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_validate_naming_the_column_and_keeps_earlier_runs(
    case: str, outcomes: dict[str, tuple[PipelineRun, Any, Any]]
) -> None:
    r, before, after = outcomes[case]
    _, expected = CASES[case]
    assert r.returncode != 0
    err = r.stderr
    assert "task 'validate' Failed" in err, err[-3000:]
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err[-3000:]}"
    assert "Traceback" not in err
    assert {k: after[k] for k in before} == before
    failed = [s for k, (s, _) in after.items() if k not in before]
    assert "FAILED" in failed
