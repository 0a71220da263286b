"""The monitoring cron: the production window since the last watermark → data quality, data
drift (map over date partitions, then reduce), performance → alerts → retraining trigger and
delivery triggers.

    window ─┬→ quality ───────────────────────────┐             ┌→ retrain-decision → retrain
            ├→ profile (one pod per partition) → drift ─┤             │
            ├→ performance ───────────────────────┼→ alert ─┤
            └→ explanation ───────────────────────┘             └→ delivery-triggers
``retrain`` is a ``resource`` template: it creates a Workflow from the training
WorkflowTemplate, only when the decision step (guardrails: cooldown, once per period, never
while training is running) says so. ``delivery-triggers`` applies the ``delivery.triggers``
rules to the window's drift and performance figures (alert, or roll the champion back within
the automatic-rollback guardrails).
"""

from __future__ import annotations

from hera.workflows import DAG, CronWorkflow, Parameter, Resource

from pipelines._common import DEFAULT_IMAGE, finalize, step, workflow_spec

NAME = "glassbox-monitoring"
PIPELINE = "monitoring"
SERVICE_ACCOUNT = "glassbox-monitoring"  # may create Workflows (the retraining trigger)
TRAINING_TEMPLATE = "glassbox-training"
SEED = "{{workflow.parameters.seed}}"
NOT_EMPTY = "{{tasks.window.outputs.parameters.empty}} == false"

RETRAIN_MANIFEST = f"""apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: {TRAINING_TEMPLATE}-retrain-
  labels:
    app.kubernetes.io/part-of: glassbox
    glassbox/pipeline: training
    glassbox/triggered-by: monitoring
spec:
  workflowTemplateRef:
    name: {TRAINING_TEMPLATE}
  arguments:
    parameters:
    - name: seed
      value: "{{{{inputs.parameters.seed}}}}"
"""


def _out(task: str, name: str) -> str:
    return f"{{{{tasks.{task}.outputs.parameters.{name}}}}}"


def build(image: str = DEFAULT_IMAGE) -> list[CronWorkflow]:
    """The CronWorkflow (``argo cron create``); ``glassbox run monitoring`` runs it once."""
    with CronWorkflow(
        name=NAME,
        schedules=["0 2 * * *"],
        timezone="Europe/Amsterdam",
        concurrency_policy="Forbid",
        starting_deadline_seconds=3600,
        successful_jobs_history_limit=7,
        failed_jobs_history_limit=7,
        entrypoint="monitoring",
        **workflow_spec(PIPELINE, SERVICE_ACCOUNT),
        arguments=[
            Parameter(name="seed", value="42", description="seed for checks and retraining"),
            Parameter(name="max-rows", value="0", description="cap on window rows (0 = all)"),
        ],
    ) as cron:
        common = {"image": image, "pipeline": PIPELINE}
        window = step(
            "window",
            args=["--seed", SEED, "--max-rows", "{{workflow.parameters.max-rows}}"],
            outputs=["run_id", "window_uri", "partitions", "empty", "reference_run_id"],
            **common,
        )
        # the steps that read the window against the model's reference
        on_window = [
            "--seed",
            SEED,
            "--window-uri",
            "{{inputs.parameters.window_uri}}",
            "--reference-run-id",
            "{{inputs.parameters.reference_run_id}}",
        ]
        quality = step(
            "quality",
            args=on_window,
            inputs=["window_uri", "reference_run_id"],
            outputs=["run_id", "findings_uri"],
            **common,
        )
        profile = step(
            "profile",
            module="profile_shard",
            args=[
                "--seed",
                SEED,
                "--partition",
                "{{inputs.parameters.partition}}",
                "--partition-uri",
                "{{inputs.parameters.partition_uri}}",
                "--reference-run-id",
                "{{inputs.parameters.reference_run_id}}",
            ],
            inputs=["partition", "partition_uri", "reference_run_id"],
            outputs=["run_id", "shard_uri"],
            memory="1Gi",
            **common,
        )
        drift = step(
            "drift",
            module="drift_reduce",
            args=[
                "--seed",
                SEED,
                "--window-uri",
                "{{inputs.parameters.window_uri}}",
                "--shard-uris",
                "{{inputs.parameters.shard_uris}}",
                "--reference-run-id",
                "{{inputs.parameters.reference_run_id}}",
            ],
            inputs=["window_uri", "shard_uris", "reference_run_id"],
            outputs=["run_id", "findings_uri"],
            optional_outputs=["findings_uri"],
            memory="4Gi",
            **common,
        )
        performance, explanation = (
            step(
                name,
                args=on_window,
                inputs=["window_uri", "reference_run_id"],
                outputs=["run_id", "findings_uri"],
                optional_outputs=["findings_uri"],
                memory=memory,
                **common,
            )
            for name, memory in (("performance", "4Gi"), ("explanation", "2Gi"))
        )
        alert = step(
            "alert",
            args=[
                "--seed",
                SEED,
                "--window-run-id",
                "{{inputs.parameters.window_run_id}}",
                "--findings",
                "{{inputs.parameters.findings}}",
            ],
            inputs=["window_run_id", "findings"],
            outputs=["run_id", "severity"],
            secrets=(
                "slack-webhook-url",
                "slack-webhook-url-warning",
                "slack-webhook-url-critical",
                "pagerduty-routing-key",
                "smtp-username",
                "smtp-password",
                "mlflow-tracking-password",
            ),
            state=True,
            **common,
        )
        decide = step(
            "retrain-decision",
            module="retrain_decision",
            args=["--seed", SEED, "--severity", "{{inputs.parameters.severity}}"],
            inputs=["severity"],
            outputs=["run_id", "retrain", "reason"],
            **common,
        )
        triggers = step(
            "delivery-triggers",
            module="delivery_triggers",
            args=["--seed", SEED],
            outputs=["run_id"],
            secrets=("slack-webhook-url", "pagerduty-routing-key", "mlflow-tracking-password"),
            state=True,
            **common,
        )
        retrain = Resource(
            name="retrain",
            action="create",
            set_owner_reference=False,
            manifest=RETRAIN_MANIFEST,
            inputs=[Parameter(name="seed")],
            outputs=[
                Parameter(name="workflow", value_from={"jsonPath": "{.metadata.name}"}),
            ],
        )
        finalize(**common)

        with DAG(name="monitoring"):
            ref = {"reference_run_id": _out("window", "reference_run_id")}
            t_window = window(name="window")
            t_quality = quality(
                name="quality",
                arguments={"window_uri": _out("window", "window_uri")} | ref,
            )
            t_profile = profile(
                name="profile",
                when=NOT_EMPTY,
                with_param=_out("window", "partitions"),
                arguments={"partition": "{{item.partition}}", "partition_uri": "{{item.uri}}"}
                | ref,
            )
            t_drift = drift(
                name="drift",
                arguments={
                    "window_uri": _out("window", "window_uri"),
                    "shard_uris": _out("profile", "shard_uri"),
                }
                | ref,
            )
            t_performance = performance(
                name="performance",
                when=NOT_EMPTY,
                arguments={"window_uri": _out("window", "window_uri")} | ref,
            )
            t_explanation = explanation(
                name="explanation",
                when=NOT_EMPTY,
                arguments={"window_uri": _out("window", "window_uri")} | ref,
            )
            t_alert = alert(
                name="alert",
                arguments={
                    "window_run_id": _out("window", "run_id"),
                    "findings": (
                        f'{{"quality": "{_out("quality", "findings_uri")}", '
                        f'"drift": "{_out("drift", "findings_uri")}", '
                        f'"performance": "{_out("performance", "findings_uri")}", '
                        f'"explanation": "{_out("explanation", "findings_uri")}"}}'
                    ),
                },
            )
            t_decide = decide(
                name="retrain-decision", arguments={"severity": _out("alert", "severity")}
            )
            t_retrain = retrain(
                name="retrain",
                when=f"{_out('retrain-decision', 'retrain')} == true",
                arguments={"seed": SEED},
            )
            t_window >> [t_quality, t_profile, t_performance, t_explanation]
            t_profile >> t_drift
            t_drift.when = NOT_EMPTY
            t_alert.depends = (
                "quality && (drift.Succeeded || drift.Skipped || drift.Omitted)"
                " && (performance.Succeeded || performance.Skipped)"
                " && (explanation.Succeeded || explanation.Skipped)"
            )
            t_alert >> t_decide >> t_retrain
            t_alert >> triggers(name="delivery-triggers")
    return [cron]


workflows = build()
