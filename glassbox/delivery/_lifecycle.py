"""The registry lifecycle: a gated version becomes ``challenger`` once a champion exists;
``promote`` moves ``champion`` to the challenger, ``rollback`` moves it back to the previous
champion, ``reject`` drops the challenger (a canary that failed). Each move is recorded
(decision run + version tags, see ``_records``) and announced through glassbox.alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glassbox.delivery import _records as records
from glassbox.delivery._errors import DeliveryError
from glassbox.delivery._records import AliasMove, MoveAction

if TYPE_CHECKING:
    from glassbox.alerts import AlertSettings
    from glassbox.delivery._analysis import CanaryAnalysis
    from glassbox.delivery._settings import DeliverySettings

_CHECKS = {
    "promote": "model_promotion",
    "rollback": "model_rollback",
    "reject": "challenger_rejected",
}


@dataclass(frozen=True)
class Lifecycle:
    """The aliases of one registered model and where their moves are recorded."""

    model: str
    champion_alias: str
    challenger_alias: str
    experiment: str

    @classmethod
    def from_settings(
        cls, delivery: DeliverySettings, model: str, champion_alias: str
    ) -> Lifecycle:
        return cls(model, champion_alias, delivery.challenger_alias, delivery.experiment)

    def version_of(self, alias: str) -> str | None:
        """The version an alias points at (None: unset); an unknown model is an error."""
        from mlflow.exceptions import MlflowException

        client = _client()
        try:
            found = client.get_registered_model(self.model)
        except MlflowException as exc:
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}:
                raise DeliveryError(f"registered model '{self.model}' does not exist") from None
            raise
        version = (found.aliases or {}).get(alias)
        return None if version is None else str(version)

    def require_version(self, version: str) -> str:
        from mlflow.exceptions import MlflowException

        try:
            return str(_client().get_model_version(self.model, version).version)
        except MlflowException:
            raise DeliveryError(
                f"registered model '{self.model}' has no version '{version}'"
            ) from None


@dataclass(frozen=True)
class Registration:
    version: str
    alias: str
    champion_version: str | None


def _client() -> Any:
    import mlflow

    return mlflow.MlflowClient()


def _actor(actor: str | None) -> str:
    from glassbox.tracking import people_tags

    return actor or people_tags()["glassbox.user"]


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise DeliveryError("a reason is required (--reason): say why the alias moves")
    return text


def register_gated(
    life: Lifecycle, model_uri: str, fingerprint: str, tags: dict[str, str], reason: str
) -> Registration:
    """Register a gated version: ``champion`` when there is none yet, else ``challenger``."""
    from glassbox import registry

    champion = life.version_of(life.champion_alias) if _model_exists(life.model) else None
    alias = life.champion_alias if champion is None else life.challenger_alias
    previous = None if champion is None else life.version_of(life.challenger_alias)
    version = registry.register(model_uri, life.model, fingerprint, alias, tags)
    move = AliasMove(
        action="register",
        model=life.model,
        alias=alias,
        from_version=previous,
        to_version=version,
        actor=_actor(None),
        reason=_reason(reason),
        at=records.now(),
    )
    run_id = records.open_decision(life.experiment, move)
    status = "champion" if champion is None else "challenger"
    records.set_version_tags(life.model, version, {"status": status, "decision_run_id": run_id})
    if previous is not None:  # a waiting challenger replaced by a newer gated version
        records.set_version_tags(life.model, previous, {"status": "superseded"})
    records.close_decision(run_id, move.model_copy(update={"run_id": run_id}), None)
    return Registration(version, alias, champion)


def _model_exists(model: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        _client().get_registered_model(model)
    except MlflowException:
        return False
    return True


def promote(
    life: Lifecycle,
    reason: str,
    *,
    version: str | None = None,
    analysis: CanaryAnalysis | None = None,
    actor: str | None = None,
) -> AliasMove:
    """Move ``champion`` to the challenger (or ``version``); the challenger alias is dropped."""
    challenger = life.version_of(life.challenger_alias)
    target = life.require_version(version) if version else challenger
    if target is None:
        raise DeliveryError(
            f"registered model '{life.model}' has no '@{life.challenger_alias}' version: "
            "nothing to promote (a gated version becomes challenger when a champion exists)"
        )
    champion = life.version_of(life.champion_alias)
    if champion == target:
        raise DeliveryError(f"version {target} of '{life.model}' is already the champion")
    move = _move(
        life, "promote", life.champion_alias, (champion, target),
        reason=reason, analysis=analysis, actor=actor,
    )  # fmt: skip

    def apply(run_id: str) -> None:
        client = _client()
        client.set_registered_model_alias(life.model, life.champion_alias, target)
        if challenger == target:
            client.delete_registered_model_alias(life.model, life.challenger_alias)
        stamp = {"decision_run_id": run_id, "actor": move.actor, "at": move.at.isoformat()}
        records.set_version_tags(
            life.model, target, stamp | {"status": "champion", "promotion_reason": move.reason}
        )
        if champion is not None:
            records.set_version_tags(life.model, champion, {"status": "previous_champion"})

    return _record(life, move, analysis, apply)


def rollback(
    life: Lifecycle,
    reason: str,
    *,
    to: str | None = None,
    analysis: CanaryAnalysis | None = None,
    actor: str | None = None,
) -> AliasMove:
    """Move ``champion`` back to the previous champion (or ``to``); the current one is marked."""
    champion = life.version_of(life.champion_alias)
    if champion is None:
        raise DeliveryError(
            f"registered model '{life.model}' has no '@{life.champion_alias}' version: "
            "nothing to roll back"
        )
    target = life.require_version(to) if to else previous_champion(life, champion)
    if target is None:
        raise DeliveryError(
            f"nothing to roll back to: no earlier champion of '{life.model}' is recorded before "
            f"version {champion} (give the version with --to)"
        )
    if target == champion:
        raise DeliveryError(f"version {target} of '{life.model}' is already the champion")
    move = _move(
        life, "rollback", life.champion_alias, (champion, target),
        reason=reason, analysis=analysis, actor=actor,
    )  # fmt: skip

    def apply(run_id: str) -> None:
        _client().set_registered_model_alias(life.model, life.champion_alias, target)
        stamp = {"decision_run_id": run_id, "actor": move.actor, "at": move.at.isoformat()}
        records.set_version_tags(
            life.model, champion, stamp | {"status": "rolled_back", "rollback_reason": move.reason}
        )
        records.set_version_tags(life.model, target, stamp | {"status": "champion"})

    return _record(life, move, analysis, apply)


def reject(
    life: Lifecycle,
    reason: str,
    *,
    analysis: CanaryAnalysis | None = None,
    actor: str | None = None,
) -> AliasMove:
    """Drop the challenger alias (its canary failed): the champion stays where it is."""
    challenger = life.version_of(life.challenger_alias)
    if challenger is None:
        raise DeliveryError(
            f"registered model '{life.model}' has no '@{life.challenger_alias}' version: "
            "nothing to reject"
        )
    move = _move(
        life, "reject", life.challenger_alias, (challenger, None),
        reason=reason, analysis=analysis, actor=actor,
    )  # fmt: skip

    def apply(run_id: str) -> None:
        _client().delete_registered_model_alias(life.model, life.challenger_alias)
        stamp = {"decision_run_id": run_id, "actor": move.actor, "at": move.at.isoformat()}
        records.set_version_tags(
            life.model, challenger, stamp | {"status": "rejected", "rejection_reason": move.reason}
        )

    return _record(life, move, analysis, apply)


def previous_champion(life: Lifecycle, current: str) -> str | None:
    """The champion before the current one's tenure, skipping versions rolled back or rejected."""
    moves = [m for m in records.history(life.experiment, life.model) if m.status == "FINISHED"]
    champions = [m for m in moves if m.alias == life.champion_alias and m.to_version]
    bad = {m.from_version for m in moves if m.action in ("rollback", "reject")}
    starts = [i for i, m in enumerate(champions) if m.to_version == current]
    before = champions[: starts[-1]] if starts else champions
    for move in reversed(before):
        version = move.to_version
        if version and version != current and version not in bad:
            return version
    # the first recorded move may start from a champion set before any record
    first = champions[0].from_version if champions else None
    return first if first and first != current and first not in bad else None


def _move(
    life: Lifecycle,
    action: MoveAction,
    alias: str,
    versions: tuple[str | None, str | None],
    *,
    reason: str,
    analysis: CanaryAnalysis | None,
    actor: str | None,
) -> AliasMove:
    before, after = versions
    return AliasMove(
        action=action,
        model=life.model,
        alias=alias,
        from_version=before,
        to_version=after,
        actor=_actor(actor),
        reason=_reason(reason),
        at=records.now(),
        verdict=analysis.verdict if analysis is not None else "",
        analysis_run_id=analysis.run_id if analysis is not None else "",
    )


def _record(
    life: Lifecycle, move: AliasMove, analysis: CanaryAnalysis | None, apply: Any
) -> AliasMove:
    run_id = records.open_decision(life.experiment, move)
    move = move.model_copy(update={"run_id": run_id})
    try:
        apply(run_id)
    except BaseException as exc:
        records.close_decision(run_id, move, analysis, error=f"{type(exc).__name__}: {exc}")
        raise
    records.close_decision(run_id, move, analysis)
    return move


def announce(
    move: AliasMove, severity: str, alerts_section: AlertSettings | Mapping[str, Any] | None = None
) -> str:
    """Send the move through glassbox.alerts; returns a one-line outcome (never raises on a
    delivery problem: the move is done and recorded, the outbox keeps the alert)."""
    from glassbox.alerts import Alert, AlertError, AlertRouter
    from glassbox.tracking import run_url

    version = move.to_version if move.action == "promote" else move.from_version
    summary = f"{move.describe()} by {move.actor}: {move.reason}"
    try:
        found = _client().get_run(move.run_id)
        alert = Alert(
            model=move.model,
            check=_CHECKS[move.action],
            feature=f"v{version}",
            severity=severity,
            summary=summary[:4000],
            details={
                "from_version": move.from_version or "-",
                "to_version": move.to_version or "-",
                "actor": move.actor[:200],
                "verdict": move.verdict or "-",
                "decision_run_id": move.run_id,
            },
            mlflow_run_url=run_url(found.info.experiment_id, move.run_id),
        )
        with AlertRouter.from_env(alerts_section) as router:
            report = router.send(alert)
    except AlertError as exc:
        return f"alert not sent: {exc}"
    outcome = report.decisions[0]
    channels = ", ".join(outcome.channels) or "none"
    return f"alert {outcome.outcome} (channels: {channels}; pending: {report.flush.pending})"
