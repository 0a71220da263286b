"""The reference a window is compared with: the champion's training history, scored by the
champion itself, plus the drift profile and data contract logged with it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.errors import TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from glassbox.config import Task
    from glassbox.drift import ReferenceProfile
    from glassbox.quality import DataContract

TRAIN_URI_TAG = "glassbox.input.train_uri"


@dataclass
class Reference:
    train_run_id: str
    model_uri: str
    train_uri: str
    workflow_uid: str

    def profile(self) -> ReferenceProfile:
        import mlflow.artifacts

        from glassbox.drift import ReferenceProfile

        local = mlflow.artifacts.download_artifacts(
            run_id=self.train_run_id,
            artifact_path="drift/reference_profile",
            dst_path=tempfile.mkdtemp(),
        )
        return ReferenceProfile.load(local)

    def _step_artifact(self, experiment_id: str, step: str, path: str) -> str:
        """A local copy of an artifact the ``step`` of the model's own training run logged."""
        import mlflow
        import mlflow.artifacts

        query = (
            f"tags.`glassbox.workflow_uid` = '{self.workflow_uid}' "
            f"and tags.`glassbox.step` = '{step}'"
        )
        runs = mlflow.MlflowClient().search_runs([experiment_id], query, max_results=1)
        if not runs:
            raise TrackingError(f"no {step} run for training workflow {self.workflow_uid}")
        return mlflow.artifacts.download_artifacts(
            run_id=runs[0].info.run_id, artifact_path=path, dst_path=tempfile.mkdtemp()
        )

    def contract(self, experiment_id: str) -> DataContract:
        """The contract the validate step of the model's own training run derived."""
        from glassbox.quality import DataContract

        local = self._step_artifact(experiment_id, "validate", "contract/contract.json")
        return DataContract.from_json(Path(local).read_text(), source=local)

    def attributions(self, experiment_id: str) -> pd.DataFrame:
        """The SHAP values the explain step of the model's own training run logged (a sample
        of the held-out rows): the reference of explanation drift."""
        import pandas as pd

        return pd.read_parquet(
            self._step_artifact(experiment_id, "explain", "shap/shap_values.parquet")
        )

    def model(self) -> Any:
        from glassbox import registry

        return registry.load(self.model_uri)

    @cached_property
    def task(self) -> Task:
        """``classification`` or ``regression``: what the model is (not what the settings say
        now)."""
        from glassbox import model as gm

        return gm.task_of(self.model())

    @property
    def holdout_uri(self) -> str:
        """The held-out rows transform wrote beside the training rows (same run)."""
        return self.train_uri.rsplit("/", 1)[0] + "/holdout.parquet"

    def frame(self, features: list[str], part: str = "holdout") -> pd.DataFrame:
        """Rows with the target and the model's own outputs (``glassbox.model.outputs``: a
        classifier's ``y_pred_proba`` and ``y_pred``, a regressor's ``y_pred``). NannyML's
        reference must be data the model did not train on (its scores on training rows are
        over-confident), so the default is the held-out split; ``part="train"`` gives the
        training rows."""
        from glassbox import model as gm
        from glassbox.data import read_artifact_table

        df = read_artifact_table(self.holdout_uri if part == "holdout" else self.train_uri)
        return df.assign(**gm.outputs(self.model(), df.loc[:, features]))


def load_reference(model_name: str, alias: str) -> Reference:
    """The champion's training run and what it logged; a clear error when there is none."""
    from glassbox import registry

    champion = registry.require_champion(model_name, alias)
    return reference_of_model_run(champion.run_id, champion.uri)


def reference_of_model_run(model_run_id: str, model_uri: str) -> Reference:
    """The training run behind a model version's run (``model_run_id``) and what it logged."""
    import mlflow

    run: Any = mlflow.MlflowClient().get_run(model_run_id)
    tags = run.data.tags
    train_run = tags.get("glassbox.train_run_id") or model_run_id
    if train_run != model_run_id:
        run = mlflow.MlflowClient().get_run(train_run)
        tags = run.data.tags
    if TRAIN_URI_TAG not in tags:
        raise TrackingError(f"train run {train_run} has no {TRAIN_URI_TAG} tag")
    return Reference(
        train_run_id=train_run,
        model_uri=tags.get("glassbox.model.uri", model_uri),
        train_uri=tags[TRAIN_URI_TAG],
        workflow_uid=tags["glassbox.workflow_uid"],
    )


def reference_of_run(train_run_id: str) -> Reference:
    """The Reference of a training run (by its run id, as the window step resolved it)."""
    import mlflow

    tags = mlflow.MlflowClient().get_run(train_run_id).data.tags
    missing = [
        t for t in ("glassbox.model.uri", TRAIN_URI_TAG, "glassbox.workflow_uid") if t not in tags
    ]
    if missing:
        raise TrackingError(f"train run {train_run_id} has no {', '.join(missing)} tag(s)")
    return Reference(
        train_run_id, tags["glassbox.model.uri"], tags[TRAIN_URI_TAG], tags["glassbox.workflow_uid"]
    )
