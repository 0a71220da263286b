"""The registry lifecycle: challenger on registration, promote / rollback / reject, each move
recorded (decision run + version tags), announced on Slack, and listed by history."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from glassbox import delivery
from glassbox.config import settings
from glassbox.delivery import DeliveryError, Lifecycle

from .conftest import MODEL


def _life() -> Lifecycle:
    conf = settings()
    return Lifecycle.from_settings(conf.delivery, MODEL, conf.tracking.champion_alias)


def _client() -> Any:
    import mlflow

    return mlflow.MlflowClient()


def _aliases() -> dict[str, str]:
    return {k: str(v) for k, v in _client().get_registered_model(MODEL).aliases.items()}


def _slack_texts(server: HTTPServer) -> list[str]:
    return [json.dumps(json.loads(request.get_data())) for request, _ in server.log]


def test_first_gated_version_is_champion_then_later_ones_are_challengers(
    gated: Callable[[str], str],
) -> None:
    assert gated("fp1") == "1"
    assert _aliases() == {"champion": "1"}
    assert gated("fp2") == "2"
    assert _aliases() == {"champion": "1", "challenger": "2"}
    assert gated("fp3") == "3"  # a newer gated version replaces the waiting challenger
    assert _aliases() == {"champion": "1", "challenger": "3"}
    moves = delivery.history(_life().experiment, MODEL)
    assert [(m.action, m.alias, m.from_version, m.to_version) for m in moves] == [
        ("register", "champion", None, "1"),
        ("register", "challenger", None, "2"),
        ("register", "challenger", "2", "3"),
    ]
    assert _client().get_model_version(MODEL, "3").tags["glassbox.delivery.status"] == "challenger"
    assert _client().get_model_version(MODEL, "2").tags["glassbox.delivery.status"] == "superseded"


def test_promote_moves_champion_records_who_why_and_alerts(
    gated: Callable[[str], str], slack: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated("fp1")
    gated("fp2")
    monkeypatch.setenv("GLASSBOX_USER", "jane")
    move = delivery.promote(_life(), "canary passed on 12k requests")
    assert (move.action, move.from_version, move.to_version, move.actor) == (
        "promote", "1", "2", "jane",
    )  # fmt: skip
    assert _aliases() == {"champion": "2"}
    run = _client().get_run(move.run_id)
    tags = run.data.tags
    assert run.info.status == "FINISHED"
    assert tags["glassbox.delivery.action"] == "promote"
    assert tags["glassbox.delivery.reason"] == "canary passed on 12k requests"
    assert tags["glassbox.user"] == "jane"
    assert "mlflow.source.git.commit" in tags
    new = _client().get_model_version(MODEL, "2").tags
    assert new["glassbox.delivery.status"] == "champion"
    assert new["glassbox.delivery.decision_run_id"] == move.run_id
    assert new["glassbox.delivery.actor"] == "jane"
    assert _client().get_model_version(MODEL, "1").tags["glassbox.delivery.status"] == (
        "previous_champion"
    )
    assert "decision.json" in {f.path for f in _client().list_artifacts(move.run_id)}

    outcome = delivery.announce(move, "warning", settings().alerts)
    assert "alert new" in outcome
    (text,) = _slack_texts(slack)
    assert "model_promotion" in text or "Model promoted" in text
    assert "canary passed on 12k requests" in text


def test_rollback_returns_to_the_previous_champion_and_not_further(
    gated: Callable[[str], str],
) -> None:
    gated("fp1")
    gated("fp2")
    life = _life()
    delivery.promote(life, "looked good")
    move = delivery.rollback(life, "p99 doubled after promotion")
    assert (move.from_version, move.to_version) == ("2", "1")
    assert _aliases() == {"champion": "1"}
    tags = _client().get_model_version(MODEL, "2").tags
    assert tags["glassbox.delivery.status"] == "rolled_back"
    assert tags["glassbox.delivery.rollback_reason"] == "p99 doubled after promotion"
    with pytest.raises(DeliveryError, match="nothing to roll back to: no earlier champion"):
        delivery.rollback(life, "again")
    moves = delivery.history(life.experiment, MODEL)
    assert [m.action for m in moves] == ["register", "register", "promote", "rollback"]


def test_rollback_skips_a_version_that_was_rolled_back_before(
    gated: Callable[[str], str],
) -> None:
    life = _life()
    gated("fp1")
    gated("fp2")
    delivery.promote(life, "v2 in")
    delivery.rollback(life, "v2 bad")  # champion v1, v2 marked
    gated("fp3")
    delivery.promote(life, "v3 in")  # v1 -> v3
    assert delivery.previous_champion(life, "3") == "1"
    move = delivery.rollback(life, "v3 bad too")
    assert move.to_version == "1"


def test_reject_drops_the_challenger_and_keeps_the_champion(
    gated: Callable[[str], str],
) -> None:
    gated("fp1")
    gated("fp2")
    move = delivery.reject(_life(), "error rate doubled in the canary")
    assert (move.action, move.alias, move.from_version, move.to_version) == (
        "reject", "challenger", "2", None,
    )  # fmt: skip
    assert _aliases() == {"champion": "1"}
    assert _client().get_model_version(MODEL, "2").tags["glassbox.delivery.status"] == "rejected"
    with pytest.raises(DeliveryError, match="has no '@challenger' version: nothing to reject"):
        delivery.reject(_life(), "again")


def test_errors_name_the_problem(gated: Callable[[str], str]) -> None:
    life = _life()
    unknown = Lifecycle("no-such-model", "champion", "challenger", life.experiment)
    with pytest.raises(DeliveryError, match="registered model 'no-such-model' does not exist"):
        delivery.promote(unknown, "x")
    gated("fp1")
    with pytest.raises(DeliveryError, match="no '@challenger' version: nothing to promote"):
        delivery.promote(life, "x")
    with pytest.raises(DeliveryError, match="nothing to roll back to"):
        delivery.rollback(life, "x")
    with pytest.raises(DeliveryError, match="has no version '9'"):
        delivery.rollback(life, "x", to="9")
    gated("fp2")
    with pytest.raises(DeliveryError, match="a reason is required"):
        delivery.promote(life, "   ")
    assert _aliases() == {"champion": "1", "challenger": "2"}  # nothing moved on an error


def test_a_failed_move_leaves_a_failed_decision_run_and_no_alias_change(
    gated: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    gated("fp1")
    gated("fp2")

    def broken(self: Any, *args: Any) -> None:
        raise RuntimeError("registry unavailable")

    monkeypatch.setattr(mlflow.MlflowClient, "set_registered_model_alias", broken)
    with pytest.raises(RuntimeError, match="registry unavailable"):
        delivery.promote(_life(), "try")
    monkeypatch.undo()
    (failed,) = [m for m in delivery.history(_life().experiment, MODEL) if m.action == "promote"]
    assert failed.status == "FAILED"
    assert "registry unavailable" in _client().get_run(failed.run_id).data.tags["glassbox.error"]
    assert _aliases() == {"champion": "1", "challenger": "2"}
