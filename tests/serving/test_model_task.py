"""`glassbox serve` answers with a probability and a class: a registered regression model is
refused when it is loaded, with a message saying so, not served with a wrong answer."""

from __future__ import annotations

from pathlib import Path

import mlflow
import mlflow.sklearn
import pytest

from glassbox import model as gm
from glassbox.config import ModelSettings
from glassbox.serving import ServingError, ServingSettings
from glassbox.serving._model import load, resolve
from tests.serving._toy import DATA, loans


def test_a_registered_regressor_is_refused_naming_its_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    mlflow.set_tracking_uri(store)  # process-wide URIs win over the variable (conftest restores)
    mlflow.set_registry_uri(store)
    frame = loans(300, 1)
    X = gm.features_frame(frame, DATA)
    categories = {c: sorted(X[c].astype(str).unique().tolist()) for c in DATA.categorical_features}
    regressor = gm.build(ModelSettings(task="regression", max_iter=5), DATA, categories, 0)
    regressor.fit(X.astype({c: str for c in DATA.categorical_features}), frame["car_value"])
    experiment = mlflow.create_experiment("trips", artifact_location=str(tmp_path / "a"))
    with mlflow.start_run(experiment_id=experiment):
        mlflow.sklearn.log_model(
            regressor,
            name="model",
            serialization_format="skops",
            skops_trusted_types=gm.SKOPS_TRUSTED_TYPES,
            registered_model_name="trips",
        )
    mlflow.MlflowClient().set_registered_model_alias("trips", "champion", "1")

    with pytest.raises(ServingError, match=r"models:/trips/1: a regression model .* serves binary"):
        load(resolve("models:/trips@champion"), ServingSettings())
