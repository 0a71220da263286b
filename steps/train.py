"""train: fit the model with the pipeline seed, fingerprint it and log it to MLflow.

The logged model uses MLflow's safe skops format; its fingerprint (a digest of the fitted
estimator's state, not of files with timestamps) is a run tag and is stamped on the registered
version and on every audited prediction.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from steps._io import main, parser, write_outputs

if TYPE_CHECKING:
    from glassbox.config import Settings
    from glassbox.tracking import StepContext

PROFILE_DIR = "reference_profile"


def _pins() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("scikit-learn", "skops", "numpy", "pandas", "scipy")]


def log_reference_profile(ctx: StepContext, model: Any, holdout: Any, conf: Settings) -> None:
    """Fit the drift calculator on the held-out rows + the model's own scores on them (rows it
    did not train on: its scores on training rows are over-confident; a regressor's prediction)
    and log the profile, with
    its calibration (false-alarm rate), beside the model: the drift step and the cron never
    reload the data."""
    import tempfile
    from pathlib import Path

    from glassbox import model as gm
    from glassbox.drift import DriftCalculator

    data = conf.data
    features = gm.features_frame(holdout, data)
    score = gm.output_columns(gm.task_of(model))[0]  # the probability, or the number
    frame = features.assign(**{score: gm.outputs(model, features)[score]})
    calculator = DriftCalculator(
        features=list(data.features),
        categorical=list(data.categorical_features),
        prediction_columns=[score],
        thresholds=conf.monitoring.drift_thresholds,
        calibration=conf.monitoring.calibration,
    ).fit(frame)
    where = calculator.profile.save(Path(tempfile.mkdtemp()) / PROFILE_DIR)
    for f in sorted(where.iterdir()):
        ctx.log_artifact(f, f"drift/{PROFILE_DIR}")


def run(args: argparse.Namespace) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from glassbox import model as gm
    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.lineage import log_input_dataset
    from glassbox.tracking import step_run

    conf = settings()
    data = conf.data
    seed = 0 if args.seed is None else args.seed
    with step_run("train", seed=seed) as ctx:
        train = read_artifact_table(args.train_uri)
        log_input_dataset(
            ctx,
            train,
            name="features-train",
            source=args.train_uri,
            context="training",
            targets=data.target_column,
        )
        categories = {c: sorted(train[c].unique().tolist()) for c in data.categorical_features}
        X, y = gm.features_frame(train, data), train[data.target_column]
        model = gm.build(conf.model, data, categories, seed).fit(X, y)
        fingerprint = gm.fingerprint(model)
        task = gm.task_of(model)
        score = gm.output_columns(task)[0]
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="skops",
            skops_trusted_types=gm.SKOPS_TRUSTED_TYPES,
            signature=infer_signature(X.head(100), gm.outputs(model, X.head(100))[score]),
            input_example=X.head(3),
            pip_requirements=_pins(),
        )
        holdout = read_artifact_table(args.train_uri.rsplit("/", 1)[0] + "/holdout.parquet")
        log_reference_profile(ctx, model, holdout, conf)
        estimator = model[-1]
        ctx.log_params(
            {f"model.{k}": v for k, v in conf.model.model_dump().items()}
            | {"model.class": type(estimator).__name__, "model.features": ",".join(data.features)}
        )
        fit = "train.r2" if task == "regression" else "train.accuracy"
        ctx.log_metrics(
            {
                "train.rows": len(train),
                "train.n_iter": estimator.n_iter_,
                fit: float(model.score(X, y)),
            }
        )
        ctx.set_tags(
            {
                "glassbox.model.task": task,
                "glassbox.model.fingerprint": fingerprint,
                "glassbox.model.uri": info.model_uri,
                "glassbox.input.train_uri": args.train_uri,
            }
        )
        write_outputs(run_id=ctx.run_id, model_uri=info.model_uri, fingerprint=fingerprint)


def cli() -> None:
    p = parser("train", __doc__ or "")
    p.add_argument("--train-uri", required=True)
    main("train", run, p.parse_args())


if __name__ == "__main__":
    cli()
