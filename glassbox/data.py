"""Data sources: NannyML's bundled car-loan dataset (the default) or any CSV/Parquet path or URI.

``nannyml:car_loan`` resolves to the CSV files shipped inside the installed NannyML package,
found without importing NannyML (which takes ~9 s and would try to send usage data):
reference period = training history (with targets), analysis period = production traffic,
analysis targets = the labels that arrive later, joined by id.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from glassbox.errors import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

Part = Literal["reference", "production", "targets"]

CAR_LOAN = "nannyml:car_loan"
_CAR_LOAN_FILES: dict[str, str] = {
    "reference": "synthetic_car_loan_reference.csv",
    "production": "synthetic_car_loan_analysis.csv",
    "targets": "synthetic_car_loan_analysis_target.csv",
}
# NannyML's own model outputs in the bundled files: Glassbox trains and scores its own model.
_CAR_LOAN_DROP = ("y_pred_proba", "y_pred")


def _nannyml_data_dir() -> Path:
    spec = importlib.util.find_spec("nannyml")
    if spec is None or not spec.submodule_search_locations:
        raise DataValidationError("extract: source 'nannyml:car_loan' needs nannyml installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def resolve(spec: str, part: Part) -> str:
    """The concrete location (path or URI) a source spec points at for one part."""
    if spec == CAR_LOAN:
        return str(_nannyml_data_dir() / _CAR_LOAN_FILES[part])
    return spec


def read_source(spec: str, part: Part) -> tuple[pd.DataFrame, str]:
    """Read one part of a source; returns the frame and the source URI recorded in lineage."""
    from glassbox.quality import read_table

    location = resolve(spec, part)
    if "://" in location and not location.startswith("file://"):
        location = _download(location)
    path = Path(location.removeprefix("file://"))
    df = read_table(path)
    if spec == CAR_LOAN:
        df = df.drop(columns=[c for c in _CAR_LOAN_DROP if c in df.columns])
    return df, path.resolve().as_uri()


def _download(uri: str) -> str:
    """Fetch a ``runs:/``, ``mlflow-artifacts:/``, ``s3://`` ... URI through MLflow."""
    import mlflow.artifacts

    return str(mlflow.artifacts.download_artifacts(uri, dst_path=tempfile.mkdtemp()))


def read_artifact_table(uri: str) -> pd.DataFrame:
    """Read a Parquet table another step logged (``runs:/<run>/<path>``)."""
    import pandas as pd

    return pd.read_parquet(_download(uri))
