"""Model-ready frames with and without an id / a timestamp column (glassbox.features)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox.config import DataSettings
from glassbox.features import DERIVED_ID, fallbacks, id_name, prepare, row_ids, split_holdout
from tests.init._data import own_table

NUMERIC = (
    "age",
    "income",
    "balance",
    "tenure_months",
    "num_products",
    "credit_score",
    "utilization",
)
CATEGORICAL = ("region", "plan", "channel", "has_card", "segment")
OWN = DataSettings(
    id_column=None,
    timestamp_column=None,
    target_column="churned",
    numeric_features=NUMERIC,
    categorical_features=CATEGORICAL,
)


@pytest.fixture(autouse=True)
def _no_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLASSBOX_AUDIT_HMAC_KEY", raising=False)


def test_without_id_and_timestamp_rows_keep_file_order_and_get_derived_ids() -> None:
    raw = own_table(500, seed=1)
    ready = prepare(raw, OWN)
    assert list(ready.columns) == [DERIVED_ID, *NUMERIC, *CATEGORICAL, "churned"]
    assert ready[DERIVED_ID].is_unique and ready[DERIVED_ID].str.fullmatch(r"r[0-9a-f]{20}").all()
    assert ready["income"].tolist() == raw["income"].tolist()  # the file's order
    assert ready["has_card"].isin(["True", "False"]).all() and ready["age"].dtype == "float64"
    train, holdout = split_holdout(ready, 0.3)
    assert holdout[DERIVED_ID].tolist() == ready[DERIVED_ID].tolist()[350:]  # the last rows
    assert len(train) == 350


def test_the_same_inputs_get_the_same_id_in_production_targets_and_parquet() -> None:
    raw = own_table(300, seed=2)
    production = prepare(raw.drop(columns="churned"), OWN)
    targets = raw.sample(frac=1.0, random_state=0)  # labels arrive in another order
    labelled = targets.assign(row_id=row_ids(targets, OWN).to_numpy())
    joined = production.merge(labelled[[DERIVED_ID, "churned"]], on=DERIVED_ID, validate="1:1")
    assert len(joined) == 300
    assert joined["churned"].tolist() == raw["churned"].tolist()
    as_text = raw.astype({"age": "float64", "has_card": str})  # e.g. read back from Parquet
    assert row_ids(as_text, OWN).tolist() == production[DERIVED_ID].tolist()


def test_identical_rows_get_numbered_ids_in_row_order() -> None:
    raw = own_table(10, seed=3)
    raw = pd.concat([raw, raw.iloc[[4, 4]]], ignore_index=True)
    ids = prepare(raw, OWN)[DERIVED_ID].tolist()
    assert ids[10:] == [f"{ids[4]}-2", f"{ids[4]}-3"]


def test_an_id_column_of_the_data_is_kept_and_a_timestamp_orders_the_rows() -> None:
    raw = own_table(100, seed=4).assign(
        cid=np.arange(100)[::-1],
        at=pd.date_range("2024-01-01", periods=100, freq="h")[
            np.random.default_rng(0).permutation(100)
        ],
    )
    data = OWN.model_copy(update={"id_column": "cid", "timestamp_column": "at"})
    ready = prepare(raw, data)
    assert list(ready.columns[:2]) == ["cid", "at"] and id_name(data) == "cid"
    assert ready["at"].is_monotonic_increasing
    assert fallbacks(data) == {}
    assert set(fallbacks(OWN)) == {"glassbox.data.ids", "glassbox.data.order"}


def test_empty_string_settings_mean_no_column() -> None:
    s = DataSettings.model_validate({"id_column": "", "timestamp_column": ""})
    assert (s.id_column, s.timestamp_column) == (None, None)
