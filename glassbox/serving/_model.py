"""The served model: a pinned registry version with its contract and reference profile.

``models:/NAME@ALIAS`` is resolved once to a version and pinned; everything the server needs
from the training run is loaded with it — the estimator (its state fingerprint is recomputed and
must equal the registered one), the data contract the validate step logged (request schema) and
the drift reference profile the train step logged (live drift). A ``ServedModel`` is immutable;
moving to another version means loading a new one and swapping it in (see ``ModelSlot``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glassbox.audit import ModelIdentity
from glassbox.serving._errors import ServingError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from glassbox.drift import ReferenceProfile
    from glassbox.quality import DataContract
    from glassbox.serving._records import RecordSchema
    from glassbox.serving._settings import ServingSettings

_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$")


class AliasNotSetError(ServingError):
    """The registered model exists but the alias points at no version (e.g. no challenger)."""


@dataclass(frozen=True)
class VersionRef:
    """A registered model version, as resolved from a ``models:/`` URI."""

    name: str
    version: str
    run_id: str
    fingerprint: str
    alias: str | None  # the alias it was resolved through (followed), if any

    @property
    def pinned_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def parse_model_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``models:/NAME@ALIAS`` → (NAME, ALIAS, None); ``models:/NAME/3`` → (NAME, None, "3")."""
    match = _URI.match(uri.strip())
    if match is None:
        raise ServingError(
            f"--model {uri!r}: expected models:/NAME@ALIAS (followed) or models:/NAME/VERSION"
        )
    return match["name"], match["alias"], match["version"]


def resolve(uri: str) -> VersionRef:
    """The version ``uri`` names now (an alias is read once here)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from glassbox.registry import FINGERPRINT_TAG

    name, alias, version = parse_model_uri(uri)
    client = mlflow.MlflowClient()
    try:
        mv = (
            client.get_model_version_by_alias(name, alias)
            if alias is not None
            else client.get_model_version(name, str(version))
        )
    except MlflowException as exc:
        what = f"alias @{alias}" if alias is not None else f"version {version}"
        missing = alias is not None and exc.error_code in (
            "INVALID_PARAMETER_VALUE",
            "NOT_FOUND",
            "RESOURCE_DOES_NOT_EXIST",
        )
        raise (AliasNotSetError if missing else ServingError)(
            f"model {uri}: registered model {name!r} has no {what} ({exc.error_code}); "
            "train and register one first (just pipeline)"
        ) from None
    return VersionRef(
        name=name,
        version=str(mv.version),
        run_id=str(mv.run_id),
        fingerprint=mv.tags.get(FINGERPRINT_TAG, ""),
        alias=alias,
    )


@dataclass(frozen=True, eq=False)
class ServedModel:
    """One loaded model version and what serving needs from its training run."""

    ref: VersionRef
    estimator: Any
    contract: DataContract
    profile: ReferenceProfile
    schema: RecordSchema
    label_threshold: float = 0.5
    train_run_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(self.ref.name, self.ref.version, self.ref.fingerprint)

    @property
    def features(self) -> tuple[str, ...]:
        return self.schema.features

    def info(self) -> dict[str, str]:
        return {
            "name": self.ref.name,
            "version": self.ref.version,
            "fingerprint": self.ref.fingerprint,
        }

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class for every row (one model call)."""
        return self.estimator.predict_proba(frame)[:, 1]

    def warm_up(self) -> None:
        """Call the model on typical rows (the contract's medians and first categories) so the
        first real request does not pay for lazy imports and first-call set-up."""
        import pandas as pd

        columns = {}
        for spec in self.schema.fields:
            column = self.contract.columns[spec.name]
            if spec.kind == "numeric":
                value: object = column.median if column.median is not None else 0.0
            elif spec.kind == "categorical":
                value = spec.categories[0] if spec.categories else ""
            elif spec.kind == "boolean":
                value = True
            else:
                value = pd.Timestamp("2020-01-01")
            columns[spec.name] = [value] * 64
        frame = pd.DataFrame(columns)
        for rows in (1, 64, 1):
            self.predict_proba(frame.iloc[:rows])


def load(ref: VersionRef, settings: ServingSettings) -> ServedModel:
    """Load the estimator, the contract and the reference profile of ``ref``."""
    import mlflow

    from glassbox import model as gm
    from glassbox import registry
    from glassbox.cron import reference_of_model_run
    from glassbox.errors import GlassboxError
    from glassbox.serving._records import RecordSchema

    try:
        estimator = registry.load(ref.pinned_uri)
    except (OSError, mlflow.exceptions.MlflowException) as exc:
        raise ServingError(f"model {ref.pinned_uri}: cannot load it: {exc}") from None
    if gm.task_of(estimator) != "classification":
        # A request's answer is a probability and a class (records, audit, live drift).
        raise ServingError(
            f"model {ref.pinned_uri}: a regression model (model.task: regression); glassbox "
            "serve serves binary classifiers (probability and class): score a regressor with "
            "the training pipeline's score step (glassbox run training)"
        )
    try:
        reference = reference_of_model_run(ref.run_id, ref.pinned_uri)
        experiment_id = mlflow.MlflowClient().get_run(reference.train_run_id).info.experiment_id
        contract = reference.contract(experiment_id)
        profile = reference.profile()
    except (GlassboxError, OSError, mlflow.exceptions.MlflowException) as exc:
        raise ServingError(
            f"model {ref.pinned_uri}: cannot load it with its data contract and reference "
            f"profile: {exc}"
        ) from None
    fingerprint = gm.fingerprint(estimator)
    if ref.fingerprint and fingerprint != ref.fingerprint:
        raise ServingError(
            f"model {ref.pinned_uri}: the loaded estimator's fingerprint {fingerprint[:12]}… is "
            f"not the registered one {ref.fingerprint[:12]}…: the model files were changed"
        )
    pinned = ref if ref.fingerprint else VersionRef(**{**ref.__dict__, "fingerprint": fingerprint})
    schema = RecordSchema(
        contract,
        max_records=settings.requests.max_records,
        max_id_length=settings.requests.max_id_length,
    )
    return ServedModel(
        pinned,
        estimator,
        contract,
        profile,
        schema,
        label_threshold=settings.label_threshold,
        train_run_id=reference.train_run_id,
    )
