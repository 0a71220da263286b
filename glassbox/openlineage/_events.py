"""RunEvents from a step's MLflow record: job, run, parent, datasets and their facets."""

from __future__ import annotations

import json
import os
import uuid
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlparse

from glassbox.openlineage._quality import QUALITY_KEY

NAMESPACE_ENV = "OPENLINEAGE_NAMESPACE"
DEFAULT_NAMESPACE = "glassbox"
INTEGRATION = "GLASSBOX"


def run_uuid(run_id: str) -> str:
    """The OpenLineage runId of an MLflow run: its 32 hex digits as a UUID."""
    try:
        return str(uuid.UUID(hex=run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlflow-run:{run_id}"))


def namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE


@lru_cache(maxsize=1)
def producer() -> str:
    try:
        ours = version("glassbox-mlops")
    except PackageNotFoundError:
        ours = "unknown"
    return f"urn:glassbox:glassbox-mlops:{ours}"


def dataset_identity(uri: str, client: Any) -> tuple[str, str]:
    """(namespace, name) of a dataset URI, OpenLineage style: scheme[://authority] and path.
    A ``runs:/<run>/<path>`` artifact is named by where it is stored."""
    if uri.startswith("runs:/"):
        run_id, _, path = uri.removeprefix("runs:/").partition("/")
        uri = client.get_run(run_id).info.artifact_uri.rstrip("/") + "/" + path
    parsed = urlparse(uri)
    if not parsed.scheme:
        return "file", os.path.abspath(uri)
    space = f"{parsed.scheme}://{parsed.netloc}" if parsed.netloc else parsed.scheme
    return space, parsed.path or uri


def _source_uri(source: str) -> str:
    try:
        data = json.loads(source)
    except json.JSONDecodeError:
        return source
    return str(data.get("uri") or data.get("url") or data.get("path") or source)


def _schema(text: str | None) -> Any:
    from openlineage.client.generated.schema_dataset import (
        SchemaDatasetFacet,
        SchemaDatasetFacetFields,
    )

    try:
        spec = json.loads(text or "{}").get("mlflow_colspec", [])
    except (json.JSONDecodeError, AttributeError):
        spec = []
    fields = [
        SchemaDatasetFacetFields(name=str(c.get("name")), type=str(c.get("type")))
        for c in spec
        if isinstance(c, dict) and c.get("name") is not None
    ]
    return SchemaDatasetFacet(fields=fields) if fields else None


def _quality(metrics: dict[str, Any] | None) -> Any:
    from openlineage.client.generated.data_quality_metrics_input_dataset import (
        ColumnMetrics,
        DataQualityMetricsInputDatasetFacet,
    )

    if not metrics:
        return None
    columns = {name: ColumnMetrics(**m) for name, m in metrics["columnMetrics"].items()}
    return DataQualityMetricsInputDatasetFacet(columnMetrics=columns, rowCount=metrics["rowCount"])


def _model_dataset(train_run: Any, client: Any, kind: type) -> Any | None:
    """The model a train run logged, as a dataset: named by where MLflow stores it, versioned
    by its fingerprint (what consumers of the model read)."""
    from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet

    tags = train_run.data.tags
    uri, fingerprint = tags.get("glassbox.model.uri", ""), tags.get("glassbox.model.fingerprint")
    if not uri.startswith("models:/m-") or not fingerprint:
        return None
    location = client.get_logged_model(uri.removeprefix("models:/")).artifact_location
    space, name = dataset_identity(location, client)
    version = DatasetVersionDatasetFacet(datasetVersion=fingerprint)
    return kind(namespace=space, name=name, facets={"version": version})


def model_datasets(run: Any, client: Any) -> tuple[list[Any], list[Any]]:
    """The model as an output of the run that trained it and an input of the runs using it
    (tag ``glassbox.model.run_id``), so the job graph carries the model edge too."""
    from openlineage.client.event_v2 import InputDataset, OutputDataset

    from glassbox.lineage import MODEL_RUN_TAG

    tags = run.data.tags
    if tags.get("glassbox.step") == "train" and "glassbox.model.uri" in tags:
        produced = _model_dataset(run, client, OutputDataset)
        return [], [produced] if produced else []
    trainer = tags.get(MODEL_RUN_TAG)
    if not trainer or trainer == run.info.run_id:
        return [], []
    used = _model_dataset(client.get_run(trainer), client, InputDataset)
    return [used] if used else [], []


def datasets(run: Any, client: Any, annotations: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Input and output datasets of a step run, named by location, versioned by digest; the
    model it trained or used is one too."""
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
    from openlineage.client.generated.symlinks_dataset import Identifier, SymlinksDatasetFacet

    quality = annotations.get(QUALITY_KEY, {})
    inputs, outputs = [], []
    for entry in run.inputs.dataset_inputs if run.inputs else []:
        ds = entry.dataset
        uri = _source_uri(ds.source)
        space, name = dataset_identity(uri, client)
        facets: dict[str, Any] = {"version": DatasetVersionDatasetFacet(datasetVersion=ds.digest)}
        if (schema := _schema(ds.schema)) is not None:
            facets["schema"] = schema
        alias = Identifier(namespace="mlflow", name=f"{ds.name}@{ds.digest}", type="DATASET")
        facets["symlinks"] = SymlinksDatasetFacet(identifiers=[alias])
        context = {t.key: t.value for t in entry.tags}.get("mlflow.data.context", "")
        if context == "output":
            outputs.append(OutputDataset(namespace=space, name=name, facets=facets))
        else:
            measured = _quality(quality.get(uri))
            extra = {"dataQualityMetrics": measured} if measured else {}
            inputs.append(
                InputDataset(namespace=space, name=name, facets=facets, inputFacets=extra)
            )
    model_in, model_out = model_datasets(run, client)
    return inputs + model_in, outputs + model_out
