"""Bad input stops the validate step with a message naming the column and the expectation;
the records of earlier runs stay intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox.data import resolve
from tests.integration._pipeline import PipelineRun, glassbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    ref = pd.read_csv(resolve("nannyml:car_loan", "reference")).head(3000)
    prod = pd.read_csv(resolve("nannyml:car_loan", "production")).head(1000)
    return {
        "reference": ref.drop(columns=["y_pred_proba", "y_pred"]),
        "production": prod.drop(columns=["y_pred_proba", "y_pred"]),
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, clean: dict[str, pd.DataFrame]) -> Path:
    """A store holding one earlier (good) run: extract + validate on the clean files only is
    not a pipeline, so run the whole pipeline once on the small clean sample."""
    home = tmp_path_factory.mktemp("bad-input-store")
    files = _write(home, clean)
    r = glassbox(home, "run", "training", *files)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return home


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


CASES = {
    "missing-column": (_bad_missing_column, ["car_value", "missing"]),
    "wrong-dtype": (_bad_wrong_dtype, ["loan_length", "numeric", "twelve"]),
    "empty-file": (_bad_empty, ["production", "empty"]),
    "nan-in-feature": (_bad_nan, ["debt_to_income_ratio", "NaN"]),
    "inf-in-feature": (_bad_inf, ["driver_tenure", "inf"]),
    "unknown-category": (_bad_category, ["salary_range", "1M+ €"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_validate_naming_the_column_and_keeps_earlier_runs(
    case: str, store: Path, clean: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(store, home)
    before = _snapshot(home)
    make, expected = CASES[case]
    r = glassbox(home, "run", "training", *_write(tmp_path, make(clean)))
    assert r.returncode != 0
    err = r.stderr
    assert "task 'validate' Failed" in err, err[-3000:]
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err[-3000:]}"
    assert "Traceback" not in err
    after = _snapshot(home)
    assert {k: after[k] for k in before} == before
    failed = [s for k, (s, _) in after.items() if k not in before]
    assert "FAILED" in failed
