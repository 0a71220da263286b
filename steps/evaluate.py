"""evaluate: held-out metrics, then the promotion gate against floors and the champion.

The verdict (``passed``/``failed``) is logged either way (tags, ``gate/gate.json``, printed in
the step's log) and is this step's output parameter ``gate``; ``champion`` is the version the
champion alias held (``v3``) or ``none``; ``verdict`` is the report as one JSON line (what
``glassbox run`` prints when the gate failed). The register task only runs when the gate passed;
score and drift need a champion, so they are skipped when the gate failed and there is none.
"""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox import model as gm
    from glassbox import registry
    from glassbox.config import settings
    from glassbox.data import read_artifact_table
    from glassbox.evaluation import gate, holdout_metrics
    from glassbox.lineage import MODEL_RUN_TAG, log_input_dataset, run_id_of
    from glassbox.tracking import step_run
    from glassbox.verdict import NO_CHAMPION, GateReport

    conf = settings()
    data = conf.data
    with step_run("evaluate", seed=args.seed) as ctx:
        holdout = read_artifact_table(args.holdout_uri)
        log_input_dataset(
            ctx,
            holdout,
            name="features-holdout",
            source=args.holdout_uri,
            context="evaluation",
            targets=data.target_column,
        )
        X, y = gm.features_frame(holdout, data), holdout[data.target_column]
        model = registry.load(args.model_uri)
        task = gm.task_of(model)
        candidate = holdout_metrics(model, X, y)
        champ = registry.champion(conf.tracking.registered_model, conf.tracking.champion_alias)
        champion_model = registry.load(champ.uri) if champ else None
        if champion_model is not None and gm.task_of(champion_model) != task:
            print(f"evaluate: the champion is a {gm.task_of(champion_model)} model: not compared")
            champion_model = None
        champion_metrics = holdout_metrics(champion_model, X, y) if champion_model else None
        verdict = gate(candidate, champion_metrics, conf.gate, task)
        ctx.log_metrics(candidate)
        if champion_metrics:
            ctx.log_metrics({f"champion.{k}": v for k, v in champion_metrics.items()})
        ctx.log_params({f"gate.{k}": v for k, v in conf.gate.model_dump().items()})
        report = GateReport.build(
            verdict,
            candidate,
            champion_metrics,
            champ.version if champ and champion_metrics else None,
            conf.gate,
            task=task,
        )
        ctx.set_tags(
            {
                "glassbox.gate": verdict.label,
                "glassbox.gate.reasons": verdict.reasons,
                MODEL_RUN_TAG: args.train_run_id or run_id_of(args.model_uri) or "",
                "glassbox.gate.champion_version": champ.version if champ else NO_CHAMPION,
            }
        )
        # The MLflow UI shows mlflow.note.content as the pipeline run's description.
        verdict_text = "\n".join(report.lines())
        print(verdict_text)
        ctx.set_pipeline_tags({"glassbox.gate": verdict.label, "mlflow.note.content": verdict_text})
        local = Path(tempfile.mkdtemp()) / "gate.json"
        local.write_text(report.to_json())
        ctx.log_artifact(local, "gate")
        champion = f"v{champ.version}" if champ else NO_CHAMPION
        write_outputs(
            run_id=ctx.run_id, gate=verdict.label, champion=champion, verdict=report.to_line()
        )


def cli() -> None:
    p = parser("evaluate", __doc__ or "")
    p.add_argument("--model-uri", required=True)
    p.add_argument("--train-run-id", default="")
    p.add_argument("--holdout-uri", required=True)
    main("evaluate", run, p.parse_args())


if __name__ == "__main__":
    cli()
