"""``glassbox``: one entry point for running, compiling, linting, auditing and monitoring.

Every subcommand imports what it needs lazily, so ``glassbox --help`` is instant. A
``GlassboxError`` is printed as one line and exits non-zero; no tracebacks for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from glassbox._delivery_cli import canary_app, model_app
from glassbox.errors import GlassboxError

app = typer.Typer(
    name="glassbox",
    help="Observable ML pipelines: Argo DAGs with a full MLflow glass-box record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
audit_app = typer.Typer(help="Prediction audit: verify recorded predictions and chains.")
app.add_typer(audit_app, name="audit")
app.add_typer(model_app, name="model")
app.add_typer(canary_app, name="canary")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.callback()
def _global_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="settings file for this command and every step it starts "
            "(default: $GLASSBOX_CONFIG, else mlruns_config/glassbox.yaml)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Observable ML pipelines: Argo DAGs with a full MLflow glass-box record."""
    if config is None:
        return
    import os

    from glassbox.config import load_settings, settings

    if not config.is_file():
        _fail(f"--config {config}: file not found")
    os.environ["GLASSBOX_CONFIG"] = str(config.resolve())  # inherited by every step process
    settings.cache_clear()
    try:
        load_settings()
    except GlassboxError as exc:
        _fail(str(exc))


def _params(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--param '{item}': expected NAME=VALUE")
        out[key] = value
    return out


@app.command()
def run(
    pipeline: Annotated[str, typer.Argument(help="training | monitoring")] = "training",
    param: Annotated[
        list[str], typer.Option("--param", "-p", help="workflow parameter NAME=VALUE")
    ] = [],  # noqa: B006  (typer reads the default; it is never mutated)
    manifests: Annotated[Path, typer.Option(help="compiled manifests")] = Path("k8s/workflows"),
    workers: Annotated[int, typer.Option(help="tasks run at once")] = 2,
) -> None:
    """Run a compiled pipeline on this machine (the embedded default: local SQLite MLflow).

    Exit 0 when it succeeded; 3 when it ran but the candidate model failed the gate (the
    verdict is printed; nothing registered); 1 when a step failed; 2 for bad usage."""
    from glassbox.local import EXIT_GATE_FAILED, GateFailedError, run_pipeline

    try:
        result = run_pipeline(pipeline, _params(param), manifests, workers)
    except GateFailedError as exc:
        typer.echo(str(exc))
        raise typer.Exit(EXIT_GATE_FAILED) from None
    except GlassboxError as exc:
        _fail(str(exc))
    typer.echo(result)


@app.command()
def init(
    *,
    reference: Annotated[Path, typer.Option(help="your training data (CSV or Parquet)")],
    target: Annotated[
        str, typer.Option(help="the column to predict: two classes (0/1, true/false) or numbers")
    ],
    id_column: Annotated[
        str | None, typer.Option("--id", help="row id column (default: ids derived per row)")
    ] = None,
    timestamp: Annotated[
        str | None, typer.Option(help="event time column (default: row order)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="registered model name (default: the file's name)")
    ] = None,
    production: Annotated[
        Path | None, typer.Option(help="data to score (default: the reference file)")
    ] = None,
    targets: Annotated[
        Path | None, typer.Option(help="delayed labels for monitoring (default: see docs)")
    ] = None,
    exclude: Annotated[list[str], typer.Option(help="a column to leave out (repeatable)")] = [],  # noqa: B006  (typer reads the default; it is never mutated)
    out: Annotated[
        Path | None, typer.Option(help="settings file to write (default: glassbox-NAME.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite --out if it exists")] = False,
    task: Annotated[
        str,
        typer.Option(
            help="classification (a binary label), regression (a number), or auto: regression "
            "for a numeric target with more than 10 distinct values or fractions"
        ),
    ] = "auto",
) -> None:
    """Settings for your own data: infer the features, write a settings file, print the command.

    Exit 0 when the file was written; 1 with one `error: ...` line when the inputs cannot be
    used (unknown or non-binary target, a constant column, an empty file, ...)."""
    from glassbox.init import InitRequest, model_name, plan, report_lines, shipped_defaults, write

    if task not in ("auto", "classification", "regression"):
        _fail(f"--task {task!r}: expected auto, classification or regression")
    try:
        request = InitRequest(
            reference=reference,
            target=target,
            id_column=id_column,
            timestamp=timestamp,
            name=name,
            production=production,
            targets=targets,
            exclude=tuple(exclude),
            task=task,
        )
        destination = out or Path(f"glassbox-{model_name(request)}.yaml")
        result = plan(request, shipped_defaults())
        write(result.settings, destination, reference, force=force)
    except GlassboxError as exc:
        _fail(str(exc))
    typer.echo("\n".join(report_lines(result, destination)))


@app.command("compile")
def compile_(
    image: Annotated[str | None, typer.Option(help="image the step templates run")] = None,
    out: Annotated[Path, typer.Option(help="output directory")] = Path("k8s/workflows"),
    check: Annotated[bool, typer.Option(help="fail if the committed YAML is stale")] = False,
) -> None:
    """Compile the Hera pipelines to Argo YAML (k8s/workflows/)."""
    from glassbox.manifests._compile import stale, write

    if check:
        diffs = stale(out, image)
        for diff in diffs.values():
            typer.echo(diff)
        if diffs:
            _fail(f"stale compiled manifests: {', '.join(diffs)} (run `just compile`)")
        typer.echo("compiled manifests are up to date")
        return
    for path in write(out, image):
        typer.echo(f"wrote {path}")


@audit_app.command("verify")
def audit_verify(
    row: Annotated[str | None, typer.Option(help="one prediction's inputs as JSON")] = None,
    scored: Annotated[Path | None, typer.Option(help="a scored CSV/Parquet file")] = None,
    table: Annotated[Path | None, typer.Option(help="an audit table Parquet file")] = None,
    manifest: Annotated[Path | None, typer.Option(help="its audit_manifest.json")] = None,
    run: Annotated[list[str], typer.Option(help="score run id(s) to search")] = [],  # noqa: B006
) -> None:
    """Say whether, where and by which model a prediction was recorded; check the chains.

    Exit 0 when everything checked is recorded and intact, 1 otherwise."""
    from glassbox import _audit_cli as a

    out = a.Outcome()
    try:
        if table is not None or manifest is not None:
            if table is None or manifest is None:
                _fail("--table and --manifest go together")
            a.verify_table_file(table, manifest, out)  # type: ignore[arg-type]
        else:
            tables = a._tables(run)
            a.verify_chains(tables, out)
            if row is not None:
                a.verify_row(row, tables, out)
            if scored is not None:
                a.verify_scored(scored, tables, out)
    except GlassboxError as exc:
        _fail(str(exc))
    typer.echo("\n".join(out.lines))
    raise typer.Exit(0 if out.ok else 1)


@app.command()
def lint(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or directories")] = None,
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            help="Kubernetes release to validate against (default: 1.25, the oldest supported)"
        ),
    ] = None,
) -> None:
    """Validate manifests offline: every Kubernetes object against its kind's schema (strict),
    Argo workflows also against the controller's checks. Default: k8s/."""
    from glassbox.manifests import lint_paths

    try:
        findings = lint_paths(paths or [Path("k8s")], kubernetes_version=kubernetes_version)
    except GlassboxError as exc:
        _fail(str(exc))
    for finding in findings:
        typer.echo(str(finding))
    errors = [f for f in findings if f.severity == "error"]
    typer.echo(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    raise typer.Exit(1 if errors else 0)


@app.command()
def lineage(run_id: str) -> None:
    """Print the chain raw data → features → model → predictions behind a run."""
    from glassbox.lineage import lineage as walk
    from glassbox.lineage import render
    from glassbox.tracking import configure

    configure()
    try:
        typer.echo("\n".join(render(walk(run_id))))
    except GlassboxError as exc:
        _fail(str(exc))


@app.command()
def trace(
    prediction: Annotated[
        str, typer.Argument(help="an audit record hash, a prediction id, or the row as JSON")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print the trace as JSON")] = False,
) -> None:
    """Follow one prediction to its score run, chain, model, training run, datasets and code.

    Exit 0 when found (and its chain intact), 1 when not found or the chain is broken."""
    import os

    from glassbox.trace import PredictionNotFoundError, render
    from glassbox.trace import trace as follow
    from glassbox.tracking import configure

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    configure()
    try:
        found = follow(prediction)
    except PredictionNotFoundError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from None
    except GlassboxError as exc:
        _fail(str(exc))
    typer.echo(found.model_dump_json(indent=2) if as_json else render(found))
    raise typer.Exit(0 if found.chain.ok else 1)


@app.command()
def replay(
    run_id: Annotated[str | None, typer.Argument(help="a step run to replay")] = None,
    *,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", help="replay every step of this pipeline run")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="run this git ref's code instead of the recorded")
    ] = None,
    ignore_lock: Annotated[
        bool, typer.Option(help="go on when the installed packages differ from the recorded lock")
    ] = False,
    allow_dirty: Annotated[
        bool, typer.Option(help="go on when the recorded run had uncommitted changes")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Run a recorded step (or pipeline) again and compare with the record, bit for bit.

    Exit 0 when identical, 1 when something differs (the first difference is named), 2 when
    the replay cannot be faithful (missing commit, other lock, dirty record) or fails to run."""
    import os

    from glassbox.replay import replay_pipeline, replay_step

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if (run_id is None) == (pipeline is None):
        _fail("give a step RUN_ID or --pipeline RUN_ID", 2)
    replay_run = replay_step if pipeline is None else replay_pipeline
    try:
        report = replay_run(
            pipeline or run_id or "", at=at, allow_dirty=allow_dirty, ignore_lock=ignore_lock
        )
    except GlassboxError as exc:
        _fail(str(exc), 2)
    typer.echo(report.model_dump_json(indent=2) if as_json else report.render())
    raise typer.Exit(0 if report.verdict == "identical" else 1)


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 5000,
) -> None:
    """Open the MLflow UI on the embedded store (or MLFLOW_TRACKING_URI)."""
    import os

    from glassbox.tracking import artifact_root, tracking_uri

    uri = tracking_uri()
    cmd = ["mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(port)]
    root = artifact_root()
    if root:
        cmd += ["--default-artifact-root", root]
    typer.echo(f"MLflow UI on http://127.0.0.1:{port}  (store: {uri})")
    bindir = Path(sys.executable).parent
    os.execvp(str(bindir / "mlflow"), cmd)  # noqa: S606  (replace this process with the UI)


@app.command("mlflow-server")
def mlflow_server(
    backend_store_uri: Annotated[
        str | None, typer.Option(help="SQLAlchemy URI (default: the embedded SQLite store)")
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="artifacts destination (default: $GLASSBOX_HOME/served)")
    ] = None,
    host: Annotated[str | None, typer.Option(help="default: 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default: server.yaml")] = None,
    auth: Annotated[
        bool, typer.Option(help="basic-auth app (needs $MLFLOW_FLASK_SERVER_SECRET_KEY)")
    ] = False,
) -> None:
    """Start an MLflow tracking server from mlruns_config/server.yaml (artifact proxying on).

    On a cluster the image runs ``python -m glassbox.server serve`` instead, which takes every
    setting from the environment the Deployment provides."""
    import os

    from glassbox.server import server_command
    from glassbox.tracking import glassbox_home, tracking_uri

    backend = backend_store_uri or tracking_uri()
    if backend.startswith(("http://", "https://")):
        _fail(f"--backend-store-uri: expected a database URI, got the server URL {backend}")
    destination = artifacts or str(glassbox_home() / "served")
    try:
        cmd = server_command(backend, destination, host or "127.0.0.1", port, auth=auth)
    except GlassboxError as exc:
        _fail(str(exc))
    where = f"{cmd[cmd.index('--host') + 1]}:{cmd[cmd.index('--port') + 1]}"
    typer.echo(f"MLflow server on http://{where} (store {backend}, artifacts {destination})")
    os.execv(cmd[0], cmd)  # noqa: S606  (argv list from server.yaml, no shell)


@app.command()
def serve(
    model: Annotated[
        str | None,
        typer.Option(
            help="models:/NAME@ALIAS (resolved once, then followed) or models:/NAME/VERSION; "
            "default models:/<tracking.registered_model>@<tracking.champion_alias>"
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="default: serving.host (127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="default: serving.port (8080)")] = None,
) -> None:
    """Serve a registered model online with a live glass-box record (docs/serving.md).

    POST /predict and /monitor; GET /drift, /latency, /alerts, /health, /ready, /metrics.
    Every prediction is audited before it is answered; SIGTERM drains and closes the audit."""
    from glassbox.serving import serve as run_server

    try:
        code = run_server(model, host, port)
    except GlassboxError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def config(
    schema: Annotated[bool, typer.Option("--schema", help="print the JSON schema")] = False,
) -> None:
    """Print the validated settings in force (or their JSON schema)."""
    import json

    from glassbox.config import Settings, load_settings

    try:
        if schema:
            typer.echo(json.dumps(Settings.model_json_schema(), indent=2))
        else:
            typer.echo(load_settings().model_dump_json(indent=2))
    except GlassboxError as exc:
        _fail(str(exc))


@app.command()
def monitor(
    *,
    reference: Annotated[Path, typer.Option(help="reference data (CSV or Parquet)")],
    current: Annotated[Path, typer.Option(help="data to check (CSV or Parquet)")],
    out: Annotated[Path, typer.Option(help="directory for monitor.json and the report")],
    target: Annotated[str | None, typer.Option(help="label column (performance)")] = None,
    proba: Annotated[str | None, typer.Option(help="predicted probability column")] = None,
    prediction: Annotated[str | None, typer.Option(help="predicted class column")] = None,
    timestamp: Annotated[str | None, typer.Option(help="timestamp column")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="row id column")] = None,
    report: Annotated[bool, typer.Option(help="write the Evidently HTML/JSON report")] = True,
    evidently_rows: Annotated[
        int, typer.Option(help="rows per side the Evidently report samples at most")
    ] = 50_000,
    chunk_size: Annotated[
        int | None, typer.Option(help="rows per performance chunk (default: auto)")
    ] = None,
    model: Annotated[str, typer.Option(help="model name the alerts carry")] = "ad-hoc",
    contract: Annotated[
        Path | None,
        typer.Option(help="data contract (JSON) to grade quality against, as the cron does"),
    ] = None,
) -> None:
    """Check current data against reference data: drift, quality, performance, alerts.

    Writes OUT/monitor.json (see docs/monitor.md) and OUT/evidently_report.html.

    Exit 0 when the checks ran, whatever they found; 2 when the inputs are unusable.

    Alerts are listed in monitor.json, never sent."""
    from glassbox.check import MonitorOptions, run_monitor
    from glassbox.config import settings

    try:
        options = MonitorOptions.from_settings(
            settings().monitoring,
            roles={
                "target": target,
                "proba": proba,
                "prediction": prediction,
                "timestamp": timestamp,
                "id": id_column,
            },
            report=report,
            evidently_rows=evidently_rows,
            chunk_size=chunk_size,
            model=model,
        )
        result = run_monitor(reference, current, out, options, contract=contract)
    except GlassboxError as exc:
        _fail(str(exc), 2)
    performance = result.document["performance"] or {}
    if performance.get("reason"):
        typer.secho(f"warning: performance: {performance['reason']}", err=True)
    evidently = result.document["evidently"] or {}
    if evidently.get("error"):
        typer.secho(f"warning: Evidently report not written: {evidently['error']}", err=True)
    typer.echo(result.summary())
    typer.echo(
        f"wrote {result.json_path}" + (f" and {result.html_path}" if result.html_path else "")
    )


def main() -> None:  # pragma: no cover - console entry
    app()
