"""The training DAG: extract → validate → transform → train → evaluate → explain → register →
score → drift, as a WorkflowTemplate plus a Workflow that references it.

    extract → validate → transform → train ─┬→ evaluate → register → score → drift
                                            └→ explain
Steps exchange MLflow run ids and ``runs:/`` URIs as parameters; ``register`` runs only when
the gate passed; ``score`` uses whatever model holds the champion alias, so ``score`` and
``drift`` are skipped (``when``) when the gate failed and there is no champion yet; ``finalize``
closes the pipeline's MLflow run with the workflow's status ("gate failed" when it did).
"""

from __future__ import annotations

from hera.workflows import DAG, Parameter, Workflow, WorkflowTemplate
from hera.workflows.models import (
    TTLStrategy,
    WorkflowTemplateRef,
)

from pipelines._common import DEFAULT_IMAGE, SERVICE_ACCOUNT, finalize, step, workflow_spec

NAME = "glassbox-training"
PIPELINE = "training"
SEED = "{{workflow.parameters.seed}}"
# evaluate's `champion` output: the version the champion alias held (v3), or `none`.
NO_CHAMPION_YET = "{{tasks.evaluate.outputs.parameters.champion}} != none"


def _out(task: str, name: str) -> str:
    return f"{{{{tasks.{task}.outputs.parameters.{name}}}}}"


def build(image: str = DEFAULT_IMAGE) -> list[Workflow]:
    """The WorkflowTemplate and the Workflow that submits it (``argo submit``)."""
    with WorkflowTemplate(
        name=NAME,
        entrypoint="training",
        **workflow_spec(PIPELINE, SERVICE_ACCOUNT),
        ttl_strategy=TTLStrategy(seconds_after_completion=7 * 24 * 3600),
        arguments=[
            Parameter(name="seed", value="42", description="one seed for every step"),
            Parameter(name="reference", value="", description="training history (CSV/Parquet)"),
            Parameter(name="production", value="", description="production batch to score"),
            Parameter(name="targets", value="", description="delayed targets, joined by id"),
        ],
    ) as template:
        common = {"image": image, "pipeline": PIPELINE}
        extract = step(
            "extract",
            args=[
                "--seed",
                SEED,
                "--reference",
                "{{workflow.parameters.reference}}",
                "--production",
                "{{workflow.parameters.production}}",
                "--targets",
                "{{workflow.parameters.targets}}",
            ],
            outputs=["run_id", "reference_uri", "production_uri", "targets_uri"],
            **common,
        )
        validate = step(
            "validate",
            args=[
                "--seed",
                SEED,
                "--reference-uri",
                "{{inputs.parameters.reference_uri}}",
                "--production-uri",
                "{{inputs.parameters.production_uri}}",
            ],
            inputs=["reference_uri", "production_uri"],
            outputs=["run_id", "contract_uri"],
            retries=1,
            **common,
        )
        transform = step(
            "transform",
            args=[
                "--seed",
                SEED,
                "--reference-uri",
                "{{inputs.parameters.reference_uri}}",
                "--production-uri",
                "{{inputs.parameters.production_uri}}",
            ],
            inputs=["reference_uri", "production_uri"],
            outputs=["run_id", "train_uri", "holdout_uri", "production_uri"],
            **common,
        )
        train = step(
            "train",
            args=["--seed", SEED, "--train-uri", "{{inputs.parameters.train_uri}}"],
            inputs=["train_uri"],
            outputs=["run_id", "model_uri", "fingerprint"],
            cpu="2",
            memory="4Gi",
            **common,
        )
        model_args = [
            "--seed",
            SEED,
            "--model-uri",
            "{{inputs.parameters.model_uri}}",
            "--train-run-id",
            "{{inputs.parameters.train_run_id}}",
            "--holdout-uri",
            "{{inputs.parameters.holdout_uri}}",
        ]
        evaluate = step(
            "evaluate",
            args=model_args,
            inputs=["model_uri", "train_run_id", "holdout_uri"],
            outputs=["run_id", "gate", "champion", "verdict"],
            **common,
        )
        explain = step(
            "explain",
            args=model_args,
            inputs=["model_uri", "train_run_id", "holdout_uri"],
            memory="4Gi",
            **common,
        )
        register = step(
            "register",
            args=[
                "--seed",
                SEED,
                "--model-uri",
                "{{inputs.parameters.model_uri}}",
                "--train-run-id",
                "{{inputs.parameters.train_run_id}}",
                "--evaluate-run-id",
                "{{inputs.parameters.evaluate_run_id}}",
            ],
            inputs=["model_uri", "train_run_id", "evaluate_run_id"],
            outputs=["run_id", "model_version"],
            **common,
        )
        score = step(
            "score",
            args=["--seed", SEED, "--production-uri", "{{inputs.parameters.production_uri}}"],
            inputs=["production_uri"],
            outputs=["run_id", "predictions_uri", "audit_root"],
            **common,
        )
        drift = step(
            "drift",
            args=["--seed", SEED, "--predictions-uri", "{{inputs.parameters.predictions_uri}}"],
            inputs=["predictions_uri"],
            outputs=["run_id", "severity"],
            **common,
        )
        finalize(**common)

        with DAG(name="training"):
            t_extract = extract(name="extract")
            t_validate = validate(
                name="validate",
                arguments={
                    "reference_uri": _out("extract", "reference_uri"),
                    "production_uri": _out("extract", "production_uri"),
                },
            )
            t_transform = transform(
                name="transform",
                arguments={
                    "reference_uri": _out("extract", "reference_uri"),
                    "production_uri": _out("extract", "production_uri"),
                },
            )
            t_train = train(name="train", arguments={"train_uri": _out("transform", "train_uri")})
            model = {
                "model_uri": _out("train", "model_uri"),
                "train_run_id": _out("train", "run_id"),
                "holdout_uri": _out("transform", "holdout_uri"),
            }
            t_evaluate = evaluate(name="evaluate", arguments=model)
            t_explain = explain(name="explain", arguments=model)
            t_register = register(
                name="register",
                when=f"{_out('evaluate', 'gate')} == passed",
                arguments={
                    "model_uri": _out("train", "model_uri"),
                    "train_run_id": _out("train", "run_id"),
                    "evaluate_run_id": _out("evaluate", "run_id"),
                },
            )
            # score and drift need a champion: the gated candidate or the one already serving.
            has_champion = f"{_out('evaluate', 'gate')} == passed || {NO_CHAMPION_YET}"
            t_score = score(
                name="score",
                when=has_champion,
                arguments={"production_uri": _out("extract", "production_uri")},
            )
            t_drift = drift(
                name="drift",
                when=has_champion,
                arguments={"predictions_uri": _out("score", "predictions_uri")},
            )

            t_extract >> t_validate >> t_transform >> t_train >> [t_evaluate, t_explain]
            t_evaluate >> t_register
            t_score.depends = "register.Succeeded || register.Skipped"
            t_score >> t_drift

    workflow = Workflow(
        generate_name=f"{NAME}-",
        workflow_template_ref=WorkflowTemplateRef(name=NAME),
        labels={"app.kubernetes.io/part-of": "glassbox", "glassbox/pipeline": PIPELINE},
        arguments=[Parameter(name="seed", value="42")],
    )
    return [template, workflow]


workflows = build()
