"""Dataset lineage: every input and output dataset of a step, linked run to run.

MLflow records dataset *inputs* (``mlflow.data`` + ``log_input``) but has no dataset outputs.
Glassbox builds the link itself:

- the producing step logs each output with context ``output`` and sets run tags
  ``glassbox.output.<name>.digest`` / ``.uri``;
- every consumer logs the same dataset (same digest) as an input with input tags
  ``glassbox.produced_by_run`` / ``glassbox.produced_by_step``;
- a step that uses a model sets ``glassbox.model.run_id`` (the training run).

``lineage(run_id)`` walks those links backwards: predictions → model → features → raw data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glassbox.errors import TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.tracking import StepContext

PRODUCED_BY_RUN = "glassbox.produced_by_run"
PRODUCED_BY_STEP = "glassbox.produced_by_step"
MODEL_RUN_TAG = "glassbox.model.run_id"


def run_id_of(uri: str) -> str | None:
    """The run id inside a ``runs:/<run_id>/<path>`` URI, if it is one."""
    if not uri.startswith("runs:/"):
        return None
    return uri.removeprefix("runs:/").split("/", 1)[0] or None


def _run_artifact_source(uri: str) -> Any:
    """A ``runs:/<run_id>/<path>`` dataset source (MLflow resolves no such source by itself).

    Defined lazily so importing this module does not import MLflow; the class is also exposed
    to MLflow as the ``mlflow.dataset_source`` entry point ``glassbox_run_artifact``."""
    return run_artifact_source_class()(uri)


def run_artifact_source_class() -> type:
    global _SOURCE_CLASS  # noqa: PLW0603  (built once per process, after MLflow is imported)
    if _SOURCE_CLASS is not None:
        return _SOURCE_CLASS
    from mlflow.data.dataset_source import DatasetSource

    class RunArtifactSource(DatasetSource):
        """A dataset stored as an artifact of an MLflow run (``runs:/<run_id>/<path>``)."""

        def __init__(self, uri: str) -> None:
            self.uri = uri

        @staticmethod
        def _get_source_type() -> str:
            return "mlflow_run_artifact"

        def load(self, dst_path: str | None = None) -> str:
            import mlflow.artifacts

            return str(mlflow.artifacts.download_artifacts(self.uri, dst_path=dst_path))

        @staticmethod
        def _can_resolve(raw_source: Any) -> bool:
            return isinstance(raw_source, str) and raw_source.startswith("runs:/")

        @classmethod
        def _resolve(cls, raw_source: Any) -> RunArtifactSource:
            return cls(str(raw_source))

        def to_dict(self) -> dict[str, Any]:
            return {"uri": self.uri}

        @classmethod
        def from_dict(cls, source_dict: dict[Any, Any]) -> RunArtifactSource:
            return cls(str(source_dict["uri"]))

    _SOURCE_CLASS = RunArtifactSource
    return _SOURCE_CLASS


_SOURCE_CLASS: type | None = None


def _dataset(df: pd.DataFrame, name: str, source: str, targets: str | None) -> Any:
    from mlflow.data.pandas_dataset import from_pandas

    usable_targets = targets if targets and targets in df.columns else None
    resolved: Any = _run_artifact_source(source) if source.startswith("runs:/") else source
    return from_pandas(df, source=resolved, name=name, targets=usable_targets)


def log_input_dataset(
    ctx: StepContext,
    df: pd.DataFrame,
    *,
    name: str,
    source: str,
    context: str = "input",
    targets: str | None = None,
) -> str:
    """Log ``df`` as an input of the step's run, linked to the run that produced it (if any).

    Returns the dataset digest."""
    import mlflow

    ds = _dataset(df, name, source, targets)
    tags: dict[str, str] = {}
    producer = run_id_of(source)
    if producer:
        tags[PRODUCED_BY_RUN] = producer
        step = mlflow.MlflowClient().get_run(producer).data.tags.get("glassbox.step", "")
        tags[PRODUCED_BY_STEP] = step
    mlflow.log_input(ds, context=context, tags=tags)
    return str(ds.digest)


def log_output_dataset(
    ctx: StepContext, df: pd.DataFrame, *, name: str, uri: str, targets: str | None = None
) -> str:
    """Record ``df`` (already written to ``uri``) as an output of the step's run."""
    import mlflow

    ds = _dataset(df, name, uri, targets)
    mlflow.log_input(ds, context="output", tags={PRODUCED_BY_RUN: ctx.run_id})
    ctx.set_tags({f"glassbox.output.{name}.digest": ds.digest, f"glassbox.output.{name}.uri": uri})
    return str(ds.digest)


@dataclass
class Node:
    """A run in the lineage graph with the datasets it consumed and produced."""

    run_id: str
    step: str
    status: str
    inputs: list[dict[str, str]] = field(default_factory=list)
    outputs: list[dict[str, str]] = field(default_factory=list)
    model_run_id: str | None = None
    model: dict[str, str] = field(default_factory=dict)
    parents: list[Node] = field(default_factory=list)


def _node(client: Any, run_id: str) -> Node:
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise TrackingError(f"lineage: run '{run_id}' not found in the tracking store") from exc
        raise TrackingError(f"lineage: cannot read run '{run_id}': {exc.message}") from exc
    tags = run.data.tags
    node = Node(run_id, tags.get("glassbox.step", run.info.run_name or "?"), run.info.status)
    for di in run.inputs.dataset_inputs if run.inputs else []:
        itags = {t.key: t.value for t in di.tags}
        entry = {
            "name": di.dataset.name,
            "digest": di.dataset.digest,
            "source": di.dataset.source,
            "context": itags.get("mlflow.data.context", ""),
            "produced_by_run": itags.get(PRODUCED_BY_RUN, ""),
            "produced_by_step": itags.get(PRODUCED_BY_STEP, ""),
        }
        (node.outputs if entry["context"] == "output" else node.inputs).append(entry)
    node.model_run_id = tags.get(MODEL_RUN_TAG)
    node.model = {
        k.removeprefix("glassbox.model."): v
        for k, v in tags.items()
        if k.startswith("glassbox.model.") and k != MODEL_RUN_TAG
    }
    return node


def lineage(run_id: str, max_depth: int = 20) -> Node:
    """The upstream graph of ``run_id`` (bounded depth; each run visited once)."""
    import mlflow

    client = mlflow.MlflowClient()
    seen: dict[str, Node] = {}

    def visit(rid: str, depth: int) -> Node:
        if rid in seen:
            return seen[rid]
        node = _node(client, rid)
        seen[rid] = node
        if depth >= max_depth:
            return node
        ups = {i["produced_by_run"] for i in node.inputs if i["produced_by_run"]}
        if node.model_run_id:
            ups.add(node.model_run_id)
        node.parents = [visit(u, depth + 1) for u in sorted(ups - {rid})]
        return node

    return visit(run_id, 0)


def render(node: Node, indent: int = 0, shown: set[str] | None = None) -> list[str]:
    """Text lines: each run, what it produced and consumed, then its upstream runs indented."""
    shown = set() if shown is None else shown
    pad = "  " * indent
    lines = [f"{pad}{node.step}  run {node.run_id}  [{node.status}]"]
    if node.run_id in shown:
        return [lines[0] + "  (see above)"]
    shown.add(node.run_id)
    if node.model:
        ident = ", ".join(f"{k}={v}" for k, v in sorted(node.model.items()))
        lines.append(f"{pad}  model: {ident}")
    lines += [
        f"{pad}  produced {o['name']}  digest {o['digest']}  {o['source']}" for o in node.outputs
    ]
    for i in node.inputs:
        origin = (
            f" <- {i['produced_by_step']} run {i['produced_by_run']}"
            if i["produced_by_run"]
            else ""
        )
        lines.append(f"{pad}  consumed {i['name']}  digest {i['digest']}{origin}")
    for parent in node.parents:
        lines += render(parent, indent + 1, shown)
    return lines
