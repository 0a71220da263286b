"""``glassbox model promote|rollback|reject|history|status`` and ``glassbox canary analyze``.

Thin: parse options, call glassbox.delivery, print. Every error is one ``error: ...`` line and a
non-zero exit (2 for ``canary analyze``, whose 0/1/3 are verdicts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    from glassbox.delivery import AliasMove, CanaryAnalysis, Lifecycle

model_app = typer.Typer(
    help="Registry lifecycle: promote, roll back or reject versions; the history of alias moves.",
    no_args_is_help=True,
)
canary_app = typer.Typer(
    help="Challenger against champion: shadow-log or live-canary analysis.", no_args_is_help=True
)

NameArg = Annotated[
    str | None, typer.Argument(help="registered model (default: tracking.registered_model)")
]
Reason = Annotated[str, typer.Option(help="why (recorded on the decision run and the version)")]
AnalysisOpt = Annotated[
    str | None,
    typer.Option("--analysis", help="evidence: an analysis JSON file or the MLflow run holding it"),
]


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _lifecycle(name: str | None) -> Lifecycle:
    from glassbox.config import settings
    from glassbox.delivery import Lifecycle
    from glassbox.tracking import configure

    configure()
    conf = settings()
    model = name or conf.tracking.registered_model
    return Lifecycle.from_settings(conf.delivery, model, conf.tracking.champion_alias)


def _load_analysis(ref: str | None) -> CanaryAnalysis | None:
    if ref is None:
        return None
    from pydantic import ValidationError

    from glassbox.delivery import CanaryAnalysis, DeliveryError

    path = Path(ref)
    if not path.is_file():
        path = _download_analysis(ref)
    try:
        return CanaryAnalysis.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise DeliveryError(f"--analysis {ref}: not a canary analysis document ({exc})") from None


def _download_analysis(run_id: str) -> Path:
    import tempfile

    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    from glassbox.delivery import DeliveryError

    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="analysis.json", dst_path=tempfile.mkdtemp()
        )
    except (MlflowException, OSError):
        raise DeliveryError(
            f"--analysis {run_id}: no such file, and no MLflow run with an analysis.json"
        ) from None
    return Path(local)


def _announce(move: AliasMove) -> None:
    from glassbox.config import settings
    from glassbox.delivery import announce

    conf = settings()
    severity = conf.delivery.severity(move.action)
    typer.echo(f"{move.model}: {move.describe()} (decision run {move.run_id})")
    typer.echo(announce(move, severity, conf.alerts))


def _move(name: str | None, analysis: str | None, action: Callable[..., AliasMove]) -> None:
    """Resolve the model, load the evidence, move the alias, announce it; errors in one line."""
    try:
        life = _lifecycle(name)
        move = action(life, _load_analysis(analysis))
    except GlassboxError as exc:
        _fail(str(exc))
    _announce(move)


@model_app.command()
def promote(
    name: NameArg = None,
    *,
    reason: Reason,
    version: Annotated[str | None, typer.Option(help="default: the @challenger version")] = None,
    analysis: AnalysisOpt = None,
) -> None:
    """Move @champion to the challenger (the challenger alias is dropped)."""
    from glassbox import delivery

    _move(
        name,
        analysis,
        lambda life, found: delivery.promote(life, reason, version=version, analysis=found),
    )


@model_app.command()
def rollback(
    name: NameArg = None,
    *,
    reason: Reason,
    to: Annotated[str | None, typer.Option(help="default: the previous champion")] = None,
    analysis: AnalysisOpt = None,
) -> None:
    """Move @champion back to the previous champion (recorded moves), or to --to."""
    from glassbox import delivery

    _move(
        name, analysis, lambda life, found: delivery.rollback(life, reason, to=to, analysis=found)
    )


@model_app.command()
def reject(name: NameArg = None, *, reason: Reason, analysis: AnalysisOpt = None) -> None:
    """Drop the @challenger alias (its canary failed); the champion stays."""
    from glassbox import delivery

    _move(name, analysis, lambda life, found: delivery.reject(life, reason, analysis=found))


@model_app.command()
def history(
    name: NameArg = None,
    *,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    limit: Annotated[int, typer.Option(min=1, help="most recent moves shown")] = 50,
) -> None:
    """The alias moves of a model, oldest first, from the decision runs."""
    from glassbox import delivery
    from glassbox.delivery._records import as_json as dump

    try:
        life = _lifecycle(name)
        life.version_of(life.champion_alias)  # an unknown model is an error, not an empty list
        moves = delivery.history(life.experiment, life.model)[-limit:]
    except GlassboxError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(dump(moves))
        return
    if not moves:
        typer.echo(f"{life.model}: no alias move recorded yet")
        return
    typer.echo("\n".join(delivery.render(moves)))


@model_app.command()
def status(name: NameArg = None) -> None:
    """Which versions hold @champion and @challenger."""
    try:
        life = _lifecycle(name)
        champion = life.version_of(life.champion_alias)
        challenger = life.version_of(life.challenger_alias)
    except GlassboxError as exc:
        _fail(str(exc))
    typer.echo(f"{life.model}: @{life.champion_alias} = {_v(champion)}")
    typer.echo(f"{life.model}: @{life.challenger_alias} = {_v(challenger)}")


def _v(version: str | None) -> str:
    return f"v{version}" if version else "(none)"


@canary_app.command()
def analyze(
    *,
    shadow: Annotated[
        list[Path] | None, typer.Option(help="shadow log file(s) or directory (else Prometheus)")
    ] = None,
    prometheus: Annotated[
        str | None, typer.Option(help="Prometheus URL (default: delivery.prometheus.url)")
    ] = None,
    model: Annotated[str | None, typer.Option(help="default: tracking.registered_model")] = None,
    champion_version: Annotated[str | None, typer.Option(help="default: @champion")] = None,
    challenger_version: Annotated[str | None, typer.Option(help="default: @challenger")] = None,
    window: Annotated[str | None, typer.Option(help="Prometheus window, e.g. 30m")] = None,
    at: Annotated[
        str | None, typer.Option(help="end of the window (ISO time; default now)")
    ] = None,
    targets: Annotated[
        str | None, typer.Option(help="delayed targets (default: data.targets); 'none' to skip")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the analysis JSON here")] = None,
    record: Annotated[bool, typer.Option(help="log the analysis as an MLflow run")] = True,
    apply: Annotated[
        bool, typer.Option(help="act on the verdict: promote, or reject/roll back")
    ] = False,
    wait: Annotated[
        float, typer.Option(help="seconds to wait for the minimum samples (Prometheus)")
    ] = 0.0,
    poll: Annotated[float, typer.Option(help="seconds between looks while waiting")] = 30.0,
    continue_exit_code: Annotated[
        int, typer.Option(help="exit code of a 'continue' verdict (0 lets a canary step pass)")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the analysis JSON")] = False,
) -> None:
    """Compare the challenger with the champion and decide: promote / continue / rollback.

    Exit codes: 0 promote, 1 rollback, 3 continue (--continue-exit-code), 2 error. An Argo
    Rollouts job metric counts exit 0 as success and anything else as failure."""
    from glassbox.delivery import AnalyzeOptions, run_analysis

    options = AnalyzeOptions(
        shadow=tuple(shadow or ()),
        prometheus=prometheus,
        model=model,
        champion_version=champion_version,
        challenger_version=challenger_version,
        window=window,
        at=at,
        targets=targets,
        record=record,
        apply=apply,
        wait=wait,
        poll=poll,
    )
    try:
        result = run_analysis(options)
    except GlassboxError as exc:
        _fail(str(exc), 2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.analysis.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(json.loads(result.analysis.model_dump_json()), indent=2))
    else:
        typer.echo(result.analysis.summary())
        for line in result.notes:
            typer.echo(line)
    code = result.analysis.exit_code
    raise typer.Exit(continue_exit_code if result.analysis.verdict == "continue" else code)
