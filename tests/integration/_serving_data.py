"""Request bodies for the serving tests: real car-loan rows, 20 kinds of bad request, the
stable and the drifting period of the default data, and a second model version to switch to."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pandas as pd

from tests.integration._pipeline import PipelineRun
from tests.integration._serve import MODEL

MOVED = {"car_value", "loan_length", "salary_range", "repaid_loan_on_prev_car"}
NUMERIC = ["car_value", "debt_to_income_ratio", "loan_length", "driver_tenure"]
CATEGORICAL = ["salary_range", "size_of_downpayment", "repaid_loan_on_prev_car"]
FEATURES = NUMERIC + CATEGORICAL


@cache
def analysis() -> pd.DataFrame:
    import nannyml

    _, frame, _ = nannyml.load_synthetic_car_loan_dataset()
    frame = frame.assign(timestamp=pd.to_datetime(frame["timestamp"]))
    return frame.sort_values(["timestamp", "id"], kind="stable").reset_index(drop=True)


def as_records(frame: pd.DataFrame, with_id: bool = True) -> list[dict[str, Any]]:
    """JSON records as a client sends them: numbers, text labels and JSON booleans."""
    out = []
    for row in frame.to_dict("records"):
        item: dict[str, Any] = {name: float(row[name]) for name in NUMERIC}
        item |= {
            "salary_range": row["salary_range"],
            "size_of_downpayment": row["size_of_downpayment"],
            "repaid_loan_on_prev_car": bool(row["repaid_loan_on_prev_car"]),
        }
        if with_id:
            item["id"] = f"loan-{int(row['id'])}"
        out.append(item)
    return out


def period(drifting: bool, rows: int = 5000) -> list[dict[str, Any]]:
    """The last ``rows`` of the stable period (before April 2019) or the first of the drifting."""
    frame = analysis()
    cut = frame["timestamp"] >= pd.Timestamp("2019-04-01")
    part = frame[cut].head(rows) if drifting else frame[~cut].tail(rows)
    return as_records(part)


def good(i: int = 0) -> dict[str, Any]:
    return as_records(analysis().iloc[[i]], with_id=False)[0]


JSON = {"content-type": "application/json"}


def bad_requests(max_body: int) -> list[tuple[str, str, str, dict[str, str], bytes, int, str]]:
    """(kind, method, path, headers, body, expected status, what the message must name)."""
    row = good()

    def body(value: Any) -> bytes:
        return json.dumps(value).encode()

    return [
        ("malformed JSON", "POST", "/predict", JSON, b'{"car_value": 1,', 400, "not valid JSON"),
        ("empty body", "POST", "/predict", JSON, b"", 400, "empty"),
        ("non-UTF-8 body", "POST", "/predict", JSON, b'{"salary_range": "\xff\xfe"}', 400, "UTF-8"),
        (
            "wrong content type",
            "POST",
            "/predict",
            {"content-type": "text/csv"},
            body(row),
            415,
            "application/json",
        ),
        ("no content type", "POST", "/predict", {}, body(row), 415, "Content-Type"),
        (
            "non-UTF-8 charset",
            "POST",
            "/predict",
            {"content-type": "application/json; charset=latin-1"},
            body(row),
            415,
            "utf-8",
        ),
        ("oversized body", "POST", "/predict", JSON, b"[" + b" " * max_body + b"]", 413, "at most"),
        ("empty array", "POST", "/predict", JSON, b"[]", 422, "at least one record"),
        ("scalar body", "POST", "/predict", JSON, b"42", 422, "JSON object"),
        (
            "missing field",
            "POST",
            "/predict",
            JSON,
            body({k: v for k, v in row.items() if k != "driver_tenure"}),
            422,
            "driver_tenure",
        ),
        ("unknown field", "POST", "/predict", JSON, body(row | {"colour": "red"}), 422, "colour"),
        (
            "wrong type",
            "POST",
            "/predict",
            JSON,
            body(row | {"loan_length": "long"}),
            422,
            "loan_length",
        ),
        ("null value", "POST", "/predict", JSON, body(row | {"car_value": None}), 422, "car_value"),
        (
            "NaN",
            "POST",
            "/predict",
            JSON,
            json.dumps(row | {"debt_to_income_ratio": float("nan")}).encode(),
            422,
            "debt_to_income_ratio",
        ),
        (
            "infinity",
            "POST",
            "/predict",
            JSON,
            json.dumps(row | {"car_value": float("inf")}).encode(),
            422,
            "car_value",
        ),
        (
            "unseen category",
            "POST",
            "/predict",
            JSON,
            body(row | {"salary_range": "90K+"}),
            422,
            "salary_range",
        ),
        ("bad id", "POST", "/predict", JSON, body(row | {"id": {"a": 1}}), 422, "'id'"),
        (
            "duplicate ids",
            "POST",
            "/predict",
            JSON,
            body([row | {"id": "x"}, row | {"id": "x"}]),
            422,
            "unique",
        ),
        ("record not an object", "POST", "/predict", JSON, body([row, [1, 2]]), 422, "record 1"),
        (
            "monitor record without probability",
            "POST",
            "/monitor",
            JSON,
            body({"id": "m", "features": row, "prediction": 1}),
            422,
            "probability",
        ),
        ("wrong method", "GET", "/predict", {}, b"", 405, "method not allowed"),
        ("unknown path", "POST", "/score", JSON, body(row), 404, "/score"),
    ]


def register_other_version(store: PipelineRun) -> str:
    """A genuinely different model (another seed and fewer trees) fitted on the champion's
    training rows, logged like the train step logs one and registered as a new version."""
    import mlflow
    import mlflow.sklearn

    from glassbox import model as gm
    from glassbox.config import DataSettings, ModelSettings
    from glassbox.data import read_artifact_table
    from glassbox.registry import FINGERPRINT_TAG

    client = store.client()
    champion = client.get_model_version_by_alias(MODEL, "champion")
    train = client.get_run(champion.run_id)
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(store.tracking_uri)
    mlflow.set_registry_uri(store.tracking_uri)
    try:
        frame = read_artifact_table(train.data.tags["glassbox.input.train_uri"])
        data = DataSettings()
        categories = {c: sorted(frame[c].unique().tolist()) for c in data.categorical_features}
        estimator = gm.build(ModelSettings(max_iter=25), data, categories, seed=7).fit(
            gm.features_frame(frame, data), frame[data.target_column]
        )
        fingerprint = gm.fingerprint(estimator)
        # logged in the copy's own artifact directory (the trained store it was copied from is
        # shared by the session and must not change)
        experiment = mlflow.create_experiment(
            "serving-test-models", artifact_location=(store.home / "artifacts").as_uri()
        )
        with mlflow.start_run(
            experiment_id=experiment, tags={"glassbox.train_run_id": champion.run_id}
        ):
            info = mlflow.sklearn.log_model(
                estimator,
                name="model",
                serialization_format="skops",
                skops_trusted_types=gm.SKOPS_TRUSTED_TYPES,
            )
        version = mlflow.register_model(info.model_uri, MODEL, tags={FINGERPRINT_TAG: fingerprint})
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
    return str(version.version)
